"""The ``outbox`` deliverer: writes each message as an .eml file (the default channel)."""

from __future__ import annotations

import hashlib
import re
from email.message import Message
from pathlib import Path

from publisher import hookimpl

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@hookimpl
def register_deliverers(register):
    register("outbox", Outbox)


class Outbox:
    """Writes messages to ``directory`` (default: ``outbox/`` in the data directory).

    The file name comes from the Message-ID, so sending the same message again (a rerun
    after a crash) rewrites the same file rather than adding a second one.
    """

    def __init__(self, config, data_dir: Path, directory: Path | str | None = None):
        self.directory = Path(directory) if directory else Path(data_dir) / "outbox"
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: Message, recipient: str) -> str:
        name = _UNSAFE.sub("-", f"{message['To']}-{message['Subject']}").strip("-")[:100]
        unique = hashlib.sha1(str(message["Message-ID"]).encode()).hexdigest()[:10]
        path = self.directory / f"{name}-{unique}.eml"
        path.write_bytes(bytes(message))
        return str(path)

    def close(self) -> None:
        pass
