"""Subscribers: who gets which audience's MI sheets and bulletins, from a CSV file.

CSV files come from Excel, Mailchimp and school MIS exports, so the reader accepts what
they write: UTF-8 with or without a byte-order mark, UTF-16, or Windows-1252; commas,
semicolons or tabs; and the usual header names ("Email Address", "First Name", ...).
Every address is kept in one canonical form (``canonical_email``), so the same mailbox
typed in another case is the same subscriber and the same unsubscribe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.addresses import ascii_address
from publisher.config import Config
from publisher.errors import InputError
from publisher.text import clean_text

if TYPE_CHECKING:  # the store imports Subscriber from here
    from publisher.store import Store

# Header names as people and tools write them, lower-cased with spaces, '-' and '_' removed.
COLUMN_ALIASES = {
    "email": ("email", "emailaddress", "mail", "emails"),
    "name": ("name", "fullname", "contactname", "displayname"),
    "first_name": ("firstname", "forename", "givenname"),
    "last_name": ("lastname", "surname", "familyname"),
    "school": ("school", "schoolname", "organisation", "organization", "company", "setting"),
    "audiences": ("audiences", "audience", "groups", "group", "tags", "roles", "role", "lists"),
    "frequency": ("frequency", "howoften"),
    "self_registered": ("selfregistered", "selfservice"),
}
FREQUENCIES = ("immediately", "weekly", "monthly")
# How a spreadsheet or a person writes the self_registered cell; empty is no.
SELF_REGISTERED = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
DELIMITERS = (",", ";", "\t")
AUDIENCE_SEPARATORS = re.compile(r"[;|,]")
# Cells starting with these run as formulas when a spreadsheet opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Put before such a cell to make it text; a cell starting with it is marked too, so that
# reading an export back (``from_inert``) gives exactly what was written.
INERT_MARK = "'"


class SubscriberFileError(InputError):
    """A subscriber file that cannot be read at all (its rows are never half-imported)."""


DEFAULT_FREQUENCY = "immediately"


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str = ""
    school: str = ""
    audiences: tuple[str, ...] = ()
    # immediately (MI sheets and alerts as published), weekly (a digest), monthly (bulletin)
    frequency: str = DEFAULT_FREQUENCY
    # They typed their school themselves (/subscribe, their preferences page): nobody at
    # the council vouched for it, so they confirm ACTION sheets for themselves only. An
    # import makes them the school's again, unless its row says self_registered (as every
    # export writes it, so a backup restored or a download fixed and uploaded keeps it).
    self_service: bool = False


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportPlan:
    """What importing a file does: who is new, who changes, who stays, who is skipped."""

    new: list[Subscriber] = field(default_factory=list)
    updated: list[Subscriber] = field(default_factory=list)
    unchanged: list[Subscriber] = field(default_factory=list)
    unsubscribed: list[Subscriber] = field(default_factory=list)

    @property
    def to_save(self) -> list[Subscriber]:
        return self.new + self.updated


def canonical_email(address: str) -> str:
    """The one form an address is stored and compared in: validated, in the ASCII form mail
    carries (an international domain as IDNA punycode), domain and local part lower-cased
    (every real mailbox provider treats the local part case-insensitively).

    Raises ``AddressError`` (a ``ValueError``) with the reason when it is not an email
    address, or cannot be sent to (letters outside ASCII before the @: see
    ``addresses.ascii_address``)."""
    return ascii_address(address.strip()).lower()


def canonical_emails(addresses: Iterable[str]) -> list[str]:
    """Addresses typed by a person to remove or unsubscribe, in canonical form; all of them
    or an ``InputError``. An address that cannot be sent to, stored by an older version,
    can still be named (as it was stored) to remove it."""
    canonical, bad = [], []
    for address in addresses:
        try:
            canonical.append(canonical_email(address))
        except ValueError as error:
            if stored := _stored_before_refused(address):
                canonical.append(stored)
            else:
                bad.append(str(error))
    if bad:
        raise InputError("; ".join(bad))
    return list(dict.fromkeys(canonical))


def _stored_before_refused(address: str) -> str | None:
    """How an older version stored an address with letters outside ASCII before the @
    (validated, lower-cased); None if it is not an email address at all."""
    from email_validator import EmailNotValidError, validate_email  # on use: 15 ms to import

    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def read_csv(path: Path, config: Config) -> tuple[list[Subscriber], list[RejectedRow]]:
    """Good rows and rejected ones (with their line numbers) of a CSV file."""
    return parse_csv(path.read_bytes(), config, str(path))


def parse_csv(
    data: bytes, config: Config, path: str = "the file"
) -> tuple[list[Subscriber], list[RejectedRow]]:
    """Good rows and rejected ones (with their line numbers). A row repeating an address
    already read adds its audiences to the first one and is not counted twice."""
    rows = _rows(_decode(data, path))
    header = next(rows, None)
    if header is None:
        raise SubscriberFileError(f"{path}: the file is empty")
    columns = _columns(header[1])
    if "email" not in columns:
        raise SubscriberFileError(
            f"{path} line 1: no email column (found: {', '.join(header[1]) or 'nothing'}; "
            "expected a header such as 'email' or 'Email Address')"
        )
    by_name = {name.lower(): audience for audience, name in config.audiences.items()}
    good: dict[str, Subscriber] = {}
    bad = []
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines and Excel's trailing ',,,' rows
        try:
            subscriber = _subscriber(cells, columns, len(header[1]), config, by_name)
        except ValueError as error:
            bad.append(RejectedRow(line, str(error)))
            continue
        if subscriber.email in good:
            first = good[subscriber.email]
            audiences = tuple(dict.fromkeys(first.audiences + subscriber.audiences))
            # One row saying the reader registered themselves is enough not to vouch for them.
            self_service = first.self_service or subscriber.self_service
            good[subscriber.email] = replace(first, audiences=audiences, self_service=self_service)
        else:
            good[subscriber.email] = subscriber
    return list(good.values()), bad


def plan_import(
    store: Store, subscribers: Iterable[Subscriber], replace_audiences: bool = False
) -> ImportPlan:
    """Compare subscribers read from a file with the stored ones. A known subscriber keeps
    their audiences and gains the file's, unless ``replace_audiences``."""
    known = {subscriber.email: subscriber for subscriber in store.subscribers()}
    unsubscribed = store.unsubscribed()
    plan = ImportPlan()
    for subscriber in subscribers:
        before = known.get(subscriber.email)
        if not subscriber.frequency:  # the file has no frequency column: keep what we had
            frequency = before.frequency if before else DEFAULT_FREQUENCY
            subscriber = replace(subscriber, frequency=frequency)
        if subscriber.email in unsubscribed:
            plan.unsubscribed.append(subscriber)
        elif before is None:
            plan.new.append(subscriber)
        else:
            if not replace_audiences:
                audiences = tuple(dict.fromkeys(before.audiences + subscriber.audiences))
                subscriber = replace(subscriber, audiences=audiences)
            (plan.unchanged if subscriber == before else plan.updated).append(subscriber)
    return plan


