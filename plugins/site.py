"""The ``site`` output: a static web page of recent items per source."""

from __future__ import annotations

from pathlib import Path

from publisher import hookimpl
from publisher.outputs import Output, SiteBuild

ITEMS_PER_SOURCE = 20


@hookimpl
def register_outputs(register):
    register(Output("site", build_site, "static web pages: index of recent items per source"))


def build_site(site: SiteBuild) -> list[Path]:
    sections = [
        (source, site.store.items(source_id=source.id, limit=ITEMS_PER_SOURCE))
        for source in site.config.sources
    ]
    html = site.renderer.render("site/index.html", sections=sections)
    css = site.renderer.render("site/style.css")
    return [site.write("index.html", html), site.write("style.css", css)]
