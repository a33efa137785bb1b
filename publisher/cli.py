"""The ``publisher`` command line."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import click
from filelock import FileLock, Timeout

from publisher import __version__
from publisher.alerts import SentAlert, send_pending_alerts
from publisher.bulletins import (
    Bulletin,
    BulletinError,
    bulletin_context,
    bulletin_letters,
    gather,
    read_editorial,
    write_previews,
)
from publisher.config import Config, ConfigError, load_config
from publisher.dates import from_iso, parse_since, to_iso, utcnow
from publisher.deliver import DelivererNotReady
from publisher.demo import DemoFolderError, run_demo
from publisher.discover import find_feed_links
from publisher.fetch import SourceReport, fetch_sources
from publisher.http import FetchError, HttpClient, HttpPolicy, raise_for_status
from publisher.models import Change, Notice
from publisher.notices import (
    NoticeError,
    approve,
    check_editable,
    delete,
    draft_from_change,
    edit,
    find,
    from_markdown,
    notice_context,
    notice_letter,
    parse_datetime,
    publish,
    to_markdown,
    validate_due,
)
from publisher.outputs import build_site
from publisher.plugins import load_plugins, plugin_summaries
from publisher.render import Renderer
from publisher.sending import send_letters
from publisher.serve import serve_directory
from publisher.sources import SourceKind, source_kinds
from publisher.store import Store
from publisher.subscribers import read_csv

DATA_DIR_NAME = "publisher-data"
STARTER_CONFIG = files("publisher.sample_data") / "feeds.yaml"


class ConfigProblem(click.ClickException):
    """A configuration error: one line naming file and line, exit status 2."""

    exit_code = 2


class App:
    """What every command shares: the config file, the data directory, the store."""

    def __init__(self, config_path: Path, data_dir: Path | None):
        self.config_path = config_path
        self.data_dir = data_dir or config_path.resolve().parent / DATA_DIR_NAME

    @cached_property
    def kinds(self) -> dict[str, SourceKind]:
        return source_kinds()

    @cached_property
    def config(self) -> Config:
        try:
            return load_config(self.config_path, self.kinds)
        except ConfigError as error:
            raise ConfigProblem(str(error)) from None

    @cached_property
    def store(self) -> Store:
        return Store(self.data_dir)

    @property
    def site_dir(self) -> Path:
        return self.config_path.resolve().parent / "site"


pass_app = click.make_pass_decorator(App)
format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json is a stable format for scripts.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="publisher")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default="feeds.yaml",
    envvar="PUBLISHER_CONFIG",
    show_default=True,
    show_envvar=True,
    help="The configuration file.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PUBLISHER_DATA_DIR",
    show_envvar=True,
    help=f"Where the database lives [default: {DATA_DIR_NAME}/ beside the config].",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path, data_dir: Path | None) -> None:
    """Publish safeguarding bulletins, MI sheets and change alerts for schools.

    Fetches statutory guidance and online-safety news from the sources in feeds.yaml,
    stores them, and builds a site, feeds and emails from them.
    """
    ctx.obj = App(config_path, data_dir)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing feeds.yaml.")
def init(directory: Path, force: bool) -> None:
    """Write a starter feeds.yaml into DIRECTORY (default: here)."""
    target = directory / "feeds.yaml"
    if target.exists() and not force:
        raise click.ClickException(f"{target} already exists (use --force to overwrite)")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    click.echo(f"Wrote {target}. Edit the organisation and sources, then run: publisher fetch")


@cli.command()
@click.option("--source", "only", multiple=True, help="Fetch only this source id (repeatable).")
@click.option("--workers", type=int, help="Sources fetched at once [default: settings.workers, 8].")
@pass_app
def fetch(app: App, only: tuple[str, ...], workers: int) -> None:
    """Fetch every source and store new and updated items.

    Prints a line per source: new / updated / unchanged items, or why it failed.
    Exits 1 if any source failed (the others are still fetched and stored).
    """
    config = app.config
    unknown = set(only) - {source.id for source in config.sources}
    if unknown:
        raise click.BadParameter(
            f"no source with id {', '.join(sorted(unknown))}", param_hint="--source"
        )
    with _progress(len(only) if only else len(config.sources)) as advance:
        reports = fetch_sources(
            config, app.store, app.kinds, only=only or None, workers=workers, on_report=advance
        )
    width = max(len(report.source_id) for report in reports)
    for report in reports:
        click.echo(f"{report.source_id:<{width}}  {report.describe()}")
    totals = {
        key: sum(getattr(r.counts, key) for r in reports) for key in ("new", "updated", "unchanged")
    }
    failed = sum(report.status == "failed" for report in reports)
    click.echo(
        f"Fetched {len(reports)} sources: {totals['new']} new, {totals['updated']} updated, "
        f"{totals['unchanged']} unchanged, {failed} failed."
    )
    if failed:
        raise SystemExit(1)


def _show_discovered(url: str, output_format: str) -> None:
    client = HttpClient(HttpPolicy(host_delay=0))
    try:
        response = client.get(url, conditional=False, accept="text/html")
        raise_for_status(response)
    except FetchError as error:
        raise click.ClickException(f"{url}: {error}") from None
    links = find_feed_links(response.body, response.url)
    if output_format == "json":
        click.echo(json.dumps([asdict(link) for link in links], indent=2))
        return
    if not links:
        click.echo(f"{url} links to no RSS or Atom feed; use kind: listing for it.")
    for number, link in enumerate(links):
        chosen = "  <- a feed source would use this" if number == 0 else ""
        title = f" ({link.title})" if link.title else ""
        click.echo(f"{link.kind:<5} {link.url}{title}{chosen}")


@contextmanager
def _progress(count: int) -> Iterator[Callable[[SourceReport], None]]:
    """A progress bar on a terminal; nothing at all when output is redirected (cron)."""
    if not sys.stderr.isatty():
        yield lambda report: None
        return
    with click.progressbar(length=count, label="Fetching", file=sys.stderr) as bar:
        yield lambda report: bar.update(1, report.source_id)


@cli.command()
@click.option(
    "--discover",
    "discover_url",
    metavar="URL",
    help="Show the feeds the page at URL advertises, and the one a feed source would use.",
)
@format_option
@pass_app
def sources(app: App, discover_url: str | None, output_format: str) -> None:
    """List configured sources with their health: kind, what they resolved to (a discovered
    feed), last success, last new item, last error and consecutive failures."""
    if discover_url:
        _show_discovered(discover_url, output_format)
        return
    states = app.store.source_states()
    rows = []
    for source in app.config.sources:
        state = states.get(source.id, {})
        rows.append(
            {
                "id": source.id,
                "kind": source.kind,
                "url": source.url,
                "title": source.title,
                "audiences": list(source.audiences),
                "statutory": source.statutory,
                "resolved_url": state.get("resolved_url"),
                "last_success": state.get("last_success"),
                "last_new_item": state.get("last_new_item"),
                "last_error": state.get("last_error"),
                "consecutive_failures": state.get("consecutive_failures", 0),
                "failing_since": state.get("failing_since"),
            }
        )
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']} [{row['kind']}] {row['url'] or ''}")
        if row["resolved_url"] and row["resolved_url"] != row["url"]:
            click.echo(f"    resolved to {row['resolved_url']}")
        click.echo(
            f"    last success: {row['last_success'] or 'never'}; "
            f"last new item: {row['last_new_item'] or 'never'}"
        )
        if row["last_error"]:
            click.echo(
                f"    FAILING: {row['consecutive_failures']} runs in a row since "
                f"{row['failing_since']}: {row['last_error']}"
            )


@cli.command()
@click.option("--source", "source_id", help="Only items from this source id.")
@click.option("--since", help="Only items published on or after this date (YYYY-MM-DD).")
@click.option("--limit", type=int, default=50, show_default=True)
@format_option
@pass_app
def items(
    app: App, source_id: str | None, since: str | None, limit: int, output_format: str
) -> None:
    """List stored items, newest first."""
    found = app.store.items(source_id=source_id, since=_since(since), limit=limit)
    if output_format == "json":
        rows = [
            {
                **asdict(item),
                "published": to_iso(item.published),
                "updated": to_iso(item.updated),
                "first_seen": to_iso(item.first_seen),
                "tags": list(item.tags),
            }
            for item in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for item in found:
        when = f"{item.published:%Y-%m-%d}" if item.published else "----------"
        click.echo(f"{when}  [{item.source_id}] {item.title}\n            {item.url}")


@cli.command()
@click.option("--exit-code", is_flag=True, help="Exit 1 when something new was found.")
@click.option("--draft-mi", is_flag=True, help="Draft an MI sheet for each statutory major change.")
@format_option
@pass_app
def check(app: App, exit_code: bool, draft_mi: bool, output_format: str) -> None:
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
        click.echo("publisher check: another check is running; this one did nothing.", err=True)
        return
    try:
        reports = fetch_sources(config, app.store, app.kinds)
        _report_health(app, reports)
        alerts = _send_alerts(app)
    finally:
        lock.release()
    changes = [change for alert in alerts for change in alert.changes]
    drafts = []
    if draft_mi:
        with app.store.transaction():
            drafts = [
                app.store.add_notice(draft_from_change(config, change))
                for change in changes
                if change.statutory and change.kind == "major"
            ]
    if output_format == "json":
        click.echo(json.dumps([change_json(change) for change in changes], indent=2))
    else:
        for alert in alerts:
            outcome = f"NOT SENT ({alert.error})" if alert.error else f"sent: {alert.receipt}"
            click.echo(alert.text.rstrip() + f"\n\nAlert {outcome}\n")
        for draft in drafts:
            click.echo(
                f"Drafted MI sheet #{draft.id}: {draft.title} (publisher mi edit {draft.id})"
            )
    if (exit_code and changes) or any(alert.error for alert in alerts):
        raise SystemExit(1)


def _send_alerts(app: App) -> list[SentAlert]:
    """Send pending alerts; say on stderr which could not go (the next run tries again)."""
    try:
        alerts = send_pending_alerts(app.config, app.store, app.data_dir)
    except DelivererNotReady as error:
        raise click.ClickException(f"alerts not sent: {error}") from None
    for alert in alerts:
        if alert.error:
            click.echo(
                f"publisher: alert not sent, the next run tries again: {alert.error}", err=True
            )
    return alerts


def _report_health(app: App, reports: list[SourceReport]) -> None:
    """On stderr, once each: a source starts failing, has failed for long, works again,
    or has produced nothing new for too long."""
    settings = app.config.settings
    states = app.store.source_states()
    quiet_changed = {}
    for report in reports:
        name = f"publisher check: source '{report.source_id}'"
        state = states.get(report.source_id, {})
        if report.status == "failed" and report.failures == 1:
            click.echo(f"{name} failed: {report.error}", err=True)
        elif report.status == "failed" and report.failures == settings.flag_after_failures:
            click.echo(
                f"{name} has failed {report.failures} runs in a row "
                f"(since {state['failing_since']}): {report.error}",
                err=True,
            )
        elif report.status != "failed" and report.failures_before:
            click.echo(f"{name} works again after {report.failures_before} failed runs", err=True)
        if report.status == "failed":
            continue
        last_new = from_iso(state.get("last_new_item"))
        quiet_for = (utcnow() - last_new).days if last_new else 0
        is_quiet = quiet_for >= settings.flag_quiet_days
        if is_quiet and not state.get("quiet_flagged_at"):
            click.echo(
                f"{name} has produced nothing new for {quiet_for} days "
                f"(last new item {last_new:%d/%m/%Y}): is it still the right address?",
                err=True,
            )
        if is_quiet != bool(state.get("quiet_flagged_at")):
            quiet_changed[report.source_id] = is_quiet
    with app.store.transaction():
        for source_id, is_quiet in quiet_changed.items():
            app.store.mark_quiet_flagged(source_id, is_quiet)


@cli.command()
@click.option("--statutory", is_flag=True, help="Only changes to statutory guidance.")
@click.option("--since", help="Only changes detected on or after this date (YYYY-MM-DD).")
@click.option("--source", "source_id", help="Only changes from this source id.")
@click.option("--all", "include_minor", is_flag=True, help="Include minor changes.")
@format_option
@pass_app
def changes(
    app: App,
    statutory: bool,
    since: str | None,
    source_id: str | None,
    include_minor: bool,
    output_format: str,
) -> None:
    """List detected changes with their page and paragraph references, oldest first.

    Minor changes (recorded, never alerted) are listed with --all and in --format json.
    """
    found = app.store.changes(source_id=source_id, since=_since(since), statutory=statutory)
    if output_format == "json":
        click.echo(json.dumps([change_json(change) for change in found], indent=2))
        return
    for change in found:
        if change.kind == "minor" and not include_minor:
            continue
        label = f"{'statutory ' if change.statutory else ''}{change.kind}"
        click.echo(
            f"#{change.id} {change.detected_at:%Y-%m-%d} [{change.source_id}] {label}: "
            f"{change.title}\n    {change.url}"
        )
        for ref in change.refs:
            click.echo(f"    - {ref.text}")
        if not change.refs and (change.note or change.details):
            click.echo(f"    {change.note or change.details}")


def change_json(change: Change) -> dict:
    """The stable JSON shape of a change, for scripts."""
    return {
        "id": change.id,
        "source": change.source_id,
        "kind": change.kind,
        "statutory": change.statutory,
        "title": change.title,
        "url": change.url,
        "note": change.note,
        "refs": [ref.to_dict() for ref in change.refs],
        "details": change.details,
        "changed_at": to_iso(change.changed_at),
        "detected_at": to_iso(change.detected_at),
    }


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_since(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not a date like 2024-02-23", param_hint="--since"
        ) from None


@cli.command()
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the site [default: site/ beside the config].",
)
@pass_app
def build(app: App, output: Path | None) -> None:
    """Build the static site and feeds from what is stored."""
    directory = output or app.site_dir
    written = build_site(app.config, app.store, directory)
    for name, paths in written.items():
        click.echo(f"{name}: {len(paths)} files")
    click.echo(f"Open {directory / 'index.html'}")


@cli.group()
def mi() -> None:
    """MI sheets: draft, edit, approve and publish Management Information Sheets."""


def _mi_call(function, *args):
    try:
        return function(*args)
    except NoticeError as error:
        raise click.ClickException(str(error)) from None


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
    config = app.config
    draft = Notice(type="Action", title=title or "", contact=config.organisation.contact)
    if change_id is not None:
        change = app.store.change(change_id)
        if change is None:
            raise click.BadParameter(f"no change with id {change_id}", param_hint="--from-change")
        draft = draft_from_change(config, change)
    if not draft.title:
        raise click.UsageError("give --title, or --from-change with a change id")
    if replaces:
        replaced = _mi_call(find, app.store, replaces)
        if replaced.status != "published":
            raise click.BadParameter(
                f"{replaces} is not a published sheet", param_hint="--replaces"
            )
    draft = replace(
        draft,
        title=title or draft.title,
        type=notice_type or draft.type,
        due=_mi_call(validate_due, due) if due else draft.due,
        audiences=audiences or draft.audiences,
        contact=contact or draft.contact,
        body=body_file.read() if body_file else draft.body,
        replaces=replaces,
    )
    _check_notice_fields(config, draft)
    with app.store.transaction():
        created = app.store.add_notice(draft)
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
        click.echo(json.dumps([notice_json(app.config, n) for n in notices], indent=2))
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
    notice = _mi_call(find, app.store, reference)
    if output_format == "json":
        click.echo(json.dumps(notice_json(app.config, notice), indent=2))
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
    """Edit a draft: its fields (YAML front matter) and markdown body."""
    notice = _mi_call(find, app.store, reference)
    _mi_call(check_editable, notice)
    text = source.read() if source else click.edit(to_markdown(notice), extension=".md")
    if text is None:
        click.echo("No changes.")
        return
    edited = _mi_call(from_markdown, text, notice)
    _check_notice_fields(app.config, edited)
    edited = _mi_call(edit, app.store, notice, edited)
    click.echo(f"Saved draft #{edited.id}: {edited.title}")


@mi.command(name="approve")
@click.argument("reference")
@pass_app
def mi_approve(app: App, reference: str) -> None:
    """Approve a draft for publication."""
    notice = _mi_call(approve, app.store, _mi_call(find, app.store, reference))
    click.echo(f"Approved #{notice.id}: {notice.title}")


@mi.command(name="publish")
@click.argument("reference")
@click.option(
    "--at",
    "at_text",
    help="Publication time, UK local (back-dates an import), "
    "e.g. '2024-01-03 10:00' [default: now].",
)
@pass_app
def mi_publish(app: App, reference: str, at_text: str | None) -> None:
    """Publish an approved sheet: it gets its number and deadline, and is frozen."""
    at = _mi_call(parse_datetime, at_text) if at_text else utcnow()
    notice = _mi_call(publish, app.store, _mi_call(find, app.store, reference), at)
    click.echo(f"Published {notice.subject}")


@mi.command(name="delete")
@click.argument("reference")
@pass_app
def mi_delete(app: App, reference: str) -> None:
    """Delete a draft (published sheets are kept; their numbers are never reused)."""
    notice = _mi_call(find, app.store, reference)
    _mi_call(delete, app.store, notice)
    click.echo(f"Deleted draft #{notice.id}")


def _check_notice_fields(config: Config, notice: Notice) -> None:
    if notice.type not in config.settings.mi_types:
        raise click.BadParameter(
            f"type '{notice.type}' is not one of {', '.join(config.settings.mi_types)}",
            param_hint="--type",
        )
    unknown = [audience for audience in notice.audiences if audience not in config.audiences]
    if unknown:
        raise click.BadParameter(
            f"unknown audience {', '.join(unknown)} (known: {', '.join(config.audiences)})",
            param_hint="--audience",
        )


def notice_json(config: Config, notice: Notice) -> dict:
    """The stable JSON shape of an MI sheet, for scripts."""
    return {
        "id": notice.id,
        "number": notice.number,
        "type": notice.type,
        "title": notice.title,
        "status": notice.status,
        "published": notice.published.isoformat() if notice.published else None,
        "deadline": notice.deadline.isoformat() if notice.deadline else None,
        "contact": notice.contact,
        "audiences": [config.audiences.get(a, a) for a in notice.audiences],
        "replaces": notice.replaces,
        "body": notice.body,
    }


@cli.group()
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
    """Gather a month's bulletin, store it, and write an email per audience to preview."""
    config = app.config
    try:
        built = gather(config, app.store, month, read_editorial(editorial) if editorial else None)
    except BulletinError as error:
        raise click.ClickException(str(error)) from None
    with app.store.transaction():
        app.store.save_bulletin(month, built.to_json())
    click.echo(f"{built.title}: {built.entry_count} entries")
    for section in built.sections:
        click.echo(f"  {section.title}: {len(section.entries)}")
    folder = app.data_dir / "bulletins" / month
    previews = write_previews(Renderer(config), config, built, folder)
    for audience, path in previews.items():
        entries = built.for_audience(audience).entry_count
        click.echo(f"  for {config.audiences[audience]}: {entries} entries, {path}")


