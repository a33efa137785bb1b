"""The ``publisher`` command line: one click group, its commands in a module per area.

Commands are thin: they parse options, call the core functions the web app calls too, and
print. Domain errors (``publisher.errors``) become one line and their exit status here.
Command modules are imported when their command runs, so ``publisher --help`` and quick
commands start without loading what they do not use; their summaries are listed here
(``test_cli.py`` checks them against the commands' own help).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from publisher import __version__
from publisher.errors import PublisherError
from publisher.plugins import load_plugins

DATA_DIR_NAME = "publisher-data"

# name: (module, function, summary shown by --help)
COMMANDS = {
    "init": ("project", "init", "Write a starter feeds.yaml into DIRECTORY (default: here)."),
    "sources": ("sources", "sources", "List configured sources with their health: kind, what..."),
    "fetch": ("sources", "fetch", "Fetch every source and store new and updated items."),
    "check": ("changes", "check", "Fetch, detect changes and alert: the command for cron."),
    "changes": ("changes", "changes", "List detected changes with their page and paragraph..."),
    "items": ("sources", "items", "List stored items, newest first."),
    "mi": ("mi", "mi", "MI sheets: draft, edit, approve and publish Management..."),
    "bulletin": (
        "bulletins",
        "bulletin",
        "Monthly bulletins: statutory updates, MI sheets and news,...",
    ),
    "compare": (
        "compare",
        "compare",
        "Compare two editions of a guidance document, paragraph by...",
    ),
    "build": ("site", "build", "Build the static site and feeds from what is stored."),
    "subscribers": (
        "delivery",
        "subscribers",
        "Subscribers: who receives which audiences' MI sheets and...",
    ),
    "send": ("delivery", "send", "Send an MI sheet, a bulletin or pending alerts through..."),
    "preview": ("site", "preview", "Serve the built site on http://127.0.0.1:PORT/ until Ctrl-C."),
    "serve": ("web", "serve", "Run the web app: the site and subscriptions for schools,..."),
    "users": ("web", "users_group", "Team accounts for the web app: editors draft, approvers..."),
    "backup": ("store", "backup", "Copy the database to TARGET, safely while cron and the..."),
    "plugins": ("project", "plugins", "List loaded plugins and the hooks each implements."),
    "demo": ("project", "demo", "Run the whole pipeline offline on bundled sample data,..."),
}


class UserError(click.ClickException):
    """A domain error shown as one line, with the exit status its class gives."""

    def __init__(self, error: PublisherError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


class PublisherGroup(click.Group):
    """Turns domain errors into one line; loads built-in commands when they are used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, function, _ = COMMANDS[name]
            command = getattr(importlib.import_module(f"publisher.cli.{module}"), function)
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self.commands:
                rows.append((name, COMMANDS[name][2]))
            elif command := self.get_command(ctx, name):
                rows.append((name, command.get_short_help_str(limit=formatter.width)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
    from publisher.cli.app import App

    ctx.obj = App(config_path, data_dir)


def main() -> None:
    cli(prog_name="publisher")


load_plugins().hook.register_commands(cli=cli)
