"""Feed autodiscovery: the RSS/Atom feeds a web page advertises with <link rel="alternate">."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RDF",
}


@dataclass(frozen=True)
class FeedLink:
    url: str
    kind: str  # RSS, Atom or RDF
    title: str


def find_feed_links(html: bytes, page_url: str) -> list[FeedLink]:
    """The feeds a page links to, best first: the page's own order, but comment feeds
    (WordPress adds one per post) after the others."""
    from selectolax.lexbor import LexborHTMLParser  # on use: most commands parse no page

    tree = LexborHTMLParser(html)
    links = []
    for node in tree.css("link[href][type]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((node.attributes.get("type") or "").lower().strip())
        if "alternate" in rel and kind:
            links.append(
                FeedLink(
                    urljoin(page_url, node.attributes["href"].strip()),
                    kind,
                    (node.attributes.get("title") or "").strip(),
                )
            )
    unique = list({link.url: link for link in reversed(links)}.values())[::-1]
    return sorted(unique, key=lambda link: "comment" in link.title.lower())


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))
