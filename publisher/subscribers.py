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

from publisher.config import Config
from publisher.errors import InputError

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
}
FREQUENCIES = ("immediately", "weekly", "monthly")
DELIMITERS = (",", ";", "\t")
AUDIENCE_SEPARATORS = re.compile(r"[;|,]")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Cells starting with these run as formulas when a spreadsheet opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    """The one form an address is stored and compared in: validated, domain and local part
    lower-cased (every real mailbox provider treats the local part case-insensitively).

    Raises ``ValueError`` with the reason when it is not an email address."""
    from email_validator import EmailNotValidError, validate_email  # on use: 15 ms to import

    try:
        valid = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"'{address.strip()}' is not an email address: {error}") from None
    return valid.normalized.lower()


def canonical_emails(addresses: Iterable[str]) -> list[str]:
    """Addresses typed by a person, in canonical form; all of them or an ``InputError``."""
    canonical, bad = [], []
    for address in addresses:
        try:
            canonical.append(canonical_email(address))
        except ValueError as error:
            bad.append(str(error))
    if bad:
        raise InputError("; ".join(bad))
    return list(dict.fromkeys(canonical))


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
            good[subscriber.email] = replace(first, audiences=audiences)
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
    """Write subscribers in the format ``read_csv`` reads; return how many."""
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(["email", "name", "school", "audiences", "frequency"])
    count = 0
    for subscriber in subscribers:
        cells = [
            subscriber.email,
            subscriber.name,
            subscriber.school,
            ";".join(subscriber.audiences),
            subscriber.frequency,
        ]
        writer.writerow([_inert(cell) for cell in cells])
        count += 1
    return count


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


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
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SubscriberFileError(f"line {reader.line_num}: {error}") from None
        yield reader.line_num, cells


def _columns(header: list[str]) -> dict[str, int]:
    """Which cell holds which field, from the header's names."""
    columns = {}
    for index, name in enumerate(header):
        key = re.sub(r"[\s_\-]", "", name.strip().lower())
        for column, aliases in COLUMN_ALIASES.items():
            if key in aliases and column not in columns:
                columns[column] = index
    return columns


def _subscriber(
    cells: list[str], columns: dict[str, int], width: int, config: Config, by_name: dict[str, str]
) -> Subscriber:
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        raise ValueError(f"{len(cells)} cells but the header names {width} (a stray delimiter?)")
    if any(CONTROL_CHARACTERS.search(cell) for cell in cells):
        raise ValueError("contains control characters (NUL or similar): retype the row")

    def cell(column: str) -> str:
        index = columns.get(column)
        return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""

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
    return Subscriber(email, name, cell("school"), tuple(dict.fromkeys(audiences)), frequency)
