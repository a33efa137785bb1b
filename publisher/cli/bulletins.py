"""Monthly bulletins: `bulletin build|show|list`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from publisher.bulletins import (
    bulletin_context,
    gather,
    read_editorial,
    saved_editorial,
    stored_bulletin,
)
from publisher.cli.app import App, echo_json, format_option, pass_app
from publisher.errors import PublisherError
from publisher.letters import write_previews
from publisher.render import Renderer
from publisher.text import plural


@click.group()
def bulletin() -> None:
    """Monthly bulletins: statutory updates, MI sheets and news, per audience."""


@bulletin.command(name="build")
@click.option("--month", required=True, help="The month, e.g. 2024-02.")
@click.option(
    "--editorial",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A YAML file: intro, order (section titles), drop (urls/titles), add.",
)
@pass_app
def bulletin_build(app: App, month: str, editorial: Path | None) -> None:
    """Gather a month's bulletin, store it, and write an email per audience to preview.

    Without --editorial, the editorial last saved for the month in the web app is used.
    """
    config = app.config
    saved = saved_editorial(app.data_dir, month)
    editorial = editorial or (saved if saved.exists() else None)
    built = gather(config, app.store, month, read_editorial(editorial) if editorial else None)
    if not built.entry_count:
        raise PublisherError(
            f"nothing stored for {month}: no bulletin built (run `publisher fetch`, or add "
            "entries with --editorial)"
        )
    with app.store.transaction():
        app.store.save_bulletin(built)
    click.echo(f"{built.title}: {plural(built.entry_count, 'entry', 'entries')}")
    for section in built.sections:
        click.echo(f"  {section.title}: {len(section.entries)}")
    folder = app.data_dir / "bulletins" / month
    previews = write_previews(Renderer(config), config, built, folder, app.data_dir)
    for audience, path in previews.items():
        entries = plural(built.for_audience(audience).entry_count, "entry", "entries")
        click.echo(f"  for {config.audiences[audience]}: {entries}, {path}")


@bulletin.command(name="show")
@click.option("--month", required=True, help="The month, e.g. 2024-02.")
@click.option("--audience", help="Only what this audience (id) gets.")
@format_option
@pass_app
def bulletin_show(app: App, month: str, audience: str | None, output_format: str) -> None:
    """Show a stored bulletin, as its plain-text email or as JSON."""
    app.audience_id(audience)
    built = stored_bulletin(app.store, month)
    if audience:
        built = built.for_audience(audience)
    if output_format == "json":
        echo_json(json.loads(built.to_json()))
        return
    name = app.config.audiences[audience] if audience else "everyone"
    context = bulletin_context(app.config, built, name)
    click.echo(Renderer(app.config).render("email/bulletin.txt", **context), nl=False)


@bulletin.command(name="list")
@format_option
@pass_app
def bulletin_list(app: App, output_format: str) -> None:
    """List stored bulletins, newest first."""
    rows = app.store.bulletins()
    if output_format == "json":
        echo_json([json.loads(b.to_json()) for b in rows])
        return
    for built in rows:
        entries = plural(built.entry_count, "entry", "entries")
        click.echo(f"{built.month}  {entries:>11}  {built.title}")


@bulletin.command(name="delete")
@click.option("--month", required=True, help="The month, e.g. 2024-02.")
@pass_app
def bulletin_delete(app: App, month: str) -> None:
    """Delete a stored bulletin (an empty or mistaken one); the next build drops its pages."""
    with app.store.transaction():
        deleted = app.store.delete_bulletin(month)
    if not deleted:
        raise click.BadParameter(f"no bulletin for {month}", param_hint="--month")
    click.echo(f"Deleted the {month} bulletin. Run 'publisher build' to update the site.")
