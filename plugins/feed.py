"""The ``feed`` source kind: RSS 2.0, Atom and RDF feeds, parsed by feedparser."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from publisher import hookimpl
from publisher.dates import from_struct_time
from publisher.discover import find_feed_links, looks_like_html
from publisher.http import FetchError, raise_for_status
from publisher.models import Item, SourceResult, digest
from publisher.sources import FetchContext, SourceKind
from publisher.text import plural

if TYPE_CHECKING:
    from publisher.config import SourceConfig

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


@hookimpl
def register_sources(register):
    register(
        SourceKind("feed", fetch_feed, "an RSS 2.0, Atom or RDF feed, or a page that links to one")
    )


def fetch_feed(source: SourceConfig, context: FetchContext) -> SourceResult:
    """Read the feed at ``url``; if ``url`` is a web page, use the feed it advertises and
    remember it (``resolved_url``). When a remembered feed fails, discover again."""
    remembered = context.state.resolved_url
    if remembered and remembered != source.url:
        try:
            return _read_feed(remembered, context)
        except FetchError as error:
            result = _read_configured(source.url, context)
            note = f"the feed found earlier, {remembered}, failed ({error}); discovered again"
            return replace(result, notes=(note, *result.notes))
    return _read_configured(source.url, context)


def _read_configured(url: str, context: FetchContext) -> SourceResult:
    response = context.http.get(url, accept=ACCEPT)
    raise_for_status(response)
    if response.not_modified:
        return SourceResult(not_modified=True)
    if looks_like_html(response.body, response.headers.get("Content-Type")):
        links = find_feed_links(response.body, response.url)
        if not links:
            raise FetchError(f"not a feed, and the page at {url} links to no RSS or Atom feed")
        result = _read_feed(links[0].url, context)
        return replace(
            result,
            notes=(f"using the {links[0].kind} feed it links to: {links[0].url}", *result.notes),
        )
    return _result(url, response, context)


def _read_feed(url: str, context: FetchContext) -> SourceResult:
    response = context.http.get(url, accept=ACCEPT)
    raise_for_status(response)
    if response.not_modified:
        return SourceResult(not_modified=True, resolved_url=url)
    return replace(_result(url, response, context), resolved_url=url)


def _result(url: str, response, context: FetchContext) -> SourceResult:
    items, problem = parse_feed(response.body, response.url, response.headers)
    if not problem:
        return SourceResult(items=items, resolved_url=response.url)
    context.http.distrust(url)  # read it in full again next run, whatever the server says
    return SourceResult(
        items=items, resolved_url=response.url, notes=(f"parsed despite errors: {problem}",)
    )


def parse_feed(
    body: bytes, url: str, headers: Mapping[str, str] | None = None, fast: bool = True
) -> tuple[tuple[Item, ...], str | None]:
    """Items of a feed document and, if it was malformed but readable, what was wrong.

    Plain RSS 2.0 and Atom documents take the fast path (``plain_feeds``), the rest
    feedparser; ``fast=False`` uses feedparser for every document (tests compare the two).
    Raises ``FetchError`` when the body is not a feed at all.
    """
    content_type = (headers or {}).get("Content-Type", "")  # requests' headers ignore case
    # On use: start-up stays quick for commands that parse no feed.
    from publisher_plugins.plain_feeds import plain_feed_entries

    plain = plain_feed_entries(body, url, content_type) if fast else None
    if plain is not None:
        return tuple(_item(entry) for entry in plain), None
    import feedparser

    response_headers = {"content-location": url}
    if content_type:
        response_headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=response_headers)
    problem = _bozo_reason(parsed) if parsed.bozo else None
    if not parsed.version and not parsed.entries:
        reason = problem or "no RSS, Atom or RDF found"
        raise FetchError(f"not a feed ({content_type or 'unknown type'}): {reason}")
    if problem and not parsed.entries:
        raise FetchError(f"unreadable feed: {problem}")
    entries = parsed.entries
    if problem and _cut_short(body):
        # Only entries whose closing tag arrived are whole; the one cut off (perhaps inside
        # its <guid>) must not be stored, or it would come back as a phantom duplicate.
        entries = entries[: body.count(b"</item>") + body.count(b"</entry>")]
        kept = plural(len(entries), "whole entry", "whole entries")
        problem = f"truncated feed: the document ends early; kept {kept}"
    return tuple(_item(entry) for entry in entries), problem


def _cut_short(body: bytes) -> bool:
    """Whether a feed document ends before its root element closes."""
    tail = body.rstrip()[-64:].lower()
    return not tail.endswith((b"</rss>", b"</feed>", b"</rdf:rdf>"))


def _item(entry) -> Item:
    link = entry.get("link") or ""
    title = entry.get("title") or link or "(untitled)"
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry.content[0].get("value", "")
    # dict.get: FeedParserDict.get("updated_parsed") silently falls back to the published date.
    updated = from_struct_time(dict.get(entry, "updated_parsed"))
    published = from_struct_time(dict.get(entry, "published_parsed")) or updated
    return Item(
        key=entry.get("id") or link or digest(title, summary),
        url=link,
        title=title,
        summary=summary,
        published=published,
        updated=updated,
        tags=tuple(tag.term for tag in entry.get("tags", ()) if tag.get("term")),
    )


def _bozo_reason(parsed) -> str:
    exception = parsed.get("bozo_exception")
    return str(getattr(exception, "getMessage", lambda: exception)()) if exception else "malformed"
