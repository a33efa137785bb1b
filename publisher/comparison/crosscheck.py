"""A change note's references checked against what the documents show: each reference
``confirmed`` (the text changed there) or ``not found``; changed places the note does not
mention are ``unmentioned``."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.comparison import Change, Comparison
from publisher.refs import Reference, parse_note


@dataclass(frozen=True)
class Check:
    reference: Reference
    status: str  # confirmed, not found, no place given
    changes: tuple[Change, ...]

    def to_json(self) -> dict:
        return {
            "reference": self.reference.text,
            "status": self.status,
            "changes": [_place(change) for change in self.changes],
        }


@dataclass(frozen=True)
class CrossCheck:
    checks: tuple[Check, ...]
    unmentioned: tuple[Change, ...]

    def to_json(self) -> dict:
        return {
            "references": [check.to_json() for check in self.checks],
            "unmentioned": [change.to_json() for change in self.unmentioned],
        }

    @classmethod
    def from_json(cls, data: dict) -> CrossCheck:
        checks = tuple(
            Check(Reference(entry["reference"]), entry["status"], ())
            for entry in data["references"]
        )
        return cls(checks, tuple(Change.from_json(change) for change in data["unmentioned"]))


def cross_check(note: str, comparison: Comparison) -> CrossCheck:
    checks = []
    mentioned: set[int] = set()
    for reference in parse_note(note):
        found = tuple(
            change
            for change in comparison.changes
            if any(_at(reference, block) for block in (change.new, change.old) if block)
        )
        mentioned.update(id(change) for change in found)
        status = "confirmed" if found else "not found" if reference.located else "no place given"
        checks.append(Check(reference, status, found))
    unmentioned = tuple(change for change in comparison.changes if id(change) not in mentioned)
    return CrossCheck(tuple(checks), unmentioned)


def _at(reference: Reference, block) -> bool:
    """Whether a block lies where the reference points: its paragraph when the reference
    names one, else its page, else the chapter, annex, section, part or appendix heading."""
    if reference.paragraph:
        return _within(block.paragraph, reference.paragraph, reference.paragraph_end)
    if reference.page:
        return _within(block.page, reference.page, reference.page_end)
    for kind in ("chapter", "annex", "section", "part", "appendix"):
        value = getattr(reference, kind)
        if value:
            heading = (block.heading or "").casefold()
            return heading.startswith(f"{kind} {str(value).casefold()}")
    return False


def _within(value, start, end) -> bool:
    if value is None:
        return False
    try:
        return float(start) <= float(value) <= float(end or start)
    except ValueError:
        return str(value) == str(start)


def _place(change: Change) -> dict:
    block = change.block
    return {"kind": change.kind, "page": block.page, "paragraph": block.paragraph}
