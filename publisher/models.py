"""Records that flow between sources, the store and the outputs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime


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
class SourceResult:
    """What fetching one source produced.

    ``not_modified`` means the server (or the content hash) says nothing changed since
    the last fetch, so nothing was parsed.
    """

    items: tuple[Item, ...] = ()
    not_modified: bool = False
    resolved_url: str | None = None
    notes: tuple[str, ...] = field(default=())


def digest(*parts) -> str:
    """A stable hash of some values, for noticing that content changed."""
    text = json.dumps([str(part) if part is not None else None for part in parts])
    return hashlib.sha256(text.encode()).hexdigest()
