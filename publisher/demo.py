"""``publisher demo``: the whole pipeline, offline, on sample data shipped with the package."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

from publisher.config import load_config
from publisher.deliver import open_deliverer
from publisher.fetch import fetch_sources
from publisher.notices import notice_message, read_notice
from publisher.outputs import build_site
from publisher.render import Renderer
from publisher.serve import serve_directory
from publisher.sources import source_kinds
from publisher.store import Store

SAMPLES = files("publisher.sample_data")
DEMO_RECIPIENT = "Demo DSL <dsl@school.example>"


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> dict[str, Path]:
    """Serve the samples on 127.0.0.1, fetch, store, build and render; return what was written."""
    started = time.perf_counter()
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    kinds = source_kinds()
    store = Store(directory / "data")
    with as_file(SAMPLES / "served") as served, serve_directory(served) as base_url:
        config_path = directory / "feeds.yaml"
        template = (SAMPLES / "demo-feeds.yaml").read_text(encoding="utf-8")
        config_path.write_text(template.replace("{base_url}", base_url), encoding="utf-8")
        config = load_config(config_path, kinds)
        echo(f"Serving sample feeds at {base_url} (nothing leaves this machine)")
        for report in fetch_sources(config, store, kinds):
            echo(f"  fetched {report.source_id}: {report.describe()}")

    site_dir = directory / "site"
    build_site(config, store, site_dir)

    outbox_dir = directory / "outbox"
    shutil.rmtree(outbox_dir, ignore_errors=True)
    with as_file(SAMPLES / "mi-sheet.md") as notice_file:
        notice = read_notice(notice_file)
    outbox = open_deliverer("outbox", config, directory=outbox_dir)
    email = Path(outbox.send(notice_message(Renderer(config), config, notice, DEMO_RECIPIENT)))
    outbox.close()
    store.close()

    written = {
        "site": site_dir / "index.html",
        "rss": site_dir / "feed.xml",
        "email": email,
        "database": store.path,
    }
    echo(f"\nDemo finished in {time.perf_counter() - started:.1f}s. Open:")
    for label, path in written.items():
        echo(f"  {label:<9} {path}")
    return written
