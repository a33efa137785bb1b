"""Delivery channels that plugins register: ``outbox`` (.eml files) by default."""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from publisher.errors import PublisherError
from publisher.plugins import add_unique, load_plugins

if TYPE_CHECKING:
    from publisher.config import Config


class TemporaryFailure(Exception):
    """Worth trying again later: SMTP 4xx, a timeout, a dropped connection, HTTP 429/5xx."""


class DelivererUnavailable(TemporaryFailure):
    """The channel itself cannot be used now (server unreachable, login refused): the run
    stops, and what is left stays pending for the next one."""


class PermanentFailure(Exception):
    """Will not work however often it is tried: SMTP 5xx, an invalid address."""


class DelivererNotReady(PublisherError):
    """The deliverer's settings or secrets are missing, e.g. an API key not in the environment."""


class Deliverer(Protocol):
    def send(self, message: Message, recipient: str) -> str:
        """Deliver one message to ``recipient`` (the envelope address, always the stored
        one: never read it from the message's headers); return an id for the send log (a
        path, a server id). Raise ``TemporaryFailure``, ``DelivererUnavailable`` or
        ``PermanentFailure`` when it is not delivered."""

    def close(self) -> None:
        """Release connections or files."""


DelivererFactory = Callable[..., Deliverer]


def deliverers() -> dict[str, DelivererFactory]:
    """Every delivery channel the loaded plugins register, by name."""
    found: dict[str, DelivererFactory] = {}
    load_plugins().hook.register_deliverers(
        register=lambda name, factory: add_unique(found, name, factory, "deliverer")
    )
    return found


def open_deliverer(name: str, config: Config, data_dir: Path, **options) -> Deliverer:
    """Create the named deliverer: ``factory(config, data_dir, **options)``."""
    available = deliverers()
    if name not in available:
        raise DelivererNotReady(
            f"no deliverer named '{name}' (available: {', '.join(sorted(available))})"
        )
    return available[name](config, data_dir, **options)
