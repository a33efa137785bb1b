"""Changes: `check` (for cron) and `changes`."""

from __future__ import annotations

import textwrap

import click
from filelock import FileLock, Timeout

from publisher import dispatch
from publisher.alerts import SentAlert, send_pending_alerts
from publisher.cli.app import App, echo_json, format_option, pass_app, since_date
from publisher.errors import InputError
from publisher.fetch import fetch_sources
from publisher.health import health_news, last_check, lock_held_too_long, mark_lock_taken
from publisher.notices import draft_for_changes
from publisher.school_alerts import tell_schools
from publisher.serialise import change_json
from publisher.text import plural


@click.command()
@click.option("--exit-code", is_flag=True, help="Exit 1 when something new was found.")
@click.option("--draft-mi", is_flag=True, help="Draft an MI sheet for each statutory major change.")
@click.option(
    "--since",
    "since_text",
    metavar="DATE",
    help="On a new baseline (a lost database), alert change notes published after DATE.",
)
@format_option
@pass_app
def check(
    app: App, exit_code: bool, draft_mi: bool, since_text: str | None, output_format: str
) -> None:
    """Fetch, detect changes and alert: the command for cron.

    Prints nothing when nothing is new. New major, attachment and withdrawn changes are
    alerted once, through the deliverer in settings.alerts_via (an .eml in the outbox by
    default), and printed. Sources that start failing are reported on stderr. If another
    check is still running, this one says so and exits 0.
    """
    config = app.config
    app.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(app.data_dir / "check.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        stuck = lock_held_too_long(app.data_dir, config.settings.lock_warn_after)
        busy = stuck or "another check is running"
        click.echo(f"publisher check: {busy}; this one did nothing.", err=True)
        if stuck and exit_code:
            raise SystemExit(1) from None
        return
    since = since_date(since_text)
    last_run = last_check(app.data_dir)
    if app.store.created and last_run and since is None:
        click.echo(
            f"publisher check: no database found in {app.data_dir}, though a check ran there "
            f"on {last_run:%d/%m/%Y %H:%M} UTC: taking a new baseline, so changes published "
            "since then will not be alerted. To alert them: "
            f"publisher check --since {last_run:%d/%m/%Y}",
            err=True,
        )
    for side in app.store.set_aside:
        click.echo(f"publisher check: {side.name} had no database; set aside as {side}", err=True)
    mark_lock_taken(app.data_dir)
    told = None
    try:
        reports = fetch_sources(config, app.store, app.kinds, since=since)
        for news in health_news(config, app.store, reports):
            click.echo(f"publisher check: {news}", err=True)
        alerts = send_alerts(app)
        told = tell_schools(config, app.store, app.data_dir)
        for scheduled, report in dispatch.send_due(config, app.store, app.data_dir):
            click.echo(
                f"Sent the scheduled {scheduled.kind} {scheduled.reference}: "
                f"{len(report.sent)} sent, {len(report.failed)} failed"
            )
    finally:
        lock.release()
    changes = [change for alert in alerts for change in alert.changes]
    drafts = draft_for_changes(config, app.store, changes) if draft_mi else []
    if output_format == "json":
        echo_json([change_json(change) for change in changes])
    else:
        for alert in alerts:
            outcome = f"NOT SENT ({alert.error})" if alert.error else f"sent: {alert.receipt}"
            click.echo(alert.text.rstrip() + f"\n\nAlert {outcome}\n")
        for draft in drafts:
            click.echo(
                f"Drafted MI sheet #{draft.id}: {draft.title} (publisher mi edit {draft.id})"
            )
        if told and told.sent:
            click.echo(
                f"Told {plural(len(told.sent), 'immediate subscriber')} about the "
                "statutory changes."
            )
    if told and told.deferred:
        not_yet = plural(len(told.deferred), "school alert")
        click.echo(f"publisher check: {not_yet} not sent yet; the next run tries again", err=True)
    for email, error in told.failed if told else ():
        click.echo(f"publisher check: school alert to {email} refused: {error}", err=True)
    if (exit_code and changes) or any(alert.error for alert in alerts):
        raise SystemExit(1)


def send_alerts(app: App) -> list[SentAlert]:
    """Send pending alerts; say on stderr which could not go (the next run tries again)."""
    alerts = send_pending_alerts(app.config, app.store, app.data_dir)
    for alert in alerts:
        if alert.error:
            click.echo(
                f"publisher: alert not sent, the next run tries again: {alert.error}", err=True
            )
    return alerts


@click.command()
@click.option("--statutory", is_flag=True, help="Only changes to statutory guidance.")
@click.option("--since", help="Only changes detected on or after this date (YYYY-MM-DD).")
@click.option("--source", "source_id", help="Only changes from this source id.")
@click.option("--all", "include_minor", is_flag=True, help="Include minor changes.")
@click.option(
    "--show",
    "show_id",
    type=int,
    help="One change in full, with the comparison "
    "of its replaced document and the note checked against it.",
)
@format_option
@pass_app
def changes(
    app: App,
    statutory: bool,
    since: str | None,
    source_id: str | None,
    include_minor: bool,
    show_id: int | None,
    output_format: str,
) -> None:
    """List detected changes with their page and paragraph references, oldest first.

    Minor changes (recorded, never alerted) are listed with --all and in --format json.
    """
    if show_id is not None:
        show_change(app, show_id, output_format)
        return
    found = app.store.changes(
        source_id=app.source_id(source_id), since=since_date(since), statutory=statutory
    )
    if output_format == "json":
        echo_json([change_json(change) for change in found])
        return
    for change in found:
        if change.kind == "minor" and not include_minor:
            continue
        echo_change(change)


def echo_change(change) -> None:
    label = f"{'statutory ' if change.statutory else ''}{change.kind}"
    click.echo(
        f"#{change.id} {change.detected_at:%Y-%m-%d} [{change.source_id}] {label}: "
        f"{change.title}\n    {change.url}"
    )
    for entry in change.entries:
        click.echo(f"    - {entry}")
    if not change.refs and (change.note or change.details):
        click.echo(textwrap.indent(change.note or change.details, "    "))


def show_change(app: App, change_id: int, output_format: str) -> None:
    change = app.store.change(change_id)
    if change is None:
        raise InputError(f"no change #{change_id} (see `publisher changes`)")
    if output_format == "json":
        echo_json(change_json(change))
        return
    echo_change(change)
    if change.comparison:
        from publisher.comparison.report import stored_as_text

        click.echo("\n" + stored_as_text(change.comparison), nl=False)
    else:
        click.echo("\nNo replaced document to compare for this change.")
