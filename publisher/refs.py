"""Where a GOV.UK change note says a document changed: pages, paragraphs, chapters, parts,
sections, annexes and appendices.

A note is split into entries (one per bullet, line, semicolon-separated clause, or sentence
that starts with a locator). Each entry is read by a small grammar:

    entry     := ... locator values ... (locator values)*
    locator   := page | paragraph | chapter | part | section | annex | appendix (and plurals,
                 abbreviations: pg, pp, para, paras, ¶, ch, sect, s)
    values    := value (("to" | "-" | "–" | "—") value)? (("and" | "&" | "," | "or") values)?
    value     := 48 | 3.2 | 12a | five | IV | B

"to" and dashes make a range; "and", "&", "," and "or" make a list of separate references.
A page starts a new reference when the current one already has a page (and likewise for
each kind), so "Page 61 paragraph 206 and page 62 paragraph 210" is two references. A
locator followed by "of"/"to" and the name of another document ("section 42 of the Children
and Families Act 2014", "paragraph 3 of Schedule 2 to the Act") is not a place in this one.
When the entry starts with a locator and a colon, only that part is read ("Page 161: ... to
match that on pg 7 to 8" is page 161). The original text is always kept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

KINDS = ("part", "chapter", "section", "annex", "appendix", "page", "paragraph")
_PLURALS = {"annex": "annexes", "appendix": "appendices"}
_LOCATOR_WORDS = {
    "page": "page", "pages": "page", "pg": "page", "pgs": "page", "p": "page", "pp": "page",
    "paragraph": "paragraph", "paragraphs": "paragraph", "para": "paragraph",
    "paras": "paragraph", "¶": "paragraph", "¶¶": "paragraph",
    "chapter": "chapter", "chapters": "chapter", "ch": "chapter",
    "part": "part", "parts": "part",
    "section": "section", "sections": "section", "sect": "section",
    "annex": "annex", "annexes": "annex", "annexe": "annex",
    "appendix": "appendix", "appendices": "appendix", "appendixes": "appendix",
}  # fmt: skip
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20",
}  # fmt: skip
_ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.IGNORECASE)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_RANGE_WORDS = {"to", "-", "–", "—", "through"}
_PLACING_WORDS = {"(", "on", "at", "in"}  # "paragraph 20 (page 10)", "... on page 10"
_LIST_WORDS = {"and", "&", ",", "or"}
# Words that may stand between two places of one reference ("page 26, paragraph 48")
_JOINING = _PLACING_WORDS | _LIST_WORDS | _RANGE_WORDS | {")", ":", "of", "the", "see"}
# Names of other documents: a locator followed by "of" or "to" and one of these is theirs.
_OTHER_DOCUMENT = re.compile(
    r"^\s*(?:of|to|in)\s+(?:the\s+|that\s+)?(?:[\w'’-]+\s+){0,9}?"
    r"(?:Act|Acts|Regulations?|Schedule|Order|Rules|Bill|Convention|Directive|Statute)\b"
)
_TOKEN = re.compile(r"¶¶?|\d+(?:\.\d+)*[a-z]?(?![\w.]\d)|[A-Za-z]+\.?|[–—&,:;()-]|\S")
_MAX_PAGE = 99_999
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s+")
_LOCATOR_START = (
    r"(?:pages?|pgs?|paragraphs?|paras?|chapters?|parts?|sections?|annexe?s?|appendix|"
    r"appendices)\b"
)
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
    chapter_end: str | None = None
    annex: str | None = None
    annex_end: str | None = None
    section: str | None = None
    section_end: str | None = None
    part: str | None = None
    part_end: str | None = None
    appendix: str | None = None
    appendix_end: str | None = None

    @property
    def located(self) -> bool:
        return any(getattr(self, kind) for kind in KINDS)

    def label(self) -> str:
        """A short citation, e.g. 'page 26, paragraph 48' or 'pages 12 to 14'."""
        parts = []
        for kind in KINDS:
            start, end = getattr(self, kind), getattr(self, f"{kind}_end")
            if start is None:
                continue
            plural = _PLURALS.get(kind, f"{kind}s")
            parts.append(f"{plural} {start} to {end}" if end else f"{kind} {start}")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Reference:
        """From stored JSON (older records lack the newer kinds)."""
        return cls(**{key: value for key, value in data.items() if key in cls.__dataclass_fields__})


def split_entries(note: str) -> list[str]:
    """Split a change note into its separate entries."""
    entries: list[str] = []
    for line in str(note or "").splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        for clause in re.split(r";\s+", line):
            entries.extend(part.strip() for part in _SENTENCE_LOCATOR.split(clause) if part.strip())
    return entries


def parse_entry(entry: str) -> list[Reference]:
    """The references of one entry (several when it lists several places); one reference
    with no place when it names none."""
    prefix = _LOCATOR_PREFIX.match(entry)
    if prefix and _locations(prefix.group(1)):  # "Page 5: para 3 added" is page 5, para 3
        where = f"{prefix.group(1)} {_leading_locators(entry[prefix.end() :])}"
    else:
        where = entry
    found = [replace(reference, text=entry) for reference in _locations(where)]
    return found or [Reference(text=entry)]


def parse_reference(entry: str) -> Reference:
    """The first reference of one entry (see ``parse_entry``)."""
    return parse_entry(entry)[0]


def parse_note(note: str) -> list[Reference]:
    """All entries of a change note with their references.

    When some entries carry locators, introductory lines ending in ':' ("We have made
    the following changes:") are dropped. A note without any locator gives one entry
    per clause, with empty fields.
    """
    references = [ref for entry in split_entries(note) for ref in parse_entry(entry)]
    if any(reference.located for reference in references):
        references = [ref for ref in references if ref.located or not ref.text.endswith(":")]
    return references


def _locations(text: str) -> list[Reference]:
    """Read the locators of ``text`` into references (text left empty)."""
    tokens = [(match.group(), match.end()) for match in _TOKEN.finditer(text)]
    references: list[Reference] = []
    current: dict[str, str | int | None] = {}
    carried: set[str] = set()  # kinds the current reference took from the one before
    listed: list[int] = []  # references made from the current one's list ("paragraphs 3 and 4")
    index = last = 0
    while index < len(tokens):
        kind = _LOCATOR_WORDS.get(tokens[index][0].lower().rstrip("."))
        values, after = _values(tokens, index + 1, kind) if kind else ([], index + 1)
        if not values:
            index += 1
            continue
        if _OTHER_DOCUMENT.match(text[tokens[after - 1][1] :]):
            index = after  # "section 42 of the Children Act": a place in another document
            continue
        if current and not _joined(tokens[last:index]):
            # "paragraph 48 amended to match the definition on page 7": two places
            references.append(Reference(text="", **current))
            current, carried, listed = {}, set(), []
        # "paragraph 20 (page 10)" after "page 8": page 10 is where paragraph 20 is
        placing = index and tokens[index - 1][0].lower() in _PLACING_WORDS
        if placing and len(values) == 1 and current.get(kind) is None:
            # "paragraphs 3 and 4 (page 8)": both are on page 8
            fields = {kind: values[0][0], f"{kind}_end": values[0][1]}
            for position in listed:
                if getattr(references[position], kind) is None:
                    references[position] = replace(references[position], **fields)
        if current.get(kind) is not None and not (placing and kind in carried):
            references.append(Reference(text="", **current))
            current = {key: value for key, value in current.items() if _outer(key, kind)}
            carried = {key for key in current if not key.endswith("_end")}
            listed = []
        carried.discard(kind)
        for number, (start, end) in enumerate(values):
            if number:
                listed.append(len(references))
                references.append(Reference(text="", **current))
            current[kind], current[f"{kind}_end"] = start, end
        index = last = after
    if current:
        references.append(Reference(text="", **current))
    return references


def _joined(between: list) -> bool:
    """Whether the words between two places make them one ("page 26, paragraph 48",
    "paragraph 20 (page 10)", "chapter 2 paragraph 5"), not two mentions in a sentence."""
    return all(token.lower() in _JOINING for token, _ in between)


def _leading_locators(text: str) -> str:
    """The locators ``text`` starts with ("para 3 and 4 added" gives "para 3 and 4")."""
    tokens = [(match.group(), match.end()) for match in _TOKEN.finditer(text)]
    index, end = 0, 0
    while index < len(tokens):
        kind = _LOCATOR_WORDS.get(tokens[index][0].lower().rstrip("."))
        values, after = _values(tokens, index + 1, kind) if kind else ([], index)
        if not values:
            break
        end, index = tokens[after - 1][1], after
        if index < len(tokens) and tokens[index][0].lower() in _LIST_WORDS | {"("}:
            index += 1
    return text[:end]


def _outer(field: str, kind: str) -> bool:
    """Whether ``field`` holds a larger division than ``kind`` (kept for the next place):
    a new page keeps the chapter, but a new chapter drops the page."""
    return KINDS.index(field.removesuffix("_end")) < KINDS.index(kind)


def _values(tokens: list, index: int, kind: str) -> tuple[list[tuple], int]:
    """The values after a locator: [(start, end-or-None), ...] and where reading stopped."""
    values: list[tuple] = []
    while index < len(tokens):
        start = _value(tokens[index][0], kind)
        if start is None:
            break
        index += 1
        end = None
        if index + 1 < len(tokens) and tokens[index][0].lower() in _RANGE_WORDS:
            end = _value(tokens[index + 1][0], kind)
            if end is not None:
                index += 2
                if _order(kind, end) < _order(kind, start):
                    start, end = end, start
                if end == start:
                    end = None
        values.append((start, end))
        if index + 1 < len(tokens) and tokens[index][0].lower() in _LIST_WORDS:
            following = tokens[index + 1][0].lower()
            if following in _LIST_WORDS and index + 2 < len(tokens):  # ", and"
                index += 1
            if _value(tokens[index + 1][0], kind) is not None:
                index += 1
                continue
        break
    return values, index


def _value(token: str, kind: str) -> str | int | None:
    """A locator's value in its stored form, or None when ``token`` is no value of ``kind``."""
    word = token.lower().rstrip(".")
    if kind == "page":
        number = _NUMBER_WORDS.get(word, word)
        whole = number.isascii() and number.isdigit()  # "²" passes isdigit, not int()
        return int(number) if whole and 0 < int(number) <= _MAX_PAGE else None
    if re.fullmatch(r"\d+(?:\.\d+)*[a-z]?", word):
        return word if len(word) <= 12 else None
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    if kind in ("annex", "appendix", "section") and re.fullmatch(r"[a-z]", word):
        return word.upper()
    if kind in ("part", "chapter", "annex", "section") and _ROMAN.match(word):
        return str(_roman(word)) if kind in ("part", "chapter") else word.upper()
    return None


def _roman(word: str) -> int:
    values = [_ROMAN_VALUES[letter] for letter in word.lower()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _order(kind: str, value: str | int) -> tuple:
    """A sort key for range ends: numbers by number, letters by letter."""
    if isinstance(value, int):
        return (value,)
    if re.match(r"\d", value):
        return tuple(int(part) for part in re.findall(r"\d+", value))
    return (ord(value[0]),)
