"""What ``send`` sends: an MI sheet or a month's bulletin to its subscribers; a test copy to
one address; and sends scheduled for later, which ``check`` (or ``send --due``) carries out.
The CLI, the web app and cron all come through here."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from publisher.bulletins import stored_bulletin
from publisher.config import Config
from publisher.dates import from_iso, to_iso, utcnow
from publisher.deliver import open_deliverer
from publisher.errors import InputError
from publisher.letters import bulletin_letters, letters_for_notice
from publisher.messages import new_message_id, sender_mailbox
from publisher.notices import check_send_time, find
from publisher.render import Renderer
from publisher.sending import Letter, SendReport, personalise, send_letters
from publisher.store import Store
from publisher.subscribers import Subscriber


@dataclass(frozen=True)
class Scheduled:
    id: int
    kind: str  # mi or bulletin
    reference: str  # 1/24 or 2024-02
    audiences: tuple[str, ...]
    send_at: datetime


def letters(
    config: Config, store: Store, kind: str, reference: str, audiences: tuple[str, ...] = ()
) -> list[tuple[Letter, list[Subscriber]]]:
    """The letters of an MI sheet (``kind`` mi) or a bulletin (``bulletin``), each with its
    recipients, limited to ``audiences`` when given (unknown audiences are an error)."""
    unknown = [audience for audience in audiences if audience not in config.audiences]
    if unknown:
        raise InputError(
            f"unknown audience {', '.join(unknown)} (known: {', '.join(config.audiences)})"
        )
    renderer = Renderer(config)
    if kind == "mi":
        return letters_for_notice(renderer, config, store, find(store, reference), audiences)
    recipients = store.subscribers(audiences or None)
    return bulletin_letters(renderer, config, stored_bulletin(store, reference), recipients)


def send_test(
    config: Config, data_dir: Path, letter: Letter, address: str, via: str | None = None
) -> str:
    """One copy of ``letter`` to ``address``, its subject marked [TEST], outside the send
    log (so the real send later still goes to everyone). Returns the deliverer's receipt."""
    test = replace(letter, subject=f"[TEST] {letter.subject}")
    recipient = Subscriber(address, "Test recipient")
    message_id = new_message_id(sender_mailbox(config.organisation))
    message = personalise(test, recipient, config, message_id, data_dir)
    deliverer = open_deliverer(via or config.delivery.get("via", "outbox"), config, data_dir)
    try:
        return deliverer.send(message, address)
    finally:
        deliverer.close()


def schedule(
    store: Store, kind: str, reference: str, audiences: tuple[str, ...], send_at: datetime
) -> Scheduled:
    """A send for later (see ``notices.check_send_time``), carried out by ``send_due``."""
    check_send_time(send_at)
    with store.transaction():
        cursor = store.db.execute(
            "INSERT INTO scheduled_sends (kind, reference, audiences, send_at) VALUES (?, ?, ?, ?)",
            (kind, reference, json.dumps(list(audiences)), to_iso(send_at)),
        )
    return Scheduled(cursor.lastrowid, kind, reference, audiences, send_at)


def claim_due(store: Store, now: datetime | None = None) -> list[Scheduled]:
    """Scheduled sends whose time has come, each taken by one process only (atomic)."""
    now = now or utcnow()
    due = []
    with store.transaction():
        rows = store.db.execute(
            "SELECT * FROM scheduled_sends WHERE started_at IS NULL AND send_at <= ? ORDER BY id",
            (to_iso(now),),
        ).fetchall()
        for row in rows:
            store.db.execute(
                "UPDATE scheduled_sends SET started_at = ? WHERE id = ?", (to_iso(now), row["id"])
            )
            due.append(
                Scheduled(
                    row["id"],
                    row["kind"],
                    row["reference"],
                    tuple(json.loads(row["audiences"])),
                    from_iso(row["send_at"]),
                )
            )
    return due


def send_due(config: Config, store: Store, data_dir: Path) -> list[tuple[Scheduled, SendReport]]:
    """Carry out every scheduled send whose time has come (through the send log, so a
    crash part-way is finished by the next run of ``send`` for the same sheet)."""
    return [
        (
            due,
            send_letters(
                config,
                store,
                letters(config, store, due.kind, due.reference, due.audiences),
                data_dir,
            ),
        )
        for due in claim_due(store)
    ]
