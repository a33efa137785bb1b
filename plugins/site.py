"""The ``site`` output: static pages for bulletins, MI sheets (printable) and updates."""

from __future__ import annotations

from pathlib import Path

from publisher import hookimpl
from publisher.outputs import Output, SiteBuild

ITEMS_PER_SOURCE = 20


@hookimpl
def register_outputs(register):
    register(Output("site", build_pages, "static pages: bulletins, MI sheets, latest updates"))


def build_pages(site: SiteBuild) -> list[Path]:
    from publisher.bulletins import comparison_page
    from publisher.comparison.report import html_context, stored
    from publisher.notices import notice_context

    notices = list(reversed(site.store.notices(status="published")))
    bulletins = site.store.bulletins()

    def page(path: str, template: str, **context) -> Path:
        root = "../" * path.count("/")
        return site.write(path, site.renderer.render(template, root=root, **context))

    written = [
        page("index.html", "site/index.html", notices=notices, bulletins=bulletins),
        page(
            "updates.html",
            "site/updates.html",
            sections=[update_section(site, source) for source in site.config.sources],
        ),
        page("subscribe.html", "site/subscribe.html"),
        page("mi/index.html", "site/mi_index.html", notices=notices),
        page("bulletins/index.html", "site/bulletins.html", bulletins=bulletins),
        site.write("style.css", site.renderer.render("site/style.css")),
    ]
    for notice in notices:
        context = notice_context(site.config, notice)
        written.append(page(f"mi/{notice.slug}.html", "site/mi_sheet.html", **context))
    for change in site.store.changes():
        if change.comparison and "error" not in change.comparison:
            written.append(
                page(
                    comparison_page(change),
                    "site/comparison.html",
                    change=change,
                    **html_context(*stored(change.comparison)),
                )
            )
    for bulletin in bulletins:
        folder = f"bulletins/{bulletin.month}"
        written.append(
            page(
                f"{folder}/index.html", "site/bulletin.html", bulletin=bulletin, audience_name=None
            )
        )
        for audience, name in site.config.audiences.items():
            written.append(
                page(
                    f"{folder}/{audience}.html",
                    "site/bulletin.html",
                    bulletin=bulletin.for_audience(audience),
                    audience_name=name,
                )
            )
    return written


def update_section(site: SiteBuild, source) -> tuple:
    """A source's newest items for the updates page, each with whether it is statutory."""
    from publisher.detect import is_statutory

    items = site.store.items(source_id=source.id, limit=ITEMS_PER_SOURCE)
    return source, [(item, is_statutory(source, item.document_type)) for item in items]
