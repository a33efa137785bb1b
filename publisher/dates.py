"""Timestamps as the store keeps them: timezone-aware UTC, ISO 8601 text."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")  # MI sheets and bulletins speak UK local time


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """feedparser's parsed dates are UTC struct_time values."""
    if value is None:
        return None
    return datetime(*value[:6], tzinfo=UTC)


def parse_since(text: str) -> datetime:
    """A ``--since`` value: a date (2024-02-01) or a full ISO timestamp."""
    try:
        return from_iso(text)
    except ValueError:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
