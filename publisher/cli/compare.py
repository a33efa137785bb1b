"""Guidance comparison: `compare`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from publisher.errors import InputError

FORMATS = ("text", "json", "html", "markdown")


@click.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="markdown is the edition summary, chapter by chapter.",
)
@click.option(
    "--note",
    help="A change note to check against the documents (page and "
    "paragraph references confirmed, not found, or changes it does not mention).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of to the terminal.",
)
def compare(old: str, new: str, output_format: str, note: str | None, output: Path | None):
    """Compare two editions of a guidance document, paragraph by paragraph.

    OLD and NEW are files or web addresses: PDFs (GOV.UK attachments) or GOV.UK HTML
    publications. Text that only moved page or was renumbered is not a change; each
    change gives its page and paragraph in both editions.
    """
    from publisher.comparison import compare as compare_documents
    from publisher.comparison import read_document
    from publisher.comparison.crosscheck import cross_check
    from publisher.comparison.report import as_html, as_markdown, as_text

    comparison = compare_documents(
        read_document(_read(old), _name(old)), read_document(_read(new), _name(new))
    )
    cross = cross_check(note, comparison) if note else None
    if output_format == "json":
        data = comparison.to_json()
        if cross:
            data["cross_check"] = cross.to_json()
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif output_format == "html":
        from publisher.render import Renderer

        text = as_html(comparison, cross, Renderer())
    elif output_format == "markdown":
        text = as_markdown(comparison)
    else:
        text = as_text(comparison, cross)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output} ({len(comparison.changes)} changes).")
    else:
        click.echo(text, nl=False)


def _name(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1] or location


def _read(location: str) -> bytes:
    if location.startswith(("http://", "https://")):
        from publisher.http import FetchError, HttpClient

        try:
            response = HttpClient().get(location, conditional=False)
        except FetchError as error:
            raise InputError(f"{location}: {error}") from None
        if response.status >= 400:
            raise InputError(f"{location}: HTTP {response.status}")
        return response.body
    path = Path(location)
    if not path.is_file():
        raise InputError(f"{location}: no such file")
    content = path.read_bytes()
    if not content.strip():
        raise InputError(f"{location}: the file is empty")
    return content
