"""A fast path for the feeds most sources serve: well-formed RSS 2.0 and Atom 1.0 in
UTF-8, entries made of the common elements only.

The C XML parser reads them in a tenth of feedparser's time (feedparser's pure-Python
element handlers were most of a cold fetch's CPU). Every value goes through the steps
feedparser's own ``pop`` applies (whitespace, relative URLs, its HTML sanitiser, its date
parser), so an entry read here equals the one feedparser gives: tests compare the two on
every fixture feed and on generated ones. Anything else (other formats and encodings, a
DOCTYPE, ``xml:base``, unknown or repeated elements, markup inside an element) returns
``None`` and the caller uses feedparser, which knows every exotic and broken variant.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ElementTree

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import _sanitize_html
from feedparser.urls import _urljoin, resolve_relative_uris
from feedparser.util import FeedParserDict as Entry

ATOM = "{http://www.w3.org/2005/Atom}"
RSS_ELEMENTS = {"title", "link", "description", "guid", "pubDate", "category"}
ATOM_ELEMENTS = {f"{ATOM}{name}" for name in ("id", "title", "updated", "published")} | {
    f"{ATOM}{name}" for name in ("link", "summary", "category", "author")
}
AUTHOR_PARTS = {f"{ATOM}name", f"{ATOM}uri", f"{ATOM}email"}
LINK_ATTRIBUTES = {"href", "rel", "type", "title", "hreflang", "length"}
DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']*)""")
REPEATABLE = {"category", f"{ATOM}link", f"{ATOM}category", f"{ATOM}author"}
HTML_TYPES = _FeedParserMixin.html_types
# feedparser's element names: which hold URLs, which may hold markup
URL_ELEMENTS = {"id", "link"}
MARKUP_ELEMENTS = {"title", "description", "summary"}


class NotPlain(Exception):
    """This document needs feedparser."""


def plain_feed_entries(body: bytes, base: str, content_type: str = "") -> list[Entry] | None:
    """The entries of a plain RSS 2.0 or Atom 1.0 document, as feedparser would give them
    (the keys publisher reads), or ``None`` if it is not such a document."""
    if not _plain_bytes(body, content_type):
        return None
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - no DOCTYPE, so no entities
        if (
            root.tag == "rss"
            and root.get("version") == "2.0"
            and not root.attrib.keys() - {"version"}
        ):
            return [_rss_entry(item, base) for item in _entries(root, "item")]
        if root.tag == f"{ATOM}feed":
            return [_atom_entry(entry, base) for entry in _entries(root, f"{ATOM}entry")]
    except (ElementTree.ParseError, NotPlain):
        pass
    return None


def _plain_bytes(body: bytes, content_type: str) -> bool:
    """UTF-8 by every account, and nothing that makes feedparser rewrite the document
    before parsing it (a DOCTYPE, entity declarations) or change its base URL."""
    declared = DECLARED_ENCODING.match(body)
    if declared and declared.group(1).lower() != b"utf-8":
        return False
    media, _, parameters = content_type.lower().partition(";")
    if "charset" in parameters and "utf-8" not in parameters:
        return False
    if media.strip().startswith("text/") and not body.isascii():
        return False  # RFC 3023: text/xml without a charset is US-ASCII to feedparser
    lowered = body.lower()
    declarations = b"<!doctype" in lowered or b"<!entity" in lowered
    # UTF-16 and 32 start with a byte-order mark or hold NUL bytes; UTF-8 XML never does.
    utf8 = body.lstrip().startswith(b"<") and b"\x00" not in body
    return utf8 and not declarations and b"xml:base" not in body


def _entries(root: ElementTree.Element, tag: str) -> list[ElementTree.Element]:
    container = root.find("channel") if tag == "item" else root
    entries = container.findall(tag) if container is not None else []
    if len(entries) != sum(1 for _ in root.iter(tag)):
        raise NotPlain  # entries outside their usual place
    return entries


def _children(entry: ElementTree.Element, allowed: set[str]) -> list[ElementTree.Element]:
    children = list(entry)
    seen = set()
    for child in children:
        if child.tag not in allowed or (child.tag in seen and child.tag not in REPEATABLE):
            raise NotPlain
        seen.add(child.tag)
    return children


def _text(element: ElementTree.Element, attributes: set[str] = frozenset()) -> str:
    """The element's text, which must be all it holds."""
    if len(element) or element.attrib.keys() - attributes:
        raise NotPlain
    return element.text or ""


