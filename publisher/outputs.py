"""Outputs that plugins register and ``publisher build`` runs: the site, feeds, calendars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.errors import PublisherError
from publisher.plugins import add_unique, load_plugins

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.render import Renderer
    from publisher.store import Store


@dataclass(frozen=True)
class SiteBuild:
    """Everything an output needs to write its files."""

    config: Config
    store: Store
    directory: Path
    renderer: Renderer

    def write(self, relative_path: str, content: str | bytes) -> Path:
        path = self.directory / relative_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        except OSError as error:
            raise PublisherError(
                f"cannot write {path}: {error.strerror}: make {self.directory} writable by "
                "this user, or build elsewhere with --output"
            ) from None
        return path


@dataclass(frozen=True)
class Output:
    """An output: ``build(site)`` writes files under ``site.directory``, returns their paths."""

    name: str
    build: Callable[[SiteBuild], list[Path]]
    description: str = ""


def outputs() -> dict[str, Output]:
    found: dict[str, Output] = {}
    load_plugins().hook.register_outputs(
        register=lambda output: add_unique(found, output.name, output, "output")
    )
    return found


def build_site(config: Config, store: Store, directory: Path) -> dict[str, list[Path]]:
    """Run every registered output into ``directory``; the paths each wrote, by output."""
    from publisher.render import Renderer

    site = SiteBuild(config, store, Path(directory), Renderer(config))
    site.directory.mkdir(parents=True, exist_ok=True)
    return {name: output.build(site) for name, output in outputs().items()}
