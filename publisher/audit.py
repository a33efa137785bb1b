"""The audit log: who did what, and when, through the web app or the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from publisher.dates import from_iso, to_iso, utcnow
from publisher.store import Store


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    details: str


def record(store: Store, actor: str, action: str, subject: str = "", details: str = "") -> None:
    """Add an entry (inside the caller's transaction when there is one)."""
    store.db.execute(
        "INSERT INTO audit_log (at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?)",
        (to_iso(utcnow()), actor, action, subject, details),
    )


def entries(store: Store, limit: int = 200) -> list[AuditEntry]:
    rows = store.db.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
    return [
        AuditEntry(from_iso(row["at"]), row["actor"], row["action"], row["subject"], row["details"])
        for row in rows
    ]
