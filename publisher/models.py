"""Records that flow between sources, the store and the outputs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.refs import Reference


@dataclass(frozen=True)
class Item:
    """One entry from a source: a feed entry, a GOV.UK document, an article link."""

    key: str
    url: str
    title: str
    summary: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    document_type: str | None = None
    organisation: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        return digest(self.url, self.title, self.summary, self.updated, self.document_type)


@dataclass(frozen=True)
class StoredItem(Item):
    """An item as the store holds it, with where it came from and when it was first seen."""

    id: int = 0
    source_id: str = ""
    first_seen: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient through one deliverer, in the send log."""

    id: int
    message_key: str  # e.g. "mi/1/24", "bulletin/2024-02"
    recipient: str
    channel: str  # the deliverer
    message_id: str
    status: str  # pending, sending, sent, failed
    attempts: int = 0
    error: str | None = None
    receipt: str | None = None
    claimed_by: str | None = None


@dataclass(frozen=True)
class RobotsFile:
    """A host's robots.txt as last fetched."""

    host: str  # scheme://netloc
    text: str | None  # None: unreadable, so nothing is allowed
    fetched_at: datetime
    problem: str | None = None  # why it could not be read


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a URL told us, for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class SourceState:
    """What earlier runs left known about a source (all empty for one never run).
    Times are ISO 8601 UTC text, as stored and as `publisher sources --json` shows them."""

    resolved_url: str | None = None  # e.g. the feed a web page advertised
    last_attempt: str | None = None
    last_success: str | None = None
    last_new_item: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failing_since: str | None = None
    quiet_flagged_at: str | None = None
    config_hash: str | None = None  # the source's feeds.yaml entry when last read
    last_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceResult:
    """What fetching one source produced.

    ``not_modified`` means the server (or the content hash) says nothing changed since
    the last fetch, so nothing was parsed.
    """

    items: tuple[Item, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    not_modified: bool = False
    resolved_url: str | None = None
    notes: tuple[str, ...] = field(default=())
    # Attached files downloaded this run, {address: content}, kept for comparisons.
    files: dict[str, bytes] = field(default_factory=dict)


def digest(*parts) -> str:
    """A stable hash of some values, for noticing that content changed."""
    text = json.dumps([str(part) if part is not None else None for part in parts])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChangeNote:
    """One entry of a GOV.UK page's change history."""

    timestamp: datetime
    note: str


@dataclass(frozen=True)
class Attachment:
    title: str
    url: str
    content_type: str | None = None
    file_size: int | None = None
    pages: int | None = None

    def describe(self) -> str:
        facts = [
            fact
            for fact in (
                f"{self.pages} pages" if self.pages else None,
                f"{self.file_size:,} bytes" if self.file_size else None,
            )
            if fact
        ]
        return f"{self.title} ({', '.join(facts)})" if facts else self.title


@dataclass(frozen=True)
class Snapshot:
    """The state of a watched document at one fetch; each distinct state is a stored version.

    ``notes_expected`` says whether the publisher announces significant changes with change
    notes (GOV.UK does): then a body change without a note is minor. A plain web page has no
    notes, so a change to its text is the significant event.
    """

    key: str
    url: str
    title: str
    document_type: str | None = None
    public_updated_at: datetime | None = None
    change_history: tuple[ChangeNote, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    body_hash: str | None = None
    body_text: str | None = None
    withdrawn: str | None = None  # the explanation, when withdrawn or gone
    organisations: tuple[str, ...] = ()
    notes_expected: bool = True

    @property
    def state_hash(self) -> str:
        return digest(self.to_json())

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, default=_json_default, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        data = json.loads(text)
        data["public_updated_at"] = _parse_datetime(data["public_updated_at"])
        data["change_history"] = tuple(
            ChangeNote(_parse_datetime(entry["timestamp"]), entry["note"])
            for entry in data["change_history"]
        )
        data["attachments"] = tuple(Attachment(**entry) for entry in data["attachments"])
        data["organisations"] = tuple(data["organisations"])
        return cls(**data)


@dataclass(frozen=True)
class Change:
    """Something that happened to a watched document, found once.

    ``kind`` is one of new, major, minor, attachment, withdrawn.
    """

    source_id: str
    key: str
    url: str
    title: str
    kind: str
    statutory: bool
    note: str = ""
    refs: tuple[Reference, ...] = ()
    details: str = ""
    changed_at: datetime | None = None
    id: int | None = None
    detected_at: datetime | None = None
    # A replaced attachment compared with its new edition: publisher.comparison JSON, with
    # "cross_check" (the note against the documents) or "error" when it could not be read.
    comparison: dict | None = None

    @property
    def entries(self) -> tuple[str, ...]:
        """The note's entries, each once, in order (an entry listing several places gives
        several references with the same text)."""
        return tuple(dict.fromkeys(reference.text for reference in self.refs))

    @property
    def fingerprint(self) -> str:
        """Identifies the change itself, so the same change is never recorded twice."""
        return digest(self.source_id, self.key, self.kind, self.changed_at, self.note, self.details)


@dataclass(frozen=True)
class Notice:
    type: str
    title: str
    contact: str
    body: str = ""  # markdown written by the LA team
    audiences: tuple[str, ...] = ()  # audience ids from feeds.yaml
    due: str | None = None  # "7" (working days after publication) or "2024-01-12"
    status: str = "draft"
    number: str | None = None
    published: datetime | None = None  # UK local time
    deadline: date | None = None
    replaces: str | None = None  # the number of the sheet this one corrects
    change_id: int | None = None
    id: int | None = None

    @property
    def subject(self) -> str:
        """A subject a reader can triage, e.g. 'MI 1/24 ACTION by 12/01/2024: Title'."""
        due = f" by {self.deadline:%d/%m/%Y}" if self.deadline else ""
        return f"MI {self.number or 'draft'} {self.type.upper()}{due}: {self.title}"

    @property
    def slug(self) -> str:
        return f"mi-{self.number.replace('/', '-')}" if self.number else f"draft-{self.id}"

    @property
    def label(self) -> str:
        return f"MI {self.number}" if self.number else f"draft #{self.id}"


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a snapshot")


def _parse_datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Entry:
    """One story in a bulletin section."""

    title: str
    url: str
    summary: str = ""  # sanitised HTML
    source: str = ""
    published: str | None = None  # ISO date
    audiences: tuple[str, ...] = ()  # empty: everyone who gets the section
    quotes: tuple[str, ...] = ()  # change-note lines, e.g. "Page 26, paragraph 48: ..."
    label: str = ""  # e.g. "Updated", "MI 1/24 ACTION by 12/01/2024"
    comparison: str = ""  # the site's page comparing the editions, e.g. "changes/12.html"


@dataclass(frozen=True)
class Section:
    """A titled part of a bulletin."""

    title: str
    entries: tuple[Entry, ...]
    audiences: tuple[str, ...] = ()  # empty: every audience


@dataclass(frozen=True)
class Bulletin:
    """A month's bulletin as built (publisher.bulletins) and stored, for every audience."""

    month: str  # "2024-02"
    title: str
    intro: str = ""  # markdown
    sections: tuple[Section, ...] = ()

    @property
    def entry_count(self) -> int:
        return sum(len(section.entries) for section in self.sections)

    def for_audience(self, *audiences: str) -> Bulletin:
        """Only the sections, and entries, meant for any of ``audiences``."""
        wanted = set(audiences)
        sections = []
        for section in self.sections:
            if section.audiences and not wanted & set(section.audiences):
                continue
            entries = tuple(
                e for e in section.entries if not e.audiences or wanted & set(e.audiences)
            )
            if entries:
                sections.append(replace(section, entries=entries))
        return replace(self, sections=tuple(sections))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Bulletin:
        data = json.loads(text)
        sections = tuple(
            Section(
                title=section["title"],
                audiences=tuple(section["audiences"]),
                entries=tuple(
                    Entry(
                        **{
                            **entry,
                            "audiences": tuple(entry["audiences"]),
                            "quotes": tuple(entry["quotes"]),
                        }
                    )
                    for entry in section["entries"]
                ),
            )
            for section in data["sections"]
        )
        return cls(month=data["month"], title=data["title"], intro=data["intro"], sections=sections)
