"""The database: `backup`."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.app import App, pass_app


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace TARGET if it exists.")
@pass_app
def backup(app: App, target: Path, force: bool) -> None:
    """Copy the database to TARGET, safely while cron and the web app use it.

    To restore: stop cron and `publisher serve`, copy the backup over publisher.db in the
    data folder, delete publisher.db-wal and publisher.db-shm beside it, and start again.
    """
    if target.exists() and not force:
        raise click.BadParameter(
            f"{target} exists (use --force to replace it)", param_hint="TARGET"
        )
    target.unlink(missing_ok=True)
    app.store.backup(target)
    click.echo(f"Backed up {app.store.path} to {target} ({target.stat().st_size:,} bytes).")
