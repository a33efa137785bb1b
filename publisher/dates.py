"""Timestamps as the store keeps them (timezone-aware UTC, ISO 8601 text), and dates as
people write them."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")  # MI sheets and bulletins speak UK local time


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def uk_today() -> date:
    """Today as the UK has it: deadlines and schools' days are UK days."""
    return utcnow().astimezone(UK).date()


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
    """feedparser's parsed dates are UTC struct_time values; one that left the years a
    datetime can hold when moved to UTC ("0001-01-01T00:00:00+01:00") is no date."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def parse_day(text: str) -> date:
    """A date as people type it: 2024-03-31 or, as every output here writes it, 31/03/2024
    (day first, never month first). ``ValueError`` for anything else."""
    text = text.strip()
    uk = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if uk:
        day, month, year = map(int, uk.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def parse_since(text: str) -> datetime:
    """A ``--since`` value: a date (2024-02-01 or 01/02/2024: from midnight UK time) or a
    date and time (UK time unless it gives an offset), as every time a person types here."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.combine(parse_day(text), datetime.min.time(), tzinfo=UK)
    return moment if moment.tzinfo else moment.replace(tzinfo=UK)


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_SHAPES = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b",
    re.IGNORECASE,
)


def find_date(text: str) -> datetime | None:
    """The first date written in ``text``, read day-first as in the UK: '2024-02-20',
    '20/02/2024', 'Monday 20th February 2024', 'Feb 20, 2024', even beside other numbers
    ('Published: 19 Feb 2024 · 3 min read'). UK time unless the text gives an offset."""
    match = _DATE_SHAPES.search(text or "")
    if match is None:
        return None
    from dateutil import parser as dateparser

    shape = match.group()
    try:
        moment = dateparser.parse(shape, dayfirst=not re.match(r"\d{4}-", shape))
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UK)
