"""The web site: `build` and `preview`."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import click

from publisher.cli.app import App, pass_app
from publisher.outputs import build_site
from publisher.serve import serve_directory
from publisher.text import plural


@click.command()
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
        click.echo(f"{name}: {plural(len(paths), 'file')}")
    click.echo(f"Open {directory / 'index.html'}")


@click.command()
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
    try:
        with serve_directory(directory, port=port) as url:
            click.echo(f"Serving {directory} at {url} (Ctrl-C to stop)")
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    except OSError as error:
        raise click.ClickException(
            f"cannot serve on port {port}: {error.strerror} (choose another with --port)"
        ) from None
