"""Delivery: `subscribers import|list|remove|unsubscribe` and `send`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from publisher import dispatch
from publisher.cli.app import App, echo_json, format_option, pass_app
from publisher.cli.changes import send_alerts
from publisher.dates import UK, uk_today
from publisher.digests import digest_letters
from publisher.notices import parse_datetime as parse_when
from publisher.reminders import reminder_letters
from publisher.render import Renderer
from publisher.sending import send_letters
from publisher.subscribers import (
    canonical_emails,
    import_subscribers,
    plan_import,
    read_csv,
    write_csv,
)
from publisher.text import plural


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
    semicolon-separated file). Optional columns: frequency (immediately, weekly, monthly)
    and self_registered: 'yes' keeps a reader who typed their school themselves apart from
    it (as the export writes it); 'no', empty or no such column means the team vouches for
    the school. UTF-8, UTF-16 and Windows-1252 files, with commas, semicolons or tabs, and
    Mailchimp-style headers ('Email Address', 'First Name') are read. A known subscriber
    keeps their audiences and gains the file's, unless --replace. Bad rows are reported
    with their line numbers and skipped; the good ones are kept. Exits 1 when nothing at
    all could be imported.
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
        f"{verb} {plural(len(plan.new), 'new subscriber')}, {len(plan.updated)} updated, "
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
    """Write subscribers as CSV (to OUTPUT, default standard output), as import reads it:
    importing it back changes nothing, readers who registered themselves included."""
    write_csv(app.store.subscribers([app.audience_id(audience)] if audience else None), output)


@subscribers.command(name="list")
@click.option("--audience", help="Only subscribers in this audience (id).")
@format_option
@pass_app
def subscribers_list(app: App, audience: str | None, output_format: str) -> None:
    """List subscribers (those who unsubscribed are not listed). Readers who typed their
    school themselves (on /subscribe or their preferences page) are marked self-registered:
    they confirm ACTION sheets for themselves only."""
    found = app.store.subscribers([app.audience_id(audience)] if audience else None)
    if output_format == "json":
        echo_json([asdict(subscriber) for subscriber in found])
        return
    for subscriber in found:
        mark = "  self-registered" if subscriber.self_service else ""
        click.echo(
            f"{subscriber.email}  {subscriber.name}  {subscriber.school}  "
            f"[{', '.join(subscriber.audiences)}]{mark}"
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
    click.echo(f"{plural(len(addresses), 'address', 'addresses')} on the unsubscribe list.")


@click.command()
@click.option("--mi", "mi_reference", help="Send this published MI sheet (e.g. 1/24).")
@click.option("--bulletin", "month", help="Send this month's bulletin (e.g. 2024-02).")
@click.option("--alerts", is_flag=True, help="Send pending change alerts to the team.")
@click.option("--due", "due_only", is_flag=True, help="Carry out sends scheduled with --at.")
@click.option(
    "--digests",
    is_flag=True,
    help="Send last week's digest to weekly-digest subscribers (cron, Mondays).",
)
@click.option(
    "--reminders",
    is_flag=True,
    help="Remind schools that have not confirmed an ACTION sheet (cron, daily).",
)
@click.option("--audience", "audiences", multiple=True, help="Only these audiences (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send nothing.")
@click.option("--limit", type=int, help="Send at most this many messages in this run.")
@click.option("--via", help="Deliverer (default: delivery.via in feeds.yaml, else outbox).")
@click.option(
    "--test", "test_address", metavar="EMAIL", help="Send one copy, marked [TEST], to EMAIL only."
)
@click.option("--at", "at_text", help="Send later, UK time, e.g. '2024-03-01 07:00' (see --due).")
@click.option("--allow-empty", is_flag=True, help="Exit 0 even when nobody would receive it.")
@click.option(
    "--retry-failed", is_flag=True, help="Try again the recipients an earlier run failed for good."
)
@pass_app
def send(
    app: App,
    mi_reference,
    month,
    alerts,
    due_only,
    digests,
    reminders,
    audiences,
    dry_run,
    limit,
    via,
    test_address,
    at_text,
    allow_empty,
    retry_failed,
) -> None:
    """Send an MI sheet, a bulletin or pending alerts through the send log.

    Every message, recipient and deliverer is recorded: run it again after an interruption
    and only what was not sent goes out (a message in flight at a crash goes again with the
    same Message-ID); any number of sends at once send each message once. A message sent
    through one deliverer (say, a trial to the outbox) can be sent again through another.
    Exits 1 if any message could not be sent, or if nobody would receive it.
    """
    if sum(map(bool, (mi_reference, month, alerts, due_only, digests, reminders))) != 1:
        raise click.UsageError(
            "give one of --mi NUMBER, --bulletin MONTH, --alerts, --due, --digests or --reminders"
        )
    config = app.config
    if alerts:
        outcomes = [] if dry_run else send_alerts(app)
        failed = sum(bool(outcome.error) for outcome in outcomes)
        click.echo(f"Sent {plural(len(outcomes) - failed, 'alert')}.")
        if failed:
            raise SystemExit(1)
        return
    if due_only:
        done = dispatch.send_due(config, app.store, app.data_dir)
        for scheduled, report in done:
            click.echo(f"Scheduled {scheduled.kind} {scheduled.reference}: {_summary(report)}")
        if any(report.failed for _, report in done):
            raise SystemExit(1)
        return
    if reminders or digests:
        if at_text or test_address:
            raise click.UsageError(
                "--reminders and --digests work out what is due now: no --at or --test"
            )
        due = reminder_letters if reminders else digest_letters
        letters = due(Renderer(config), config, app.store, uk_today())
        allow_empty = True  # most runs find nothing due
    else:
        kind, reference = ("mi", mi_reference) if mi_reference else ("bulletin", month)
        letters = dispatch.letters(config, app.store, kind, reference, audiences)
    recipients = sum(len(people) for _, people in letters)
    if test_address:
        for letter, _ in letters[:1]:
            receipt = dispatch.send_test(config, app.data_dir, letter, test_address, via)
            click.echo(
                f"Sent a [TEST] copy to {test_address} ({receipt}); the send log is unchanged."
            )
        return
    if not recipients and not allow_empty:
        who = ", ".join(audiences) if audiences else "its audiences"
        click.echo(f"publisher send: nobody would receive it: no subscribers in {who}.", err=True)
        raise SystemExit(1)
    if at_text:
        at = parse_when(at_text)
        dispatch.schedule(app.store, kind, reference, audiences, at)
        click.echo(
            f"Scheduled for {at.astimezone(UK):%d/%m/%Y %H:%M %Z}: "
            f"{plural(recipients, 'recipient')} now; "
            "'publisher check' or 'publisher send --due' (cron) sends it then."
        )
        return
    if dry_run:
        via = via or config.delivery.get("via", "outbox")
        for letter, people in letters:
            log = {
                row.recipient: row.status for row in app.store.deliveries(letter.key, channel=via)
            }
            for subscriber in people:
                status = log.get(subscriber.email, "would send")
                click.echo(f"{subscriber.email}: {letter.subject} [{status}]")
        click.echo(f"Dry run: {plural(recipients, 'recipient')} through {via}; nothing sent.")
        return
    report = send_letters(
        config, app.store, letters, app.data_dir, via=via, limit=limit, retry_failed=retry_failed
    )
    click.echo(_summary(report))
    if report.via == "outbox" and report.sent:
        click.echo(
            f"{plural(len(report.sent), 'email')} written to {app.data_dir / 'outbox'}/ "
            "(not sent: delivery.via is outbox)."
        )
    if report.resent_after_crash:
        click.echo(
            f"{plural(report.resent_after_crash, 'message')} interrupted by a crash went "
            "again with the original Message-ID."
        )
    if report.stopped:
        click.echo(f"publisher send: stopped: {report.stopped}; the rest stays pending.", err=True)
    for email, error in report.failed + report.deferred:
        click.echo(f"  {email}: {error}", err=True)
    if report.failed or report.deferred or report.stopped:
        raise SystemExit(1)


def _summary(report) -> str:
    parts = [
        f"Sent {len(report.sent)}",
        f"failed {len(report.failed)}",
        f"already sent {report.already_sent}",
        f"left for the next run {report.left_for_next_run}",
    ]
    if report.taken_by_another:
        parts.append(f"being sent by another run {report.taken_by_another}")
    return ", ".join(parts) + f" (through {report.via})."
