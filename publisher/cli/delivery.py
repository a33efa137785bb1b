"""Delivery: `subscribers import|list|remove|unsubscribe` and `send`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from publisher.bulletins import bulletin_letters, stored_bulletin
from publisher.cli.app import App, echo_json, format_option, pass_app
from publisher.cli.changes import send_alerts
from publisher.notices import find, letters_for_notice
from publisher.render import Renderer
from publisher.sending import send_letters
from publisher.subscribers import (
    canonical_emails,
    import_subscribers,
    plan_import,
    read_csv,
    write_csv,
)


@click.group()
def subscribers() -> None:
    """Subscribers: who receives which audiences' MI sheets and bulletins."""


@subscribers.command(name="import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--replace", is_flag=True, help="Set known subscribers' audiences to the file's (default: add)."
)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@pass_app
def subscribers_import(app: App, csv_file: Path, replace: bool, dry_run: bool) -> None:
    """Add or update subscribers from a CSV file (columns: email, name, school, audiences).

    Audiences are ids or names from feeds.yaml, separated by ';' (or ',' in a
    semicolon-separated file). UTF-8, UTF-16 and Windows-1252 files, with commas,
    semicolons or tabs, and Mailchimp-style headers ('Email Address', 'First Name') are
    read. A known subscriber keeps their audiences and gains the file's, unless --replace.
    Bad rows are reported with their line numbers and skipped; the good ones are kept.
    Exits 1 when nothing at all could be imported.
    """
    good, bad = read_csv(csv_file, app.config)
    if dry_run:
        plan = plan_import(app.store, good, replace_audiences=replace)
    else:
        plan = import_subscribers(app.store, good, replace_audiences=replace)
    for row in bad:
        click.echo(f"{csv_file} line {row.line}: {row.reason} (skipped)", err=True)
    for subscriber in plan.unsubscribed:
        click.echo(f"{subscriber.email} has unsubscribed (skipped)", err=True)
    if dry_run:
        for label, subscribers in (("new", plan.new), ("updated", plan.updated)):
            for subscriber in subscribers:
                click.echo(f"{label}: {subscriber.email} [{', '.join(subscriber.audiences)}]")
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {len(plan.new)} new and {len(plan.updated)} updated subscriber(s); "
        f"{len(plan.unchanged)} unchanged; skipped {len(plan.unsubscribed) + len(bad)}."
    )
    if not good:
        click.echo(f"publisher: nothing imported from {csv_file}", err=True)
        raise SystemExit(1)


@subscribers.command(name="export")
@click.argument("output", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--audience", help="Only subscribers in this audience (id).")
@pass_app
def subscribers_export(app: App, output, audience: str | None) -> None:
    """Write subscribers as CSV (to OUTPUT, default standard output), as import reads it."""
    write_csv(app.store.subscribers([audience] if audience else None), output)


@subscribers.command(name="list")
@click.option("--audience", help="Only subscribers in this audience (id).")
@format_option
@pass_app
def subscribers_list(app: App, audience: str | None, output_format: str) -> None:
    """List subscribers (those who unsubscribed are not listed)."""
    found = app.store.subscribers([audience] if audience else None)
    if output_format == "json":
        echo_json([asdict(subscriber) for subscriber in found])
        return
    for subscriber in found:
        click.echo(
            f"{subscriber.email}  {subscriber.name}  {subscriber.school}  "
            f"[{', '.join(subscriber.audiences)}]"
        )


@subscribers.command(name="remove")
@click.argument("emails", nargs=-1, required=True)
@pass_app
def subscribers_remove(app: App, emails: tuple[str, ...]) -> None:
    """Remove subscribers (a later import may add them again; see unsubscribe)."""
    addresses = canonical_emails(emails)
    with app.store.transaction():
        removed = [email for email in addresses if app.store.remove_subscriber(email)]
    click.echo(f"Removed {len(removed)} of {len(addresses)}.")


@subscribers.command(name="unsubscribe")
@click.argument("emails", nargs=-1, required=True)
@pass_app
def subscribers_unsubscribe(app: App, emails: tuple[str, ...]) -> None:
    """Put addresses on the unsubscribe list, which every send and import honours."""
    addresses = canonical_emails(emails)
    with app.store.transaction():
        for email in addresses:
            app.store.unsubscribe(email)
    click.echo(f"{len(addresses)} address(es) on the unsubscribe list.")


@click.command()
@click.option("--mi", "mi_reference", help="Send this published MI sheet (e.g. 1/24).")
@click.option("--bulletin", "month", help="Send this month's bulletin (e.g. 2024-02).")
@click.option("--alerts", is_flag=True, help="Send pending change alerts to the team.")
@click.option("--audience", "audiences", multiple=True, help="Only these audiences (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send nothing.")
@click.option("--limit", type=int, help="Send at most this many messages in this run.")
@click.option("--via", help="Deliverer (default: delivery.via in feeds.yaml, else outbox).")
@pass_app
def send(app: App, mi_reference, month, alerts, audiences, dry_run, limit, via) -> None:
    """Send an MI sheet, a bulletin or pending alerts through the send log.

    Every message and recipient is recorded: run it again after an interruption and only
    what was not sent goes out (a message in flight at a crash goes again with the same
    Message-ID). Exits 1 if any message could not be sent.
    """
    if sum(map(bool, (mi_reference, month, alerts))) != 1:
        raise click.UsageError("give one of --mi NUMBER, --bulletin MONTH or --alerts")
    config = app.config
    if alerts:
        sent = send_alerts(app)
        failed = sum(bool(alert.error) for alert in sent)
        click.echo(f"Sent {len(sent) - failed} alert(s).")
        if failed:
            raise SystemExit(1)
        return
    renderer = Renderer(config)
    if mi_reference:
        notice = find(app.store, mi_reference)
        letters = letters_for_notice(renderer, config, app.store, notice, audiences)
    else:
        recipients = app.store.subscribers(audiences or None)
        letters = bulletin_letters(renderer, config, stored_bulletin(app.store, month), recipients)
    if dry_run:
        for letter, recipients in letters:
            log = {row["recipient"]: row["status"] for row in app.store.deliveries(letter.key)}
            for subscriber in recipients:
                status = log.get(subscriber.email, "would send")
                click.echo(f"{subscriber.email}: {letter.subject} [{status}]")
        click.echo(f"Dry run: {sum(len(r) for _, r in letters)} recipients; nothing sent.")
        return
    report = send_letters(config, app.store, letters, app.data_dir, via=via, limit=limit)
    click.echo(
        f"Sent {len(report.sent)}, failed {len(report.failed)}, already sent "
        f"{report.already_sent}, left for the next run {report.remaining}."
    )
    if report.resent_after_crash:
        click.echo(
            f"{report.resent_after_crash} message(s) interrupted by a crash were sent "
            "again with their original Message-ID."
        )
    for email, error in report.failed:
        click.echo(f"  {email}: {error}", err=True)
    if report.failed:
        raise SystemExit(1)
