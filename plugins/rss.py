"""The ``rss`` output: an RSS 2.0 feed of recent items, written with feedgen."""

from __future__ import annotations

from pathlib import Path

from feedgen.feed import FeedGenerator

from publisher import hookimpl
from publisher.outputs import Output, SiteBuild
from publisher.sanitise import clean_html, html_to_text

FEED_LENGTH = 50


@hookimpl
def register_outputs(register):
    register(Output("rss", build_feed, "RSS 2.0 feed of recent items (feed.xml)"))


def build_feed(site: SiteBuild) -> list[Path]:
    config = site.config
    base_url = config.settings.site_url
    feed = FeedGenerator()
    feed.title(f"{config.organisation.name}: safeguarding updates")
    feed.link(href=base_url, rel="alternate")
    feed.description(f"Recent safeguarding updates gathered by {config.organisation.name}")
    feed.language("en-GB")
    titles = {source.id: source.title for source in config.sources}
    # feedgen puts the first-added entry last: add oldest first.
    for item in reversed(site.store.items(limit=FEED_LENGTH)):
        entry = feed.add_entry()
        entry.guid(f"{item.source_id}:{item.key}", permalink=False)
        entry.title(html_to_text(item.title) or "(untitled)")
        entry.link(href=item.url or base_url)
        entry.description(clean_html(item.summary) or html_to_text(item.title))
        entry.category(term=titles.get(item.source_id, item.source_id))
        entry.pubDate(item.published or item.first_seen)
    return [site.write("feed.xml", feed.rss_str(pretty=True))]
