"""Source kinds: what plugins register so feeds.yaml can say ``kind: NAME``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from publisher.models import SourceState
from publisher.plugins import add_unique, load_plugins

if TYPE_CHECKING:
    from publisher.config import Settings, SourceConfig
    from publisher.http import HttpClient
    from publisher.models import SourceResult


@dataclass(frozen=True)
class FetchContext:
    """What a source's ``fetch`` may use: HTTP (for this source only), the settings, what
    the store knew of the source before this run (``state``: e.g. ``resolved_url``, a
    discovered feed) and, for kinds that ask, the keys of the items already stored for it."""

    http: HttpClient
    settings: Settings
    state: SourceState = SourceState()
    known_keys: frozenset[str] = frozenset()
    # Whether an attached file's address is already kept (publisher.documents).
    has_file: Callable[[str], bool] = lambda url: False


@dataclass(frozen=True)
class SourceKind:
    """A kind of source.

    ``fetch(source, context)`` downloads and parses one configured source and returns a
    ``SourceResult``; it raises ``publisher.http.FetchError`` with a readable reason when
    the source cannot be read. It runs in a worker thread, in a big run perhaps in a forked
    process (publisher.fetch_pool), so it must not touch the store, and what it returns and
    learns (``context.http.learnt``) is sent back to the run's process.

    ``needs_url``: feeds.yaml must give a url. ``discovers``: items this source lists
    for the first time (after its first successful fetch) are recorded as *new* changes.
    ``uses_known_keys``: give ``fetch`` the keys of the items already stored
    (``FetchContext.known_keys``); loaded only for kinds that ask. ``options``: the
    kind's own feeds.yaml keys with their types (checked when feeds.yaml is read).
    """

    name: str
    fetch: Callable[[SourceConfig, FetchContext], SourceResult]
    description: str = ""
    needs_url: bool = True
    discovers: bool = False
    uses_known_keys: bool = False
    url_may_be_path: bool = False  # e.g. a GOV.UK path, joined to settings.govuk_base_url
    # The source's own options in feeds.yaml and their types, e.g. {"selector": str}:
    # feeds.yaml is checked against them, so a mistyped option is named with its line.
    options: dict[str, object] = field(default_factory=dict)


def source_kinds() -> dict[str, SourceKind]:
    """Every source kind the loaded plugins register, by name."""
    kinds: dict[str, SourceKind] = {}
    load_plugins().hook.register_sources(
        register=lambda kind: add_unique(kinds, kind.name, kind, "source kind")
    )
    return kinds
