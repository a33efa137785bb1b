"""The stable JSON shapes that scripts (and the web app) read: one place for each."""

from __future__ import annotations

from dataclasses import asdict

from publisher.config import Config
from publisher.dates import to_iso
from publisher.models import Change, Item, Notice


def item_json(item: Item) -> dict:
    return {
        **asdict(item),
        "published": to_iso(item.published),
        "updated": to_iso(item.updated),
        "first_seen": to_iso(item.first_seen),
        "tags": list(item.tags),
    }


def change_json(change: Change) -> dict:
    return {
        "id": change.id,
        "source": change.source_id,
        "kind": change.kind,
        "statutory": change.statutory,
        "title": change.title,
        "url": change.url,
        "note": change.note,
        "refs": [ref.to_dict() for ref in change.refs],
        "details": change.details,
        "changed_at": to_iso(change.changed_at),
        "detected_at": to_iso(change.detected_at),
        "comparison": change.comparison,
    }


def notice_json(config: Config, notice: Notice) -> dict:
    return {
        "id": notice.id,
        "number": notice.number,
        "type": notice.type,
        "title": notice.title,
        "status": notice.status,
        "published": notice.published.isoformat() if notice.published else None,
        "deadline": notice.deadline.isoformat() if notice.deadline else None,
        "contact": notice.contact,
        "audiences": [config.audiences.get(a, a) for a in notice.audiences],
        "replaces": notice.replaces,
        "body": notice.body,
    }
