"""Action tracking: schools confirm an ACTION sheet is done, with one signed link each.

A school is the subscribers sharing a school name (or one address, when no school is
given). The team sees, per sheet, who confirmed and when, who has not, and who is overdue.

Only readers the council recognises for a school (imported or added by the team) confirm
for it. A self-registered reader (who typed their school on /subscribe or their
preferences page) is shown apart, as their own row: their confirmation stops their own
reminders, never their school's, whatever school they typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from publisher.dates import from_iso, to_iso, utcnow
from publisher.errors import InputError
from publisher.models import Notice
from publisher.store import Store

MAX_NOTE_LENGTH = 500


@dataclass(frozen=True)
class SchoolStatus:
    school: str
    recipients: tuple[str, ...]
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    note: str = ""
    self_service: bool = False  # one self-registered reader, not a school the team knows

    def status(self, deadline: date | None, today: date) -> str:
        """confirmed, overdue (past the deadline without a confirmation) or waiting."""
        if self.confirmed_at:
            return "confirmed"
        return "overdue" if deadline and today > deadline else "waiting"


def confirm_action(store: Store, notice: Notice, email: str, note: str = "") -> None:
    """Record that ``email``'s school has done what the sheet asks (once; a second
    confirmation keeps the first time and adds nothing)."""
    if notice.type.lower() != "action" or notice.status != "published":
        raise InputError(f"{notice.label} asks for no action to confirm")
    note = " ".join(note.split())
    if len(note) > MAX_NOTE_LENGTH:
        raise InputError(f"keep the note to {MAX_NOTE_LENGTH} characters or fewer")
    subscriber = store.subscriber(email)
    with store.transaction():
        store.db.execute(
            "INSERT OR IGNORE INTO action_confirmations"
            " (notice_number, email, school, note, confirmed_at) VALUES (?, ?, ?, ?, ?)",
            (
                notice.number,
                email,
                subscriber.school if subscriber else "",
                note,
                to_iso(utcnow()),
            ),
        )


def action_status(store: Store, notice: Notice) -> list[SchoolStatus]:
    """Each school the sheet was sent to, with its confirmation if any, by school name;
    each self-registered reader on a row of their own."""
    confirmations = {
        row["email"]: row
        for row in store.db.execute(
            "SELECT * FROM action_confirmations WHERE notice_number = ?", (notice.number,)
        )
    }
    schools: dict[str, list[str]] = {}
    deliveries = store.deliveries(f"mi/{notice.number}", statuses=["sent"])
    sent = [delivery.recipient for delivery in deliveries]
    self_service = set()  # readers on a row of their own, whatever school they typed
    # Readers who had it in a digest confirm from their preferences page: count them too.
    for email in dict.fromkeys([*sent, *confirmations]):
        subscriber = store.subscriber(email)
        school = (subscriber.school if subscriber else "") or email
        if subscriber and subscriber.self_service:
            self_service.add(email)
            school = email if school == email else f"{school} (self-registered: {email})"
        schools.setdefault(school, []).append(email)
    statuses = []
    for school, recipients in sorted(schools.items(), key=lambda pair: pair[0].lower()):
        first = min(
            (confirmations[email] for email in recipients if email in confirmations),
            key=lambda row: row["confirmed_at"],
            default=None,
        )
        statuses.append(
            SchoolStatus(
                school,
                tuple(recipients),
                first["email"] if first else None,
                from_iso(first["confirmed_at"]) if first else None,
                first["note"] if first else "",
                self_service=any(email in self_service for email in recipients),
            )
        )
    return statuses


def sheets_to_confirm(store: Store, audiences: tuple[str, ...], on: date) -> list[Notice]:
    """Published ACTION sheets for any of ``audiences`` whose deadline has not long passed
    (what a reader's preferences page offers to confirm)."""
    return [
        notice
        for notice in store.notices(status="published")
        if notice.type.lower() == "action"
        and notice.deadline
        and (on - notice.deadline).days <= 30
        and set(notice.audiences) & set(audiences)
    ]
