"""The ``page`` source kind: any HTML page, watched for changes to its main text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from publisher import hookimpl
from publisher.http import FetchError, raise_for_status
from publisher.models import Snapshot, SourceResult, digest
from publisher.sources import FetchContext, SourceKind

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from publisher.config import SourceConfig

DEFAULT_SELECTORS = ("main", "[role=main]", "article", "#content", "body")
SKIPPED = {"script", "style", "noscript", "template", "svg", "iframe", "form", "button"}
BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}
_SPACES = re.compile(r"\s+")


@hookimpl
def register_sources(register):
    register(
        SourceKind(
            "page",
            fetch_page,
            "an HTML page watched for changes to its text",
            options={"selector": str},
        )
    )


def fetch_page(source: SourceConfig, context: FetchContext) -> SourceResult:
    response = context.http.get(source.url, accept="text/html")
    raise_for_status(response)
    if response.not_modified:
        return SourceResult(not_modified=True)
    selector = source.options.get("selector")
    title, text = main_text(response.body, selector)
    snapshot = Snapshot(
        key=source.url,
        url=response.url,
        title=source.options.get("title") or title or source.title,
        body_hash=digest(text),
        body_text=text,
        notes_expected=False,
    )
    return SourceResult(snapshots=(snapshot,), resolved_url=response.url)


def main_text(html: bytes, selector: str | None = None) -> tuple[str, str]:
    """The page title and the text of its main content, one block per line."""
    from selectolax.lexbor import LexborHTMLParser  # on use: start-up stays quick

    tree = LexborHTMLParser(html)
    selectors = (selector,) if selector else DEFAULT_SELECTORS
    node = next((found for s in selectors if (found := tree.css_first(s)) is not None), None)
    if node is None:
        raise FetchError(f"no element matches the selector {selector!r} on this page")
    title_node = tree.css_first("title")
    title = _SPACES.sub(" ", title_node.text()).strip() if title_node else ""
    pieces: list[str] = []
    _collect_text(node, pieces)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(pieces).split("\n"))
    return title, "\n".join(line for line in lines if line)


def _collect_text(node: LexborNode, pieces: list[str]) -> None:
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            pieces.append(child.text_content or "")
        elif child.tag not in SKIPPED:
            block = child.tag in BLOCKS
            if block:
                pieces.append("\n")
            _collect_text(child, pieces)
            if block:
                pieces.append("\n")
