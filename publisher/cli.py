"""The ``publisher`` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import click
from filelock import FileLock, Timeout

from publisher import __version__
from publisher.alerts import send_pending_alerts
from publisher.config import Config, ConfigError, load_config
from publisher.dates import parse_since, to_iso
from publisher.demo import DemoFolderError, run_demo
from publisher.fetch import SourceReport, fetch_sources
from publisher.models import Change
from publisher.outputs import build_site
from publisher.plugins import load_plugins, plugin_summaries
from publisher.sources import SourceKind, source_kinds
from publisher.store import Store

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


@contextmanager
def _progress(count: int) -> Iterator[Callable[[SourceReport], None]]:
    """A progress bar on a terminal; nothing at all when output is redirected (cron)."""
    if not sys.stderr.isatty():
        yield lambda report: None
        return
    with click.progressbar(length=count, label="Fetching", file=sys.stderr) as bar:
        yield lambda report: bar.update(1, report.source_id)


@cli.command()
@format_option
@pass_app
def sources(app: App, output_format: str) -> None:
    """List configured sources with their health: last success, last error, failures."""
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
@format_option
@pass_app
def check(app: App, exit_code: bool, output_format: str) -> None:
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
        alerts = send_pending_alerts(config, app.store, app.data_dir)
    finally:
        lock.release()
    changes = [change for alert in alerts for change in alert.changes]
    if output_format == "json":
        click.echo(json.dumps([change_json(change) for change in changes], indent=2))
    else:
        for alert in alerts:
            click.echo(alert.text.rstrip() + f"\n\nAlert sent: {alert.receipt}\n")
    if exit_code and changes:
        raise SystemExit(1)


def _report_health(app: App, reports: list[SourceReport]) -> None:
    """On stderr, once each: a source starts failing, has failed for long, works again."""
    flag_after = app.config.settings.flag_after_failures
    for report in reports:
        name = f"publisher check: source '{report.source_id}'"
        if report.status == "failed" and report.failures == 1:
            click.echo(f"{name} failed: {report.error}", err=True)
        elif report.status == "failed" and report.failures == flag_after:
            since = app.store.source_state(report.source_id)["failing_since"]
            click.echo(
                f"{name} has failed {report.failures} runs in a row (since {since}): "
                f"{report.error}",
                err=True,
            )
        elif report.status != "failed" and report.failures_before:
            click.echo(f"{name} works again after {report.failures_before} failed runs", err=True)


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
    directory = output or app.config_path.resolve().parent / "site"
    written = build_site(app.config, app.store, directory)
    for name, paths in written.items():
        click.echo(f"{name}: {len(paths)} files")
    click.echo(f"Open {directory / 'index.html'}")


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
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default="publisher-demo"
)
def demo(directory: Path) -> None:
    """Run the whole pipeline offline on bundled sample data, into DIRECTORY.

    Serves the samples from a local server on 127.0.0.1, fetches and stores them, builds
    the site and feed, renders an MI sheet email, and prints what to open.
    """
    try:
        run_demo(directory, echo=click.echo)
    except DemoFolderError as error:
        raise click.ClickException(str(error)) from None


def main() -> None:
    cli(prog_name="publisher")


load_plugins().hook.register_commands(cli=cli)
