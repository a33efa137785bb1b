"""The published site (bulletins, MI sheets, feeds, calendars), served as built."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.security import safe_join

from publisher.outputs import build_site
from publisher.web import config, store

blueprint = Blueprint("site", __name__)


def rebuild() -> None:
    """Build the site again, e.g. after a sheet is published."""
    build_site(config(), store(), current_app.config["PUBLISHER_SITE_DIR"])


@blueprint.route("/", defaults={"path": "index.html"})
@blueprint.route("/<path:path>")
def page(path: str):
    site_dir = current_app.config["PUBLISHER_SITE_DIR"]
    if not (site_dir / "index.html").exists():
        rebuild()
    target = safe_join(str(site_dir), path)  # None for paths that leave the site
    if target is None:
        abort(404)
    if Path(target).is_dir():
        path = path.rstrip("/") + "/index.html"
    return send_from_directory(site_dir, path)
