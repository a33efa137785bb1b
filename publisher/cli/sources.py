"""Sources and fetching: `fetch`, `sources`, `items`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from publisher.cli.app import App, echo_json, format_option, pass_app, since_date
from publisher.discover import find_feed_links
from publisher.health import source_rows
from publisher.http import FetchError, HttpClient, HttpPolicy, raise_for_status
from publisher.serialise import item_json

if TYPE_CHECKING:
    from publisher.fetch import SourceReport


@click.command()
@click.option("--source", "only", multiple=True, help="Fetch only this source id (repeatable).")
@click.option("--workers", type=int, help="Sources fetched at once [default: settings.workers, 8].")
@pass_app
def fetch(app: App, only: tuple[str, ...], workers: int) -> None:
    """Fetch every source and store new and updated items.

    Prints a line per source: new / updated / unchanged items, or why it failed.
    Exits 1 if any source failed (the others are still fetched and stored).
    """
    from publisher.fetch import fetch_sources  # `sources` and `items` need none of it

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


@click.command()
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
    rows = source_rows(app.config, app.store)
    if output_format == "json":
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']} [{row['kind']}] {row['url'] or ''}")
        audiences = ", ".join(app.config.audiences[id] for id in row["audiences"])
        statutory = "; statutory" if row["statutory"] else ""
        click.echo(f"    for: {audiences or 'every audience'}{statutory}")
        if row["resolved_url"] and row["resolved_url"] != row["url"]:
            click.echo(f"    resolved to {row['resolved_url']}")
        click.echo(
            f"    last success: {row['last_success'] or 'never'}; "
            f"last new item: {row['last_new_item'] or 'never'}"
        )
        for note in row["last_notes"]:
            click.echo(f"    noted on the last run: {note}")
        if row["last_error"]:
            click.echo(
                f"    FAILING: {row['consecutive_failures']} runs in a row since "
                f"{row['failing_since']}: {row['last_error']}"
            )


def _show_discovered(url: str, output_format: str) -> None:
    client = HttpClient(HttpPolicy(host_delay=0))
    try:
        response = client.get(url, conditional=False, accept="text/html")
        raise_for_status(response)
    except FetchError as error:
        raise click.ClickException(f"{url}: {error}") from None
    links = find_feed_links(response.body, response.url)
    if output_format == "json":
        echo_json([asdict(link) for link in links])
        return
    if not links:
        click.echo(f"{url} links to no RSS or Atom feed; use kind: listing for it.")
    for number, link in enumerate(links):
        chosen = "  <- a feed source would use this" if number == 0 else ""
        title = f" ({link.title})" if link.title else ""
        click.echo(f"{link.kind:<5} {link.url}{title}{chosen}")


@click.command()
@click.option("--source", "source_id", help="Only items from this source id.")
@click.option("--since", help="Only items published on or after this date (YYYY-MM-DD).")
@click.option("--limit", type=int, default=50, show_default=True)
@format_option
@pass_app
def items(
    app: App, source_id: str | None, since: str | None, limit: int, output_format: str
) -> None:
    """List stored items, newest first."""
    found = app.store.items(
        source_id=app.source_id(source_id), since=since_date(since), limit=limit
    )
    if output_format == "json":
        echo_json([item_json(item) for item in found])
        return
    for item in found:
        when = f"{item.published:%Y-%m-%d}" if item.published else "----------"
        click.echo(f"{when}  [{item.source_id}] {item.title}\n            {item.url}")