@bulletin.command(name="show")
@click.option("--month", required=True, help="The month, e.g. 2024-02.")
@click.option("--audience", help="Only what this audience (id) gets.")
@format_option
@pass_app
def bulletin_show(app: App, month: str, audience: str | None, output_format: str) -> None:
    """Show a stored bulletin, as its plain-text email or as JSON."""
    built = _stored_bulletin(app, month)
    if audience:
        if audience not in app.config.audiences:
            raise click.BadParameter(f"unknown audience {audience}", param_hint="--audience")
        built = built.for_audience(audience)
    if output_format == "json":
        click.echo(json.dumps(json.loads(built.to_json()), indent=2))
        return
    name = app.config.audiences[audience] if audience else "everyone"
    context = bulletin_context(app.config, built, name)
    click.echo(Renderer(app.config).render("email/bulletin.txt", **context), nl=False)


def _stored_bulletin(app: App, month: str) -> Bulletin:
    content = app.store.bulletin(month)
    if content is None:
        raise click.ClickException(
            f"no bulletin for {month} (run: publisher bulletin build --month {month})"
        )
    return Bulletin.from_json(content)


@bulletin.command(name="list")
@format_option
@pass_app
def bulletin_list(app: App, output_format: str) -> None:
    """List stored bulletins, newest first."""
    rows = [Bulletin.from_json(content) for _, content in app.store.bulletins()]
    if output_format == "json":
        click.echo(json.dumps([json.loads(b.to_json()) for b in rows], indent=2))
        return
    for built in rows:
        click.echo(f"{built.month}  {built.entry_count:>3} entries  {built.title}")


