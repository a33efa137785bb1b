"""MI sheets: `mi new|list|show|edit|approve|publish|delete`."""

from __future__ import annotations

import io
import sys
from collections import Counter

import click

from publisher.actions import action_status
from publisher.cli.app import App, echo_json, format_option, pass_app
from publisher.dates import to_iso, uk_today, utcnow
from publisher.errors import InputError
from publisher.notices import (
    approve,
    check_editable,
    check_fields,
    check_replaces,
    delete,
    edit,
    find,
    new_draft,
    notice_context,
    parse_datetime,
    publish,
)
from publisher.render import Renderer
from publisher.serialise import notice_json
from publisher.sheet_files import from_markdown, to_markdown
from publisher.subscribers import write_inert_csv


@click.group()
def mi() -> None:
    """MI sheets: draft, edit, approve and publish Management Information Sheets."""


@mi.command(name="new")
@click.option("--title", help="The sheet's title.")
@click.option("--from-change", "change_id", type=int, help="Start from a detected change (its id).")
@click.option("--type", "notice_type", help="Action or Information (settings.mi_types).")
@click.option("--due", help="Working days after publication (e.g. 7) or a date (2024-01-12).")
@click.option("--audience", "audiences", multiple=True, help="An audience id (repeatable).")
@click.option("--contact", help="The LA contact [default: organisation contact].")
@click.option("--body-file", type=click.File(encoding="utf-8"), help="Markdown body.")
@click.option("--replaces", help="The number of the published sheet this one corrects.")
@pass_app
def mi_new(app: App, title, change_id, notice_type, due, audiences, contact, body_file, replaces):
    """Create a draft MI sheet, blank (--title) or from a detected change (--from-change)."""
    created = new_draft(
        app.config,
        app.store,
        title=title,
        change_id=change_id,
        replaces=replaces,
        type=notice_type,
        due=due,
        audiences=audiences,
        contact=contact,
        body=body_file.read() if body_file else None,
    )
    click.echo(f"Created draft #{created.id}: {created.title}")
    click.echo(f"Edit it with 'publisher mi edit {created.id}', then approve and publish.")


@mi.command(name="list")
@click.option("--status", type=click.Choice(["draft", "approved", "published"]))
@format_option
@pass_app
def mi_list(app: App, status: str | None, output_format: str) -> None:
    """List MI sheets: published ones in order, then drafts."""
    notices = app.store.notices(status=status)
    if output_format == "json":
        echo_json([notice_json(app.config, n) for n in notices])
        return
    for notice in notices:
        when = f"{notice.published:%d/%m/%Y}" if notice.published else notice.status
        due = f" by {notice.deadline:%d/%m/%Y}" if notice.deadline else ""
        click.echo(
            f"#{notice.id:<4} {notice.number or '-':>6}  {when:<10}  "
            f"{notice.type}{due}: {notice.title}"
        )


@mi.command(name="show")
@click.argument("reference")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@pass_app
def mi_show(app: App, reference: str, output_format: str) -> None:
    """Show one MI sheet, by number (1/24) or id."""
    notice = find(app.store, reference)
    if output_format == "json":
        echo_json(notice_json(app.config, notice))
    elif output_format == "markdown":
        click.echo(to_markdown(notice), nl=False)
    else:
        context = notice_context(app.config, notice)
        click.echo(Renderer(app.config).render("email/mi_sheet.txt", **context), nl=False)


@mi.command(name="edit")
@click.argument("reference")
@click.option(
    "--file",
    "source",
    type=click.File(encoding="utf-8"),
    help="Read the sheet from this markdown file instead of opening $EDITOR.",
)
@pass_app
def mi_edit(app: App, reference: str, source) -> None:
    """Edit a draft: its fields (YAML front matter) and markdown body.

    If what you wrote cannot be read, it is kept in a file (its path is printed) and, at a
    terminal, you can open it again to fix it: nothing you typed is lost.
    """
    notice = find(app.store, reference)
    check_editable(notice)
    text = source.read() if source else click.edit(to_markdown(notice), extension=".md")
    while True:
        if text is None:
            click.echo("No changes.")
            return
        try:
            edited = from_markdown(text, notice)
            check_fields(app.config, edited)
            check_replaces(app.store, edited.replaces)
            break
        except InputError as error:
            kept = app.data_dir / "unsaved" / f"mi-{notice.id}.md"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(text, encoding="utf-8")
            click.echo(f"publisher mi edit: {error}. What you wrote is kept in {kept}", err=True)
            if source or not sys.stdin.isatty() or not click.confirm("Open it again to fix it?"):
                raise SystemExit(2) from None
            text = click.edit(text, extension=".md")
    edited = edit(app.store, notice, edited)
    click.echo(f"Saved draft #{edited.id}: {edited.title}")
    if notice.status == "approved":
        click.echo("It was approved: edited, it is a draft again and needs approving again.")


@mi.command(name="approve")
@click.argument("reference")
@pass_app
def mi_approve(app: App, reference: str) -> None:
    """Approve a draft for publication."""
    notice = approve(app.store, find(app.store, reference))
    click.echo(f"Approved #{notice.id}: {notice.title}")


@mi.command(name="publish")
@click.argument("reference")
@click.option(
    "--at",
    "at_text",
    help="Publication time, UK local, now or earlier (back-dates an import; from 2000, never "
    "in the future), e.g. '2024-01-03 10:00' [default: now].",
)
@click.option(
    "--force",
    is_flag=True,
    help="Publish a deadline of 0 or over 60 working days (never over two years).",
)
@pass_app
def mi_publish(app: App, reference: str, at_text: str | None, force: bool) -> None:
    """Publish an approved sheet: it gets its number and deadline, and is frozen."""
    at = parse_datetime(at_text) if at_text else utcnow()
    notice = publish(app.store, find(app.store, reference), at, force=force)
    click.echo(f"Published {notice.subject}")


@mi.command(name="delete")
@click.argument("reference")
@pass_app
def mi_delete(app: App, reference: str) -> None:
    """Delete a draft (published sheets are kept; their numbers are never reused)."""
    notice = find(app.store, reference)
    delete(app.store, notice)
    click.echo(f"Deleted draft #{notice.id}")


@mi.command(name="status")
@click.argument("reference")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
)
@pass_app
def mi_status(app: App, reference: str, output_format: str) -> None:
    """Which schools confirmed an ACTION sheet is done, which have not, which are overdue."""
    notice = find(app.store, reference)
    today = uk_today()
    rows = [
        {
            "school": school.school,
            "status": school.status(notice.deadline, today),
            "confirmed_by": school.confirmed_by,
            "confirmed_at": to_iso(school.confirmed_at),
            "note": school.note,
            "recipients": list(school.recipients),
        }
        for school in action_status(app.store, notice)
    ]
    if output_format == "json":
        echo_json(rows)
    elif output_format == "csv":
        output = io.StringIO()
        columns = ["school", "status", "confirmed_by", "confirmed_at", "note"]
        write_inert_csv(output, columns, ([row[key] or "" for key in columns] for row in rows))
        click.echo(output.getvalue(), nl=False)
    else:
        counts = Counter(row["status"] for row in rows)
        click.echo(
            f"{notice.subject}: {counts['confirmed']} confirmed, {counts['waiting']} waiting, "
            f"{counts['overdue']} overdue, of {len(rows)} schools"
        )
        for row in rows:
            when = (
                f" {row['confirmed_at'][:10]} by {row['confirmed_by']}"
                if row["confirmed_at"]
                else ""
            )
            click.echo(f"  {row['status']:<9} {row['school']}{when}")