def import_subscribers(
    store: Store, subscribers: list[Subscriber], replace_audiences: bool = False
) -> ImportPlan:
    """Save subscribers, except those on the unsubscribe list; return what was done."""
    plan = plan_import(store, subscribers, replace_audiences)
    with store.transaction():
        store.save_subscribers(plan.to_save)
    return plan


def write_csv(subscribers: Iterable[Subscriber], output: io.TextIOBase) -> int:
    """Write subscribers in the format ``read_csv`` reads (every export: the CLI's and the
    web app's), so that importing it back changes nothing; return how many."""
    header = ["email", "name", "school", "audiences", "frequency", "self_registered"]
    rows = (
        [s.email, s.name, s.school, ";".join(s.audiences), s.frequency, _yes(s.self_service)]
        for s in subscribers
    )
    return write_inert_csv(output, header, rows)


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def write_inert_csv(output: io.TextIOBase, header: list[str], rows: Iterable[Iterable[str]]) -> int:
    """Write a CSV file every spreadsheet opens safely (each cell ``inert``); return how
    many rows follow the header."""
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([inert(cell) for cell in row])
        count += 1
    return count


def inert(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula: marked with a leading
    ``'`` when it starts with a formula character (or with the mark itself)."""
    return INERT_MARK + cell if cell.startswith((*FORMULA_STARTS, INERT_MARK)) else cell


def from_inert(cell: str) -> str:
    """A cell as it was before ``inert`` (a hand-typed "'t Hooft" is left as it is)."""
    marked = cell[:1] == INERT_MARK and cell[1:].startswith((*FORMULA_STARTS, INERT_MARK))
    return cell[1:] if marked else cell


def _decode(data: bytes, path: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's plain "CSV" on Windows
    except UnicodeDecodeError:
        raise SubscriberFileError(
            f"{path}: not UTF-8 or Windows-1252 text; save it from Excel as 'CSV UTF-8'"
        ) from None


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each row, the delimiter chosen by the header line."""
    header_line = text.split("\n", 1)[0]
    delimiter = max(
        DELIMITERS, key=lambda d: (len(_columns(header_line.split(d))), header_line.count(d))
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        first_line = reader.line_num + 1  # a quoted cell may go on over more lines
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SubscriberFileError(f"line {first_line}: {error}") from None
        yield first_line, cells


def _columns(header: list[str]) -> dict[str, int]:
    """Which cell holds which field, from the header's names."""
    columns = {}
    for index, name in enumerate(header):
        key = re.sub(r"[^a-z0-9]", "", name.lower())  # 'Self registered?' is self_registered
        for column, aliases in COLUMN_ALIASES.items():
            # 'Self registered (yes/no)' too: a column that keeps strangers apart is never missed
            named = key in aliases or (column == "self_registered" and key.startswith(aliases))
            if named and column not in columns:
                columns[column] = index
    return columns


def _cell_text(raw: str, column: str) -> str:
    """A cell as one line of clean text (line breaks read as spaces), as ``write_csv`` had
    it before making it inert. A ``ValueError`` if the cleaner would have to drop any of
    it: control characters, or bidi overrides that make text read other than it is."""
    text = from_inert(raw).replace("\r", "\n")
    one_line = " ".join(text.split())
    if clean_text(text) != one_line:
        raise ValueError(
            f"contains control characters in the {column} cell (NUL, ESC, a right-to-left "
            "override or similar, often invisible): retype it"
        )
    return one_line


def _subscriber(
    cells: list[str], columns: dict[str, int], width: int, config: Config, by_name: dict[str, str]
) -> Subscriber:
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        raise ValueError(f"{len(cells)} cells but the header names {width} (a stray delimiter?)")
    if columns.get("self_registered", -1) >= len(cells):  # a short row would vouch silently
        raise ValueError(
            f"{len(cells)} cells but the header names {width}: the self_registered cell is "
            "missing (write yes, no, or a comma for an empty cell)"
        )
    names = {index: column for column, index in columns.items()}
    values = [
        _cell_text(value, names.get(index, f"column {index + 1}"))
        for index, value in enumerate(cells)
    ]

    def cell(column: str) -> str:
        index = columns.get(column)
        return values[index] if index is not None and index < len(values) else ""

    email = canonical_email(cell("email"))
    name = cell("name") or " ".join(filter(None, (cell("first_name"), cell("last_name"))))
    audiences, unknown = [], []
    for part in AUDIENCE_SEPARATORS.split(cell("audiences")):
        part = part.strip()
        if not part:
            continue
        audience = part if part in config.audiences else by_name.get(part.lower())
        (audiences if audience else unknown).append(audience or part)
    if unknown:
        raise ValueError(
            f"unknown audience {', '.join(unknown)} (known: {', '.join(config.audiences)})"
        )
    if not audiences:
        raise ValueError(f"{email} has no audiences")
    frequency = cell("frequency").lower()
    if frequency and frequency not in FREQUENCIES:
        raise ValueError(f"frequency '{frequency}' is not one of {', '.join(FREQUENCIES)}")
    return Subscriber(
        email,
        name,
        cell("school"),
        tuple(dict.fromkeys(audiences)),
        frequency,
        _self_registered(cell("self_registered")),
    )


def _self_registered(text: str) -> bool:
    """The self_registered cell: yes (the reader typed their school themselves, so nobody
    vouches for it), or no or empty (the team vouches for it)."""
    if not text:
        return False
    flag = SELF_REGISTERED.get(text.lower())
    if flag is None:
        raise ValueError(
            f"self_registered '{text}' is not yes or no (or true/false, 1/0, or empty for no)"
        )
    return flag
