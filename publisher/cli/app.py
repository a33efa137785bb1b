"""What every command shares: the App (config, data directory, store) and common options."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from pathlib import Path

import click

from publisher.cli import DATA_DIR_NAME
from publisher.config import Config, load_config
from publisher.dates import parse_since
from publisher.sources import SourceKind, source_kinds
from publisher.store import Store


class App:
    """The config file, the data directory and the store, opened when first used."""

    def __init__(self, config_path: Path, data_dir: Path | None):
        self.config_path = config_path
        self.data_dir = data_dir or config_path.resolve().parent / DATA_DIR_NAME

    @cached_property
    def kinds(self) -> dict[str, SourceKind]:
        return source_kinds()

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path, self.kinds, checked_in=self.data_dir)

    @cached_property
    def store(self) -> Store:
        # Read the config first: a command run where there is none says so (exit 2) and
        # leaves no data folder behind.
        _ = self.config
        return Store(self.data_dir)

    def source_id(self, value: str | None, option: str = "--source") -> str | None:
        """A source id given on the command line, checked against feeds.yaml."""
        known = [source.id for source in self.config.sources]
        if value is not None and value not in known:
            raise click.BadParameter(
                f"no source with id '{value}' (known: {', '.join(known)})", param_hint=option
            )
        return value

    def audience_id(self, value: str | None, option: str = "--audience") -> str | None:
        """An audience id given on the command line, checked against feeds.yaml."""
        if value is not None and value not in self.config.audiences:
            known = ", ".join(self.config.audiences)
            raise click.BadParameter(
                f"unknown audience '{value}' (known: {known})", param_hint=option
            )
        return value

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


def since_date(text: str | None) -> datetime | None:
    """The value of a --since option, or a usage error naming it."""
    if not text:
        return None
    try:
        return parse_since(text)
    except ValueError:
        raise click.BadParameter(
            f"'{text}' is not a date like 23/02/2024 or 2024-02-23", param_hint="--since"
        ) from None


def echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2))
