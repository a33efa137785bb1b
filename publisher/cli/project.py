"""Setting up and looking around: `init`, `plugins`, `demo`."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import click

from publisher.cli.app import echo_json, format_option
from publisher.deliver import deliverers
from publisher.demo import run_demo
from publisher.outputs import outputs
from publisher.plugins import PluginConflict, load_plugins, plugin_summaries
from publisher.sources import source_kinds

STARTER_CONFIG = files("publisher.sample_data") / "feeds.yaml"


@click.command()
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


@click.command()
@format_option
def plugins(output_format: str) -> None:
    """List loaded plugins and the hooks each implements.

    Then what they add: the source kinds feeds.yaml may name, the outputs `build` writes
    and the deliverers `send` may use."""
    load_plugins()
    summaries = plugin_summaries()
    if output_format == "json":
        echo_json(summaries)
        return
    for summary in summaries:
        click.echo(f"{summary['name']}: {', '.join(summary['hooks'])}")
    # Listed even when two plugins claim one name, so the culprit can be found above.
    for heading, registered in (
        ("Source kinds (feeds.yaml 'kind')", source_kinds),
        ("Outputs (publisher build)", outputs),
        ("Deliverers (delivery.via)", deliverers),
    ):
        click.echo(f"\n{heading}:")
        try:
            provided = registered()
        except PluginConflict as conflict:
            click.echo(f"  {conflict}")
            continue
        width = max(map(len, provided), default=0)
        for name, entry in sorted(provided.items()):
            description = getattr(entry, "description", "")
            click.echo(f"  {name:<{width}}  {description}".rstrip())


@click.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default="publisher-demo"
)
def demo(directory: Path) -> None:
    """Run the whole pipeline offline on bundled sample data, into DIRECTORY.

    Serves the samples from a local server on 127.0.0.1, fetches them, detects a statutory
    change, publishes MI sheets and a bulletin, builds the site, feeds and calendars, sends
    the emails to an outbox folder, and prints what to open.
    """
    run_demo(directory, echo=click.echo)