@cli.group()
def subscribers() -> None:
    """Subscribers: who receives which audiences' MI sheets and bulletins."""


@subscribers.command(name="import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def subscribers_import(app: App, csv_file: Path) -> None:
    """Add or update subscribers from a CSV file (columns: email, name, school, audiences).

    Audiences are ids or names from feeds.yaml, separated by ';'. Bad rows are reported with
    their line numbers and skipped; the good ones are kept.
    """
    good, bad = read_csv(csv_file, app.config)
    unsubscribed = app.store.unsubscribed()
    kept = [subscriber for subscriber in good if subscriber.email not in unsubscribed]
    with app.store.transaction():
        app.store.save_subscribers(kept)
    for row in bad:
        click.echo(f"{csv_file} line {row.line}: {row.reason} (skipped)", err=True)
    for subscriber in good:
        if subscriber.email in unsubscribed:
            click.echo(f"{subscriber.email} has unsubscribed (skipped)", err=True)
    click.echo(f"Imported {len(kept)} subscribers; skipped {len(good) - len(kept) + len(bad)}.")


@subscribers.command(name="list")
@click.option("--audience", help="Only subscribers in this audience (id).")
@format_option
@pass_app
def subscribers_list(app: App, audience: str | None, output_format: str) -> None:
    """List subscribers (those who unsubscribed are not listed)."""
    found = app.store.subscribers([audience] if audience else None)
    if output_format == "json":
        click.echo(json.dumps([asdict(subscriber) for subscriber in found], indent=2))
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
    with app.store.transaction():
        removed = [email for email in emails if app.store.remove_subscriber(email.lower())]
    click.echo(f"Removed {len(removed)} of {len(emails)}.")


@subscribers.command(name="unsubscribe")
@click.argument("emails", nargs=-1, required=True)
@pass_app
def subscribers_unsubscribe(app: App, emails: tuple[str, ...]) -> None:
    """Put addresses on the unsubscribe list, which every send and import honours."""
    with app.store.transaction():
        for email in emails:
            app.store.unsubscribe(email.strip().lower())
    click.echo(f"{len(emails)} address(es) on the unsubscribe list.")


@cli.command()
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
        sent = _send_alerts(app)
        failed = sum(bool(alert.error) for alert in sent)
        click.echo(f"Sent {len(sent) - failed} alert(s).")
        if failed:
            raise SystemExit(1)
        return
    renderer = Renderer(config)
    if mi_reference:
        notice = _mi_call(find, app.store, mi_reference)
        if notice.status != "published":
            raise click.ClickException(f"{notice.label} is not published yet")
        wanted = set(notice.audiences) & (set(audiences) or set(notice.audiences))
        letters = [(notice_letter(renderer, config, notice), app.store.subscribers(wanted))]
    else:
        recipients = app.store.subscribers(audiences or None)
        letters = bulletin_letters(renderer, config, _stored_bulletin(app, month), recipients)
    if dry_run:
        for letter, recipients in letters:
            log = {row["recipient"]: row["status"] for row in app.store.deliveries(letter.key)}
            for subscriber in recipients:
                status = log.get(subscriber.email, "would send")
                click.echo(f"{subscriber.email}: {letter.subject} [{status}]")
        click.echo(f"Dry run: {sum(len(r) for _, r in letters)} recipients; nothing sent.")
        return
    try:
        report = send_letters(config, app.store, letters, app.data_dir, via=via, limit=limit)
    except DelivererNotReady as error:
        raise click.ClickException(str(error)) from None
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


@cli.command()
@format_option
def plugins(output_format: str) -> None:
    """List loaded plugins and the hooks each implements."""
    load_plugins()
    summaries = plugin_summaries()
    if output_format == "json":
        click.echo(json.dumps(summaries, indent=2))
        return
    for summary in summaries:
        click.echo(f"{summary['name']}: {', '.join(summary['hooks'])}")


@cli.command()
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The built site [default: site/ beside the config].",
)
@pass_app
def preview(app: App, port: int, directory: Path | None) -> None:
    """Serve the built site on http://127.0.0.1:PORT/ until Ctrl-C."""
    directory = directory or app.site_dir
    if not (directory / "index.html").exists():
        raise click.ClickException(f"no site in {directory} (run: publisher build)")
    with serve_directory(directory, port=port) as url:
        click.echo(f"Serving {directory} at {url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


@cli.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default="publisher-demo"
)
def demo(directory: Path) -> None:
    """Run the whole pipeline offline on bundled sample data, into DIRECTORY.

    Serves the samples from a local server on 127.0.0.1, fetches them, detects a statutory
    change, publishes MI sheets and a bulletin, builds the site, feeds and calendars, sends
    the emails to an outbox folder, and prints what to open.
    """
    try:
        run_demo(directory, echo=click.echo)
    except DemoFolderError as error:
        raise click.ClickException(str(error)) from None


def main() -> None:
    cli(prog_name="publisher")


load_plugins().hook.register_commands(cli=cli)