def _finish(
    element: str,
    text: str,
    base: str,
    content_type: str | None = None,
    guid_is_link: bool = True,
    guess_html: bool = False,
) -> str:
    """feedparser's ``pop`` for one element of a strictly parsed document."""
    output = text.strip()
    if element in URL_ELEMENTS and output and (element != "id" or guid_is_link):
        output = _urljoin(base, output)
    if guess_html and content_type == "text/plain" and _FeedParserMixin.looks_like_html(output):
        content_type = "text/html"
    # Text with no markup passes through both of feedparser's HTML steps unchanged.
    markup = "<" in output or "&" in output or "\r" in output
    if markup and content_type in HTML_TYPES and element in MARKUP_ELEMENTS:
        output = resolve_relative_uris(output, base, "utf-8", content_type)
        output = _sanitize_html(output, "utf-8", content_type)
    if output.isascii():  # nothing for either repair below to change
        return output
    with contextlib.suppress(UnicodeError):  # UTF-8 read as Latin-1: repaired, as feedparser does
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(_cp1252)


def _content_type(element: ElementTree.Element, default: str) -> str:
    declared = _FeedParserMixin.map_content_type(element.get("type", default))
    if declared not in {"text/plain", "text/html"}:
        raise NotPlain  # xhtml, base64 and other types take feedparser's longer road
    return declared


def _rss_entry(item: ElementTree.Element, base: str) -> Entry:
    entry = Entry()
    guid_link = None
    for child in _children(item, RSS_ELEMENTS):
        tag = child.tag
        if tag == "title":
            entry["title"] = _finish("title", _text(child), base, "text/plain", guess_html=True)
        elif tag == "link":
            link = _finish("link", _text(child), base).replace("&amp;", "&")
            entry["link"] = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", link)
        elif tag == "description":
            entry["summary"] = _finish("description", _text(child), base, "text/html")
        elif tag == "guid":
            is_link = child.get("isPermaLink", "true") == "true"
            entry["id"] = _finish("id", _text(child, {"isPermaLink"}), base, guid_is_link=is_link)
            guid_link = entry["id"] if is_link else guid_link
        elif tag == "pubDate":
            entry["published_parsed"] = _parse_date(_finish("published", _text(child), base))
        else:  # category
            value = _finish("category", _text(child, {"domain"}), base)
            _category(entry, None, child.get("domain"), None, value)
    if "link" not in entry and guid_link is not None:
        entry["link"] = guid_link
    return entry


def _atom_entry(element: ElementTree.Element, base: str) -> Entry:
    entry = Entry()
    alternate = None
    for child in _children(element, ATOM_ELEMENTS):
        tag = child.tag.removeprefix(ATOM)
        if tag in ("title", "summary"):
            content_type = _content_type(child, "text")
            entry[tag] = _finish(tag, _text(child, {"type"}), base, content_type)
        elif tag == "id":
            entry["id"] = _finish("id", _text(child), base)
        elif tag in ("updated", "published"):
            entry[f"{tag}_parsed"] = _parse_date(_finish(tag, _text(child), base))
        elif tag == "link":
            alternate = _atom_link(child, base) or alternate
        elif tag == "category":
            value = _finish("category", _text(child, {"term", "scheme", "label"}), base)
            _category(entry, child.get("term"), child.get("scheme"), child.get("label"), value)
        elif child.attrib or any(part.tag not in AUTHOR_PARTS or len(part) for part in child):
            raise NotPlain  # an author: a name, uri and email are all we read here
    link = alternate or entry.get("id")
    if link is not None:
        entry["link"] = link
    return entry


def _atom_link(link: ElementTree.Element, base: str) -> str | None:
    """The href of an alternate HTML link, as feedparser chooses ``entry.link``."""
    href = link.get("href")
    if href is None or len(link) or link.attrib.keys() - LINK_ATTRIBUTES:
        raise NotPlain
    rel = link.get("rel", "alternate")
    kind = link.get("type", "application/atom+xml" if rel == "self" else "text/html")
    if rel == "alternate" and _FeedParserMixin.map_content_type(kind) in HTML_TYPES:
        return _urljoin(base, href)
    return None


def _category(
    entry: Entry, term: str | None, scheme: str | None, label: str | None, value: str
) -> None:
    """feedparser's ``_start_category`` then ``_end_category``."""
    tags = entry.setdefault("tags", [])
    _add_tag(tags, term, scheme, label)
    if value:
        if tags and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            _add_tag(tags, value, None, None)


def _add_tag(tags: list, term: str | None, scheme: str | None, label: str | None) -> None:
    tag = Entry(term=term, scheme=scheme, label=label)
    if (term or scheme or label) and tag not in tags:
        tags.append(tag)
