"""Templates: jinja2 with the user's, plugins' and built-in folders; MJML to HTML."""

from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from mjml import mjml2html

from publisher.config import Config
from publisher.editions import amended_wording, note_check
from publisher.plugins import load_plugins
from publisher.sanitise import clean_html, feed_summary_html, html_to_text
from publisher.urls import site_link

BUILTIN_TEMPLATES = Path(str(files("publisher.templates")))
# Markdown written by the LA team; raw HTML is off so a body cannot smuggle in markup.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(text: str) -> Markup:
    """HTML of the team's markdown, marked safe for templates: raw HTML in it is shown as
    typed (never run), and links pass the sanitiser's URL rules."""
    return clean_html(_markdown.render(text or ""))


def markdown_to_text(text: str) -> str:
    """The team's markdown as plain text a person reads: headings underlined, list items
    with dashes, links followed by their address, no ``**`` or ``##`` left over."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(f"<body>{markdown_to_html(text)}</body>")
    for link in tree.css("a[href]"):
        if link.text(strip=True) != link.attributes["href"]:
            link.insert_after(f" ({link.attributes['href']})")
    blocks = []
    for node in tree.css("h1, h2, h3, h4, p, li, blockquote > p, pre"):
        words = " ".join(node.text().split())
        if node.tag in ("h1", "h2", "h3", "h4"):
            blocks.append(f"{words}\n{'-' * len(words)}")
        elif node.tag == "li":
            blocks.append(f"- {words}")
        elif node.parent is None or node.parent.tag != "li":
            blocks.append(words)
    return "\n\n".join(blocks)


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
