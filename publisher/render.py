"""Templates: jinja2 with the user's, plugins' and built-in folders; MJML to HTML."""

from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files
from itertools import zip_longest
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from mjml import mjml2html

from publisher.config import Config
from publisher.editions import amended_wording, note_check
from publisher.plugins import load_plugins
from publisher.sanitise import clean_html, feed_summary_html, html_to_text, shows_its_address
from publisher.urls import site_link

BUILTIN_TEMPLATES = Path(str(files("publisher.templates")))
# Markdown written by the LA team; raw HTML is off so a body cannot smuggle in markup.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(text: str) -> Markup:
    """HTML of the team's markdown, marked safe for templates: raw HTML in it is shown as
    typed (never run), and links pass the sanitiser's URL rules."""
    return clean_html(_markdown.render(text or ""))


def markdown_to_text(text: str) -> str:
    """The team's markdown as plain text a person reads (see ``html_to_readable_text``)."""
    return _readable_text(markdown_to_html(text))


def html_to_readable_text(untrusted: str | None) -> str:
    """HTML (a feed item's or an editorial entry's summary) as plain text a person reads,
    for text emails, with everything the cleaned HTML shows once, in reading order:
    headings underlined, quotes marked ``> ``, list items with dashes or their numbers
    (nested ones indented), table rows as ``Header: value`` pairs, links followed by their
    address (unless their text is it), blocks a blank line apart. (``html_to_text`` gives
    one line, for titles.)"""
    return _readable_text(clean_html(untrusted))


def _readable_text(cleaned: Markup) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(f"<body>{cleaned}</body>")
    for node in tree.css(_TOO_DEEP):  # nesting no one writes: the walker below recurses
        _keep_only_its_words(node)
    for link in tree.css("a[href]"):
        href = link.attributes["href"] or ""
        if href and not shows_its_address(link.text(), href):
            link.insert_after(f" ({href})")
    return "\n\n".join(_text_blocks(tree.body))


def _keep_only_its_words(node) -> None:
    """The element's text in place of what it holds."""
    words = node.text(separator=" ")
    for child in list(node.iter(include_text=True)):
        child.decompose()
    node.insert_child(words)


_TOO_DEEP = "body" + " > *" * 64  # 20 levels of Markdown nesting use 40 at most
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = _HEADINGS + ("p", "div", "pre", "blockquote", "ul", "ol", "li", "table", "dl")
_HOLDS_A_BLOCK = ", ".join(_BLOCKS)
_LINE_BREAK = "\ue000"  # stands for <br> while runs of whitespace are collapsed


def _text_blocks(container) -> list[str]:
    """The blocks (paragraphs, lists, quotes ...) of an element, as text; loose inline
    content (a tight list item's words) counts as one paragraph, and blocks inside an
    inline element (a feed's link around a paragraph) are blocks too."""
    blocks, inline = [], []
    for node in container.iter(include_text=True):
        if node.tag in _BLOCKS:
            blocks += [_inline_text(inline), _text_block(node)]
            inline = []
        elif node.tag != "-text" and node.css_first(_HOLDS_A_BLOCK) is not None:
            blocks += [_inline_text(inline), *_text_blocks(node)]
            inline = []
        else:
            inline.append(node)
    blocks.append(_inline_text(inline))
    return [block for block in blocks if block]


def _text_block(node) -> str:
    if node.tag in _HEADINGS:
        words = _inline_text(node.iter(include_text=True))
        return f"{words}\n{'-' * len(words)}" if words else ""
    if node.tag == "pre":
        return node.text().strip("\n")
    if node.tag == "blockquote":
        return _prefixed("\n\n".join(_text_blocks(node)), "> ", ">")
    if node.tag == "div":
        return "\n\n".join(_text_blocks(node))
    if node.tag in ("ul", "ol"):
        return _list_text(node)
    if node.tag == "li":  # outside any list
        return _item_text("- ", _text_blocks(node), "\n")
    if node.tag == "dl":
        return _definitions_text(node)
    if node.tag == "table":
        return _table_text(node)
    return _inline_text(node.iter(include_text=True))


def _inline_text(nodes) -> str:
    """Words with single spaces; a <br> starts a new line."""
    text = "".join(_LINE_BREAK if node.tag == "br" else node.text() for node in nodes)
    return "\n".join(" ".join(line.split()) for line in text.split(_LINE_BREAK)).strip()


