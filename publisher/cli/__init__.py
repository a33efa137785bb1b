"""The ``publisher`` command line: one click group, its commands in a module per area.

Commands are thin: they parse options, call the core functions the web app calls too, and
print. Domain errors (``publisher.errors``) become one line and their exit status here.
"""

from __future__ import annotations

from pathlib import Path

import click

from publisher import __version__
from publisher.cli.app import DATA_DIR_NAME, App
from publisher.cli.bulletins import bulletin
from publisher.cli.changes import changes, check
from publisher.cli.delivery import send, subscribers
from publisher.cli.mi import mi
from publisher.cli.project import demo, init, plugins
from publisher.cli.site import build, preview
from publisher.cli.sources import fetch, items, sources
from publisher.cli.store import backup
from publisher.cli.web import serve, users_group
from publisher.errors import PublisherError
from publisher.plugins import load_plugins


class UserError(click.ClickException):
    """A domain error shown as one line, with the exit status its class gives."""

    def __init__(self, error: PublisherError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


class PublisherGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PublisherError as error:
            raise UserError(error) from None


@click.group(cls=PublisherGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


for command in (
    init,
    fetch,
    sources,
    items,
    check,
    changes,
    build,
    mi,
    bulletin,
    subscribers,
    send,
    plugins,
    preview,
    serve,
    users_group,
    backup,
    demo,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="publisher")


load_plugins().hook.register_commands(cli=cli)
