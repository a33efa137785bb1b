"""Schools subscribe themselves: double opt-in, preferences and unsubscribing.

Nothing is sent to an address before it confirms; the answer to a request is the same
whether the address is known or not, so the form reveals no subscriber; confirmation
emails to one address are limited per day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from publisher.addresses import NeedsSmtpUtf8
from publisher.config import Config
from publisher.dates import from_iso, to_iso, utcnow
from publisher.errors import InputError
from publisher.store import Store
from publisher.subscribers import Subscriber, canonical_email

FREQUENCY_LABELS = {
    "immediately": (
        "Immediately: each MI sheet and statutory guidance change as it is published, and "
        "the monthly bulletin"
    ),
    "weekly": (
        "Weekly digest: the week's MI sheets and statutory guidance changes, and the "
        "monthly bulletin"
    ),
    "monthly": "Monthly bulletin only",
}
CONFIRMATIONS_PER_DAY = 3
MAX_FIELD_LENGTH = 200


class FormErrors(InputError):
    """Field errors of a form: ``errors`` maps field name to message, in form order."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Request:
    email: str
    name: str
    school: str
    audiences: tuple[str, ...]
    frequency: str


def check_request(config: Config, form: dict) -> Request:
    """A subscription or preferences form as a request, or ``FormErrors``."""
    errors = {}
    email = ""
    try:
        email = canonical_email(str(form.get("email", "")))
    except NeedsSmtpUtf8:
        errors["email"] = (
            "Our emails cannot reach an address with letters other than A to Z before the @:"
            " enter another address"
        )
    except ValueError:
        errors["email"] = "Enter an email address in the correct format, like name@school.sch.uk"
    audiences = tuple(a for a in form.get("audiences", ()) if a in config.audiences)
    if not audiences:
        errors["audiences"] = "Select at least one audience"
    frequency = str(form.get("frequency", ""))
    if frequency not in FREQUENCY_LABELS:
        errors["frequency"] = "Select how often you want to hear from us"
    name, school = (" ".join(str(form.get(key, "")).split()) for key in ("name", "school"))
    for key, value in (("name", name), ("school", school)):
        if len(value) > MAX_FIELD_LENGTH:
            errors[key] = f"Keep this to {MAX_FIELD_LENGTH} characters or fewer"
    if errors:
        raise FormErrors(errors)
    return Request(email, name, school, audiences, frequency)


def request_subscription(store: Store, request: Request) -> bool:
    """Record a request; whether a confirmation email should be sent now (False when the
    address has had CONFIRMATIONS_PER_DAY already today)."""
    now = utcnow()
    with store.transaction():
        row = store.db.execute(
            "SELECT window_started_at, confirmations FROM subscription_requests WHERE email = ?",
            (request.email,),
        ).fetchone()
        started = from_iso(row["window_started_at"]) if row else None
        fresh_window = started is None or now - started > timedelta(days=1)
        count = 0 if fresh_window else row["confirmations"]
        if count >= CONFIRMATIONS_PER_DAY:
            return False
        store.db.execute(
            "INSERT INTO subscription_requests (email, name, school, audiences, frequency,"
            " requested_at, window_started_at, confirmations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (email) DO UPDATE SET name = excluded.name, school = excluded.school,"
            " audiences = excluded.audiences, frequency = excluded.frequency,"
            " requested_at = excluded.requested_at,"
            " window_started_at = excluded.window_started_at,"
            " confirmations = excluded.confirmations",
            (
                request.email,
                request.name,
                request.school,
                json.dumps(list(request.audiences)),
                request.frequency,
                to_iso(now),
                to_iso(now if fresh_window else started),
                count + 1,
            ),
        )
    return True


def confirm(store: Store, email: str) -> Subscriber:
    """The address confirmed its request: it becomes a subscriber (off the unsubscribe
    list: confirming is consent). Confirming twice is harmless."""
    with store.transaction():
        row = store.db.execute(
            "SELECT * FROM subscription_requests WHERE email = ?", (email,)
        ).fetchone()
        if row is None:
            existing = store.subscriber(email)
            if existing is None:
                raise InputError("this subscription request is no longer waiting: subscribe again")
            return existing
        subscriber = Subscriber(
            email,
            row["name"],
            row["school"],
            tuple(json.loads(row["audiences"])),
            row["frequency"],
            self_service=True,  # the school is as they typed it
        )
        store.save_subscribers([subscriber])
        store.db.execute("DELETE FROM unsubscribed WHERE email = ?", (email,))
        store.db.execute("DELETE FROM subscription_requests WHERE email = ?", (email,))
    return subscriber


def update_preferences(store: Store, email: str, request: Request) -> Subscriber:
    """New audiences and frequency (and name, school) for a confirmed subscriber; a school
    they type themselves is theirs, not one the council vouched for."""
    existing = store.subscriber(email)
    if existing is None:
        raise InputError("this address is not subscribed")
    retyped = request.school != existing.school
    subscriber = Subscriber(
        email,
        request.name,
        request.school,
        request.audiences,
        request.frequency,
        self_service=existing.self_service or retyped,
    )
    with store.transaction():
        store.save_subscribers([subscriber])
    return subscriber


def unsubscribe(store: Store, email: str) -> None:
    """Stop every email to this address; no later import or send undoes it."""
    with store.transaction():
        store.unsubscribe(email)
        store.db.execute("DELETE FROM subscription_requests WHERE email = ?", (email,))