def _list_text(node) -> str:
    """Items with a dash or their number, as the HTML numbers them; what an item holds
    (more paragraphs, a nested list) is indented under its first line."""
    items = [child for child in node.iter() if child.tag == "li"]
    loose = any(child.tag == "p" for item in items for child in item.iter())
    gap = "\n\n" if loose else "\n"
    start = node.attributes.get("start") or "1"
    first = int(start) if start.isdigit() else 1
    texts = []
    for number, item in enumerate(items, first):
        marker = f"{number}. " if node.tag == "ol" else "- "
        texts.append(_item_text(marker, _text_blocks(item), gap))
    return gap.join(texts)


def _item_text(marker: str, blocks: list[str], gap: str) -> str:
    """A list item: its marker, then what it holds, indented under its first line."""
    body = _prefixed(gap.join(blocks), " " * len(marker), "")
    return marker + body[len(marker) :]


def _definitions_text(node) -> str:
    """A definition list: each term on its own line, its definitions indented under it."""
    lines = []
    for child in node.iter():
        if child.tag in ("dt", "dd"):
            text = "\n".join(_text_blocks(child))
            lines.append(_prefixed(text, "  ", "") if child.tag == "dd" else text)
    return "\n".join(line for line in lines if line)


def _table_text(node) -> str:
    """One line a row, each cell named by its column's header: 'Paragraph: 48 | Change:
    amended' (a proportional font would break aligned columns)."""
    children = list(node.iter())
    rows = [  # the table's own rows, not those of a table in one of its cells
        [" ".join(_text_blocks(cell)) for cell in row.iter() if cell.tag in ("th", "td")]
        for part in (node, *children)
        if part.tag in ("table", "thead", "tbody", "tfoot")
        for row in part.iter()
        if row.tag == "tr"
    ]
    header = rows.pop(0) if rows and any(child.tag == "thead" for child in children) else []
    caption = next((child for child in children if child.tag == "caption"), None)
    title = [_inline_text(caption.iter(include_text=True))] if caption else []
    lines = [] if rows else [" | ".join(cell for cell in header if cell)]
    for row in rows:
        cells = [
            f"{label}: {value}" if label else value
            for label, value in zip_longest(header, row, fillvalue="")
            if value
        ]
        lines.append(" | ".join(cells))
    return "\n".join(line for line in [*title, *lines] if line)


def _prefixed(text: str, prefix: str, blank: str) -> str:
    """Each line of ``text`` after ``prefix`` (an empty line gets ``blank``)."""
    return "\n".join(prefix + line if line else blank for line in text.split("\n"))


def format_date(moment: date | datetime | str | None, style: str = "%d/%m/%Y") -> str:
    """A date in UK style; accepts dates, datetimes and ISO text."""
    if isinstance(moment, str):
        moment = date.fromisoformat(moment[:10])
    return moment.strftime(style) if moment else ""


class Renderer:
    """Renders named templates. Search order: ``settings.templates`` from feeds.yaml,
    plugin template folders, then the built-in templates."""

    def __init__(self, config: Config | None = None):
        self.config = config
        folders: list[Path] = []
        if config and config.settings.templates:
            folders.append(config.settings.templates)
        pm = load_plugins()
        for plugin_folders in pm.hook.template_dirs():
            folders.extend(Path(folder) for folder in plugin_folders)
        folders.append(BUILTIN_TEMPLATES)
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in folders]),
            autoescape=jinja2.select_autoescape(["html", "xml", "mjml"]),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters.update(
            clean_html=clean_html,
            feed_summary=feed_summary_html,
            plain=html_to_text,
            markdown=markdown_to_html,
            markdown_text=markdown_to_text,
            readable_text=html_to_readable_text,
            date=format_date,
            link=site_link,
            amended_wording=amended_wording,
            note_check=note_check,
        )

    def render(self, template_name: str, **context) -> str:
        context.setdefault("config", self.config)
        load_plugins().hook.prepare_context(context=context, template_name=template_name)
        return self.env.get_template(template_name).render(**context)

    def render_mjml(self, template_name: str, **context) -> str:
        """Render an MJML template and compile it to email-ready HTML."""
        return mjml2html(self.render(template_name, **context))
