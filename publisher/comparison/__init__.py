"""What changed between two editions of a guidance document, paragraph by paragraph.

A pipeline of small steps: :mod:`.extract` (PDF or HTML publication -> blocks with page,
heading and paragraph number) -> :mod:`.align` (by content) -> word-level diff here ->
:mod:`.crosscheck` (against a change note's references) -> :mod:`.report` (text, JSON,
HTML, markdown).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from publisher.comparison.align import Pair, align
from publisher.comparison.extract import Block, Document, read_document


@dataclass(frozen=True)
class Change:
    kind: str  # changed, added, removed, moved
    old: Block | None
    new: Block | None
    diff: tuple[tuple[str, str], ...] = ()

    @property
    def block(self) -> Block:
        """The block as it reads now (or as it read, when removed)."""
        return self.new or self.old

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "old": self.old.place() if self.old else None,
            "new": self.new.place() if self.new else None,
            "diff": [list(part) for part in self.diff],
        }

    @classmethod
    def from_json(cls, data: dict) -> Change:
        def block(place: dict | None) -> Block | None:
            if place is None:
                return None
            kind = "paragraph" if place.get("paragraph") else "text"
            return Block(place["text"], kind, place["page"], place["heading"], place["paragraph"])

        diff = tuple((operation, text) for operation, text in data.get("diff", ()))
        return cls(data["kind"], block(data["old"]), block(data["new"]), diff)


@dataclass
class Comparison:
    """What changed; ``old`` and ``new`` describe the two documents (``Document.meta``)."""

    old: dict
    new: dict
    changes: list[Change] = field(default_factory=list)
    renumbered: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> list[dict]:
        """Per heading of the new edition (the old one for removals): counts of changes."""
        rows: dict[str, dict] = {}
        for change in self.changes:
            heading = change.block.heading or "(before the first heading)"
            row = rows.setdefault(
                heading, {"heading": heading, "changed": 0, "added": 0, "removed": 0, "moved": 0}
            )
            row[change.kind] += 1
        return list(rows.values())

    def to_json(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "changes": [change.to_json() for change in self.changes],
            "renumbered": [{"old": old, "new": new} for old, new in self.renumbered],
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, data: dict) -> Comparison:
        return cls(
            data["old"],
            data["new"],
            [Change.from_json(change) for change in data["changes"]],
            [(entry["old"], entry["new"]) for entry in data["renumbered"]],
        )


def compare(old: Document, new: Document) -> Comparison:
    pairs = align(old.blocks, new.blocks)
    comparison = Comparison(old.meta(), new.meta())
    for pair in pairs:
        if pair.kind == "same":
            continue
        comparison.changes.append(_change(pair))
    comparison.renumbered = [
        (pair.old.paragraph, pair.new.paragraph)
        for pair in pairs
        if pair.old and pair.new and pair.old.paragraph != pair.new.paragraph
        if pair.old.paragraph and pair.new.paragraph
    ]
    return comparison


def compare_files(old: bytes, new: bytes, old_name: str, new_name: str) -> Comparison:
    return compare(read_document(old, old_name), read_document(new, new_name))


def _change(pair: Pair) -> Change:
    if pair.old is None or pair.new is None:
        return Change(pair.kind, pair.old, pair.new)
    diff = word_diff(pair.old.text, pair.new.text) if pair.old.text != pair.new.text else ()
    return Change(pair.kind, pair.old, pair.new, diff)


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """("equal" | "delete" | "insert", words) runs turning ``old`` into ``new``; words are
    compared without the spaces after them."""
    old_words, new_words = re.findall(r"\S+\s*", old), re.findall(r"\S+\s*", new)
    matcher = difflib.SequenceMatcher(
        None,
        [word.rstrip() for word in old_words],
        [word.rstrip() for word in new_words],
        autojunk=False,
    )
    parts: list[tuple[str, str]] = []
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            parts.append(("equal", "".join(new_words[new_start:new_end])))
            continue
        if old_end > old_start:
            parts.append(("delete", "".join(old_words[old_start:old_end])))
        if new_end > new_start:
            parts.append(("insert", "".join(new_words[new_start:new_end])))
    return tuple(parts)


__all__ = ["Change", "Comparison", "compare", "compare_files", "read_document", "word_diff"]
