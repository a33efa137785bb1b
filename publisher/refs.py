"""Page, paragraph, chapter, annex and section references in GOV.UK change notes.

A note such as "Page 26, paragraph 48: amended the wording ..." is split into entries
(one per bullet, line, semicolon-separated clause or sentence that starts with a
locator), and each entry's leading locator is parsed into fields. The original text is kept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_NUMBER = r"(\d+(?:\.\d+)*)"
_RANGE = rf"{_NUMBER}(?:\s*(?:-|–|—|to|and|&)\s*{_NUMBER})?"
PAGE = re.compile(rf"\b(?:pages?|pp?\.|pg\.?|pgs\.?)\s*{_RANGE}", re.IGNORECASE)
PARAGRAPH = re.compile(rf"(?:\bparagraphs?|\bparas?\.?|¶)\s*{_RANGE}", re.IGNORECASE)
CHAPTER = re.compile(r"\bchapter\s+(\d+|[ivxlc]+)\b", re.IGNORECASE)
ANNEX = re.compile(r"\bannex(?:e)?\s+([A-Z]{1,2}|\d+)\b", re.IGNORECASE)
SECTION = re.compile(r"\bsection\s+(\d+(?:\.\d+)*|[A-Z]\b)", re.IGNORECASE)
_LOCATOR_START = r"(?:pages?|pg|paragraphs?|paras?|chapter|annex|section)\b"
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s+")
# A new sentence that begins with a locator starts a new entry:
# "... partners. Page 42: corrected ..." -> two entries.
_SENTENCE_LOCATOR = re.compile(rf"(?<=[.!?])\s+(?={_LOCATOR_START})", re.IGNORECASE)
_LOCATOR_PREFIX = re.compile(r"^([^:]{1,80}):\s")


@dataclass(frozen=True)
class Reference:
    text: str
    page: int | None = None
    page_end: int | None = None
    paragraph: str | None = None
    paragraph_end: str | None = None
    chapter: str | None = None
    annex: str | None = None
    section: str | None = None

    @property
    def located(self) -> bool:
        return any((self.page, self.paragraph, self.chapter, self.annex, self.section))

    def label(self) -> str:
        """A short citation, e.g. 'page 26, paragraph 48' or 'pages 12 to 14'."""
        parts = []
        if self.chapter:
            parts.append(f"chapter {self.chapter}")
        if self.annex:
            parts.append(f"annex {self.annex}")
        if self.section:
            parts.append(f"section {self.section}")
        if self.page:
            parts.append(
                f"pages {self.page} to {self.page_end}" if self.page_end else f"page {self.page}"
            )
        if self.paragraph:
            parts.append(
                f"paragraphs {self.paragraph} to {self.paragraph_end}"
                if self.paragraph_end
                else f"paragraph {self.paragraph}"
            )
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)


def split_entries(note: str) -> list[str]:
    """Split a change note into its separate entries."""
    entries: list[str] = []
    for line in (note or "").splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        for clause in re.split(r";\s+", line):
            entries.extend(part.strip() for part in _SENTENCE_LOCATOR.split(clause) if part.strip())
    return entries


def parse_reference(entry: str) -> Reference:
    """The locator of one entry. Only the part before a colon counts when it holds a
    locator, so 'Page 161: ... to match that on pg 7 to 8' is page 161."""
    prefix = _LOCATOR_PREFIX.match(entry)
    where = prefix.group(1) if prefix and _has_locator(prefix.group(1)) else entry
    page, page_end = _range(PAGE, where)
    paragraph, paragraph_end = _range(PARAGRAPH, where)
    return Reference(
        text=entry,
        page=int(float(page)) if page else None,
        page_end=int(float(page_end)) if page_end else None,
        paragraph=paragraph,
        paragraph_end=paragraph_end,
        chapter=_first(CHAPTER, where),
        annex=_upper(_first(ANNEX, where)),
        section=_first(SECTION, where),
    )


def parse_note(note: str) -> list[Reference]:
    """All entries of a change note with their references.

    When some entries carry locators, introductory lines ending in ':' ("We have made
    the following changes:") are dropped. A note without any locator gives one entry
    per clause, with empty fields.
    """
    references = [parse_reference(entry) for entry in split_entries(note)]
    if any(reference.located for reference in references):
        references = [ref for ref in references if ref.located or not ref.text.endswith(":")]
    return references


def _has_locator(text: str) -> bool:
    return any(pattern.search(text) for pattern in (PAGE, PARAGRAPH, CHAPTER, ANNEX, SECTION))


def _range(pattern: re.Pattern, text: str) -> tuple[str | None, str | None]:
    match = pattern.search(text)
    return (match.group(1), match.group(2)) if match else (None, None)


def _first(pattern: re.Pattern, text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None
