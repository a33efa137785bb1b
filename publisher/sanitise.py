"""Untrusted HTML from feeds, made safe for pages, feeds and emails (nh3/Ammonia)."""

import html
import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_SPACE = re.compile(r"\s+")


def clean_html(untrusted: str) -> str:
    """Keep simple structure and links (http, https, mailto only); drop scripts, styles,
    event handlers, images and anything else that could run, track or restyle."""
    return nh3.clean(
        untrusted or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(untrusted: str) -> str:
    """Plain text of an HTML fragment, whitespace folded, for text emails and titles."""
    stripped = nh3.clean(untrusted or "", tags=set(), attributes={})
    return _SPACE.sub(" ", html.unescape(stripped)).strip()
