"""The one boundary for what sources return: checked and cleaned once, before anything is
stored, so every output inherits it and a bad source fails by name instead of crashing.

- Types are checked (a change note that is a number, a file size that is text, a title that
  is an object): the source fails with the field named.
- Text passes ``publisher.text.clean_text`` (no control characters or terminal escapes;
  titles on one line; sizes capped, so a 2 MB summary of nested tags cannot stall a build).
- URLs pass ``publisher.urls.safe_url`` against the source's own URL: an item whose link is
  not a web address (``javascript:``, ``data:``, ...) is dropped with a note.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from publisher.errors import PublisherError
from publisher.models import Attachment, ChangeNote, Item, Snapshot, SourceResult
from publisher.text import clean_text
from publisher.urls import safe_url

MAX_TITLE = 500
MAX_SUMMARY = 20_000
MAX_NOTE = 5_000
MAX_BODY = 2_000_000
MAX_AHEAD = timedelta(days=2)  # time zones and clocks a little wrong, not more
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class SourceResultError(PublisherError):
    """A source returned something that is not what a source may return."""


def checked(result: object, base_url: str | None) -> SourceResult:
    """``result`` checked and cleaned, or ``SourceResultError`` saying what is wrong."""
    if not isinstance(result, SourceResult):
        raise SourceResultError(f"returned {type(result).__name__}, not a SourceResult")
    notes = [_text(note, "note", MAX_NOTE) for note in _sequence(result.notes, "notes")]
    items = []
    horizon = datetime.now(UTC) + MAX_AHEAD
    for item in _sequence(result.items, "items"):
        cleaned = _item(item, base_url, horizon)
        if cleaned is None:
            notes.append(
                f"skipped an item whose link is not a web address: {item.url!r:.80}"
                if item.url
                else "skipped an item without a link"
            )
        else:
            items.append(cleaned)
    snapshots = tuple(
        _snapshot(s, base_url, notes) for s in _sequence(result.snapshots, "snapshots")
    )
    return replace(
        result,
        items=tuple(items),
        snapshots=snapshots,
        notes=tuple(notes),
        files=_files(result.files, base_url),
        resolved_url=safe_url(result.resolved_url, base_url) if result.resolved_url else None,
    )


def _files(files: object, base_url: str | None) -> dict[str, bytes]:
    if not isinstance(files, dict):
        raise SourceResultError(f"files is {type(files).__name__}, not a dict")
    kept = {}
    for url, content in files.items():
        address = safe_url(url, base_url) if isinstance(url, str) else None
        if address is None or not isinstance(content, bytes):
            raise SourceResultError(f"files holds {url!r:.80}: not an address and its bytes")
        kept[address] = content
    return kept


def _item(item: object, base_url: str | None, horizon: datetime) -> Item | None:
    if not isinstance(item, Item):
        raise SourceResultError(f"an item is {type(item).__name__}, not an Item")
    url = safe_url(item.url, base_url)
    if url is None:
        return None
    summary = _text(item.summary, "item summary", None, multiline=True)
    if len(summary) > MAX_SUMMARY:
        summary = summary[:MAX_SUMMARY] + " [shortened]"
    return replace(
        item,
        key=_text(item.key, "item key", 2048) or url,
        url=url,
        title=_text(item.title, "item title", MAX_TITLE),
        summary=summary,
        published=_plausible(_moment(item.published, "item published date"), horizon),
        updated=_plausible(_moment(item.updated, "item updated date"), horizon),
        document_type=_optional_text(item.document_type, "item document type"),
        organisation=_optional_text(item.organisation, "item organisation"),
        tags=tuple(_text(tag, "item tag", 100) for tag in _sequence(item.tags, "item tags")),
    )


def _snapshot(snapshot: object, base_url: str | None, notes: list[str]) -> Snapshot:
    if not isinstance(snapshot, Snapshot):
        raise SourceResultError(f"a snapshot is {type(snapshot).__name__}, not a Snapshot")
    url = safe_url(snapshot.url, base_url)
    if url is None:
        raise SourceResultError(f"the document's address is not a web address: {snapshot.url!r}")
    return replace(
        snapshot,
        key=_text(snapshot.key, "document key", 2048),
        url=url,
        title=_text(snapshot.title, "document title", MAX_TITLE),
        document_type=_optional_text(snapshot.document_type, "document type"),
        public_updated_at=_moment(snapshot.public_updated_at, "public_updated_at"),
        change_history=_change_history(snapshot.change_history, notes),
        attachments=tuple(
            _attachment(entry, base_url) for entry in _sequence(snapshot.attachments, "attachments")
        ),
        body_hash=_optional_text(snapshot.body_hash, "body hash"),
        body_text=_body(snapshot.body_text),
        withdrawn=_optional_text(snapshot.withdrawn, "withdrawal explanation", MAX_NOTE),
        organisations=tuple(
            _text(name, "organisation", MAX_TITLE)
            for name in _sequence(snapshot.organisations, "organisations")
        ),
    )


def _change_history(entries: object, notes: list[str]) -> tuple[ChangeNote, ...]:
    """The change notes; one dated where no calendar reaches is skipped, with a note."""
    history = []
    for entry in _sequence(entries, "change history"):
        if not isinstance(entry, ChangeNote):
            raise SourceResultError(f"a change note is {type(entry).__name__}, not a ChangeNote")
        note = _text(entry.note, "change note", MAX_NOTE, multiline=True)
        when = _moment(entry.timestamp, "change note date", required=True)
        if when is None:
            notes.append(f"skipped a change note with a date out of range: {note!r:.80}")
        else:
            history.append(ChangeNote(when, note))
    return tuple(history)


def _attachment(entry: object, base_url: str | None) -> Attachment:
    if not isinstance(entry, Attachment):
        raise SourceResultError(f"an attachment is {type(entry).__name__}, not an Attachment")
    return Attachment(
        title=_text(entry.title, "attachment title", MAX_TITLE),
        url=safe_url(entry.url, base_url) or "",
        content_type=_optional_text(entry.content_type, "attachment content type"),
        file_size=_count(entry.file_size, "attachment file_size"),
        pages=_count(entry.pages, "attachment pages"),
    )


def _text(value: object, what: str, max_length: int | None, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise SourceResultError(f"{what} is {_kind(value)}, not text")
    return clean_text(value, max_length, multiline=multiline)


def _optional_text(value: object, what: str, max_length: int | None = MAX_TITLE) -> str | None:
    return None if value is None else _text(value, what, max_length)


def _body(value: object) -> str | None:
    if value is None:
        return None
    return _text(value, "document text", None, multiline=True)[:MAX_BODY]


def _moment(value: object, what: str, required: bool = False) -> datetime | None:
    """In UTC, as the store keeps it; None when UTC cannot hold it (year 0 or 10000)."""
    if value is None and not required:
        return None
    if not isinstance(value, datetime):
        raise SourceResultError(f"{what} is {_kind(value)}, not a date and time")
    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        return None


def _plausible(moment: datetime | None, horizon: datetime) -> datetime | None:
    """An item's date, unless it is after ``horizon``, days ahead (2099, or a clock set
    wrong: the item would head every 'latest' list for years and be in no month's
    bulletin), or before 1970 (a placeholder such as year 1 or 100, shown as if real)."""
    return moment if moment is None or EARLIEST <= moment <= horizon else None


def _count(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**15:
        raise SourceResultError(f"{what} is {_kind(value)}, not a whole number")
    return value


def _sequence(value: object, what: str) -> tuple:
    if not isinstance(value, tuple | list):
        raise SourceResultError(f"{what} is {_kind(value)}, not a list")
    return tuple(value)


def _kind(value: object) -> str:
    shown = repr(value)
    return f"{type(value).__name__} {shown[:40]}{'...' if len(shown) > 40 else ''}"
