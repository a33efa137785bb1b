"""The ``feeds`` output, written with feedgen (valid feeds, no hand-built XML):

- ``feed.xml``: RSS 2.0 of the latest items from every source;
- ``feeds/<audience>.rss`` and ``.atom``: that audience's MI sheets and bulletins.

GUIDs are tag URIs built from stable facts (an MI number, a bulletin month), so they
stay the same across rebuilds.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from publisher import hookimpl
from publisher.dates import UK
from publisher.outputs import Output, SiteBuild

if TYPE_CHECKING:  # the writing libraries load when feeds are built, not on start-up
    from feedgen.feed import FeedGenerator

FEED_LENGTH = 50


@hookimpl
def register_outputs(register):
    register(Output("feeds", build_feeds, "RSS 2.0 and Atom feeds, one pair per audience"))


def build_feeds(site: SiteBuild) -> list[Path]:
    written = [site.write("feed.xml", latest_items_feed(site).rss_str(pretty=True))]
    notices = site.store.notices(status="published")
    bulletins = site.store.bulletins()
    for audience, name in site.config.audiences.items():
        feed = audience_feed(site, audience, name, notices, bulletins)
        written.append(site.write(f"feeds/{audience}.rss", feed.rss_str(pretty=True)))
        feed.link(href=f"{site.config.settings.site_url}feeds/{audience}.atom", rel="self")
        written.append(site.write(f"feeds/{audience}.atom", feed.atom_str(pretty=True)))
    return written


def latest_items_feed(site: SiteBuild) -> FeedGenerator:
    from publisher.bulletins import canonical_url
    from publisher.sanitise import feed_summary_html, title_for_feed_readers

    config = site.config
    feed = _feed(
        site,
        "feed.xml",
        f"{config.organisation.name}: latest updates",
        f"The latest from the sources {config.organisation.name} watches",
    )
    titles = {source.id: source.title for source in config.sources}
    # The same story from several sources once (newest copy), then oldest first:
    # feedgen puts the first-added entry last.
    items = {}
    for item in site.store.items(limit=FEED_LENGTH):
        items.setdefault(canonical_url(item.url) if item.url else item.key, item)
    for item in reversed(list(items.values())):
        entry = feed.add_entry()
        entry.id(f"{_tag(site)}:item/{item.source_id}/{item.key}")
        entry.guid(f"{_tag(site)}:item/{item.source_id}/{item.key}", permalink=False)
        title = title_for_feed_readers(item.title)
        entry.title(title or "(untitled)")
        entry.link(href=item.url or config.settings.site_url)
        entry.description(feed_summary_html(item.summary) or html.escape(title))
        entry.category(term=titles.get(item.source_id, item.source_id))
        entry.pubDate(item.published or item.first_seen)
        entry.updated(item.updated or item.published or item.first_seen)
    return feed


def audience_feed(site: SiteBuild, audience: str, name: str, notices, bulletins) -> FeedGenerator:
    from publisher.bulletins import month_bounds
    from publisher.render import markdown_to_html
    from publisher.sanitise import clean_html, html_to_text

    base = site.config.settings.site_url
    feed = _feed(
        site,
        f"feeds/{audience}.rss",
        f"{site.config.organisation.name}: {name}",
        f"MI sheets and monthly bulletins for {name}",
    )
    entries = []
    for notice in notices:
        if audience in notice.audiences:
            entries.append(
                (
                    notice.published,
                    f"mi/{notice.number}",
                    notice.subject,
                    f"{base}mi/{notice.slug}.html",
                    markdown_to_html(notice.body),
                )
            )
    for bulletin in bulletins:
        edition = bulletin.for_audience(audience)
        if edition.sections:
            start, _ = month_bounds(bulletin.month)
            sections = ", ".join(section.title for section in edition.sections)
            entries.append(
                (
                    start,
                    f"bulletin/{bulletin.month}/{audience}",
                    edition.title,
                    f"{base}bulletins/{bulletin.month}/{audience}.html",
                    f"<p>In this bulletin: {html.escape(html_to_text(sections))}.</p>",
                )
            )
    for moment, key, title, link, content in sorted(entries, key=lambda e: e[0]):
        entry = feed.add_entry()
        entry.id(f"{_tag(site)}:{key}")
        entry.guid(f"{_tag(site)}:{key}", permalink=False)
        entry.title(title)
        entry.link(href=link)
        entry.description(clean_html(content))
        entry.published(moment)
        entry.updated(moment)
    return feed


def _feed(site: SiteBuild, path: str, title: str, description: str) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    base = site.config.settings.site_url
    feed = FeedGenerator()
    feed.id(f"{_tag(site)}:{path}")
    feed.title(title)
    feed.author(name=site.config.organisation.name, email=site.config.organisation.email)
    feed.link(href=base, rel="alternate")
    feed.description(description)
    feed.language("en-GB")
    feed.updated(datetime.now(UK).replace(hour=0, minute=0, second=0, microsecond=0))
    return feed


def _tag(site: SiteBuild) -> str:
    """A tag URI authority (RFC 4151) from the site's host: stable whatever the path."""
    host = urlsplit(site.config.settings.site_url).hostname or "localhost"
    return f"tag:{host},2024"
