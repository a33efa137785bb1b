"""The ``listing`` source kind: an HTML news listing turned into items, one per article link.

For publishers without a dependable feed (Ofcom, SWGfL, UK Safer Internet Centre, NSPCC
Learning). CSS selectors are options in feeds.yaml, with defaults that fit common CMS
markup: ``item_selector``, ``link_selector``, ``date_selector``, ``summary_selector``,
``next_selector``; ``pages`` (default 1) follows "next" links; ``fetch_articles: true``
reads each new article page to fill in a missing date or summary.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

from publisher import hookimpl
from publisher.dates import find_date
from publisher.http import FetchError, raise_for_status
from publisher.models import Item, SourceResult
from publisher.sources import FetchContext, SourceKind
from publisher.text import plural

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

    from publisher.config import SourceConfig

ITEM_SELECTORS = (
    "article",
    ".news-item",
    ".listing-item",
    ".views-row",
    ".card",
    "[class*=teaser]",
    "li.item",
)
LINK_SELECTOR = "h2 a[href], h3 a[href], h4 a[href], a[href]"
DATE_SELECTOR = "time, [class*=date], [class*=published]"
SUMMARY_SELECTOR = "[class*=summary], [class*=excerpt], [class*=description], p"
NEXT_SELECTOR = "a[rel=next], link[rel=next], .pagination .next a, a.next, li.next a"
ARTICLE_DATE_META = (
    'meta[property="article:published_time"]',
    'meta[name="date"]',
    'meta[name="dcterms.date"]',
    "time[datetime]",
)
ARTICLE_SUMMARY_META = ('meta[name="description"]', 'meta[property="og:description"]')
_SPACES = re.compile(r"\s+")


@hookimpl
def register_sources(register):
    register(
        SourceKind(
            "listing",
            fetch_listing,
            "an HTML news listing: each article link an item",
            uses_known_keys=True,  # fetch_articles reads only articles not yet stored
            options={
                "item_selector": str,
                "link_selector": str,
                "date_selector": str,
                "summary_selector": str,
                "next_selector": str,
                "pages": int,
                "fetch_articles": bool,
                "max_articles": int,
            },
        )
    )


def fetch_listing(source: SourceConfig, context: FetchContext) -> SourceResult:
    options = source.options
    url, found, notes = source.url, {}, []
    for page_number in range(int(options.get("pages", 1))):
        response = context.http.get(url, accept="text/html")
        raise_for_status(response)
        if response.not_modified and page_number == 0:
            return SourceResult(not_modified=True)
        tree = _parsed(response.body)
        for item in listing_items(tree, response.url, options):
            found[item.key] = _merge(found.get(item.key), item)
        url = _next_page(tree, response.url, options)
        if not url:
            break
    if not found:
        raise FetchError("no article links found on the listing page (check item_selector)")
    items = list(found.values())
    if options.get("fetch_articles"):
        items, notes = _fill_from_articles(items, context, int(options.get("max_articles", 10)))
    undated = sum(item.published is None for item in items)
    if undated:
        notes.append(f"{plural(undated, 'item')} without a date: check date_selector")
    return SourceResult(items=tuple(items), notes=tuple(notes))


def _parsed(body: bytes) -> LexborHTMLParser:
    from selectolax.lexbor import LexborHTMLParser  # on use: start-up stays quick

    return LexborHTMLParser(body)


def listing_items(tree: LexborHTMLParser, page_url: str, options: dict) -> list[Item]:
    """The articles a listing page shows, in page order (duplicates included)."""
    selectors = (options["item_selector"],) if options.get("item_selector") else ITEM_SELECTORS
    for selector in selectors:
        items = [
            item
            for node in tree.css(selector)
            if (item := _item(node, page_url, options)) is not None
        ]
        if items:
            return items
    return _links_below(tree, page_url)


def _item(node: LexborNode, page_url: str, options: dict) -> Item | None:
    link = node.css_first(options.get("link_selector", LINK_SELECTOR))
    if link is None and node.tag == "a" and node.attributes.get("href"):
        link = node
    if link is None:
        return None
    url = urldefrag(urljoin(page_url, link.attributes["href"].strip())).url
    title = _text(link) or _text(node.css_first("h2, h3, h4"))
    if not title or not url.startswith(("http://", "https://")):
        return None
    date_node = node.css_first(options.get("date_selector", DATE_SELECTOR))
    summary_node = _summary_node(node, options, link, date_node)
    return Item(
        key=url,
        url=url,
        title=title,
        summary=_text(summary_node),
        published=_date(date_node),
    )


def _links_below(tree: LexborHTMLParser, page_url: str) -> list[Item]:
    """No item markup matched: take links to pages below the listing's own path
    (e.g. /magazine/some-article/ under /magazine/)."""
    base = urlsplit(page_url)
    prefix = base.path.rstrip("/") + "/"
    items = []
    scope = tree.css_first("main") or tree.body
    for link in scope.css("a[href]") if scope else []:
        url = urldefrag(urljoin(page_url, link.attributes["href"].strip())).url
        parts = urlsplit(url)
        if (
            parts.netloc == base.netloc
            and parts.path.startswith(prefix)
            and len(parts.path) > len(prefix)
            and not parts.query
            and _text(link)
        ):
            items.append(Item(key=url, url=url, title=_text(link)))
    return items


def _summary_node(node: LexborNode, options: dict, link: LexborNode, date_node):
    for candidate in node.css(options.get("summary_selector", SUMMARY_SELECTOR)):
        text = _text(candidate)
        if text and text != _text(link) and (date_node is None or text != _text(date_node)):
            return candidate
    return None


def _next_page(tree: LexborHTMLParser, page_url: str, options: dict) -> str | None:
    link = tree.css_first(options.get("next_selector", NEXT_SELECTOR))
    href = link.attributes.get("href") if link else None
    return urljoin(page_url, href) if href else None


def _merge(first: Item | None, second: Item) -> Item:
    """The same article twice (a 'featured' block): keep what either copy knows."""
    if first is None:
        return second
    return Item(
        key=first.key,
        url=first.url,
        title=first.title if len(first.title) >= len(second.title) else second.title,
        summary=first.summary or second.summary,
        published=first.published or second.published,
    )


def _fill_from_articles(items: list[Item], context: FetchContext, limit: int):
    filled, notes, fetched = [], [], 0
    for item in items:
        if item.key in context.known_keys or (item.published and item.summary) or fetched >= limit:
            filled.append(item)
            continue
        fetched += 1
        try:
            response = context.http.get(item.url, conditional=False, accept="text/html")
            raise_for_status(response)
        except FetchError as error:
            notes.append(f"could not read {item.url}: {error}")
            filled.append(item)
            continue
        page = _parsed(response.body)
        published = item.published or _date(_first(page, ARTICLE_DATE_META))
        summary = item.summary or _meta_text(_first(page, ARTICLE_SUMMARY_META))
        filled.append(
            Item(key=item.key, url=item.url, title=item.title, summary=summary, published=published)
        )
    return filled, notes


def _first(tree: LexborHTMLParser, selectors: tuple[str, ...]):
    return next((node for s in selectors if (node := tree.css_first(s)) is not None), None)


def _meta_text(node: LexborNode | None) -> str:
    return _SPACES.sub(" ", node.attributes.get("content") or "").strip() if node else ""


def _date(node: LexborNode | None) -> datetime | None:
    """A date from <time datetime>, <meta content> or text in the formats CMSs print:
    '2024-02-20', '20/02/2024', '20 February 2024', '20th Feb 2024', 'Feb 20, 2024'."""
    if node is None:
        return None
    text = node.attributes.get("datetime") or node.attributes.get("content") or _text(node)
    return find_date(text)


def _text(node: LexborNode | None) -> str:
    return _SPACES.sub(" ", node.text()).strip() if node is not None else ""
