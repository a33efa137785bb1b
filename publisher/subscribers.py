"""Subscribers: who gets which audience's MI sheets and bulletins, from a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email

from publisher.config import Config

if TYPE_CHECKING:  # the store imports Subscriber from here
    from publisher.store import Store


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str = ""
    school: str = ""
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


def read_csv(path: Path, config: Config) -> tuple[list[Subscriber], list[RejectedRow]]:
    """Good rows and rejected ones (with their line numbers) from a CSV file with columns
    email, name, school, audiences (ids or names, separated by ';' or '|')."""
    text = path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.strip().lower() for name in reader.fieldnames or ()}
    if "email" not in fields:
        return [], [RejectedRow(1, "no 'email' column in the header")]
    by_name = {name.lower(): audience for audience, name in config.audiences.items()}
    good, bad = [], []
    for row in reader:
        row = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
        line = reader.line_num
        try:
            email = validate_email(row.get("email", ""), check_deliverability=False).normalized
        except EmailNotValidError as error:
            bad.append(
                RejectedRow(line, f"'{row.get('email', '')}' is not an email address: {error}")
            )
            continue
        audiences, unknown = [], []
        for part in row.get("audiences", "").replace("|", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            audience = part if part in config.audiences else by_name.get(part.lower())
            (audiences if audience else unknown).append(audience or part)
        if unknown:
            bad.append(
                RejectedRow(
                    line,
                    f"unknown audience {', '.join(unknown)} (known: {', '.join(config.audiences)})",
                )
            )
            continue
        if not audiences:
            bad.append(RejectedRow(line, f"{email} has no audiences"))
            continue
        good.append(
            Subscriber(
                email, row.get("name", ""), row.get("school", ""), tuple(dict.fromkeys(audiences))
            )
        )
    return good, bad


def import_subscribers(store: Store, subscribers: list[Subscriber]) -> tuple[list, list]:
    """Save subscribers, except those on the unsubscribe list: (saved, unsubscribed)."""
    unsubscribed = store.unsubscribed()
    saved = [subscriber for subscriber in subscribers if subscriber.email not in unsubscribed]
    with store.transaction():
        store.save_subscribers(saved)
    return saved, [subscriber for subscriber in subscribers if subscriber.email in unsubscribed]
