"""Sending MI sheets and bulletins to subscribers, each message exactly once.

A message is rendered (and its MJML compiled) once; each recipient's copy only has merge
tokens replaced. Every (message, recipient) pair is planned in the send log with a
Message-ID derived from both, marked ``sending`` before it goes and ``sent`` the moment the
server accepts it. A rerun after a crash sends what is still ``pending``; a row left at
``sending`` (the process died while that one message was in flight) is sent again with the
same Message-ID, so the one ambiguous message can at worst arrive twice as the same
message, which mail clients show once. Temporary failures are retried with backoff, and
if they outlast the retries stay pending for the next run; permanent ones are recorded as
failed and the run goes on.
"""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from publisher.config import Config
from publisher.deliver import PermanentFailure, TemporaryFailure, open_deliverer
from publisher.messages import build_message, sender_address
from publisher.store import Store
from publisher.subscribers import Subscriber

MERGE_FIELDS = ("name", "at_school", "email")
TOKENS = {field: f"\ue000{field}\ue001" for field in MERGE_FIELDS}


@dataclass(frozen=True)
class Letter:
    """A message rendered once, with merge tokens where each recipient's details go."""

    key: str  # in the send log, e.g. "mi/1-24", "bulletin/2024-02"
    subject: str
    text: str
    html: str


@dataclass
class SendReport:
    planned: int = 0
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    already_sent: int = 0
    resent_after_crash: int = 0
    remaining: int = 0


def recipient_tokens() -> dict[str, str]:
    """Pass as ``recipient`` to templates: rendered once, filled in per recipient."""
    return dict(TOKENS)


def personalise(letter: Letter, subscriber: Subscriber, config: Config, message_id: str) -> Message:
    values = {
        "name": subscriber.name or "colleague",
        "at_school": f" ({subscriber.school})" if subscriber.school else "",
        "email": subscriber.email,
    }
    text, body = letter.text, letter.html
    for name, token in TOKENS.items():
        text = text.replace(token, values[name])
        body = body.replace(token, html.escape(values[name]))
    recipient = f"{subscriber.name} <{subscriber.email}>" if subscriber.name else subscriber.email
    return build_message(
        subject=letter.subject,
        sender=sender_address(config.organisation),
        to=recipient,
        text=text,
        html=body,
        reply_to=config.delivery.get("reply_to") or config.organisation.email,
        headers=list_headers(config, subscriber.email),
        message_id=message_id,
    )


def list_headers(config: Config, email: str) -> dict[str, str]:
    """List-Id and one-click List-Unsubscribe (RFC 2369, RFC 8058)."""
    delivery = config.delivery
    list_id = delivery.get("list_id") or f"safeguarding.{_domain(config)}"
    headers = {"List-Id": f"{config.organisation.name} <{list_id}>"}
    targets = []
    if delivery.get("unsubscribe_mailto") or config.organisation.email:
        address = delivery.get("unsubscribe_mailto") or config.organisation.email
        targets.append(f"<mailto:{address}?subject=unsubscribe%20{email}>")
    if delivery.get("unsubscribe_url"):
        targets.append(f"<{delivery['unsubscribe_url'].replace('{email}', email)}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if targets:
        headers["List-Unsubscribe"] = ", ".join(targets)
    return headers


def message_id_for(key: str, email: str, config: Config) -> str:
    """The same Message-ID for the same message to the same person, run after run."""
    digest = hashlib.sha256(f"{key}\n{email}".encode()).hexdigest()[:32]
    return f"<{digest}@{_domain(config)}>"


def send_letters(
    config: Config,
    store: Store,
    letters: Iterable[tuple[Letter, list[Subscriber]]],
    data_dir: Path,
    via: str | None = None,
    limit: int | None = None,
) -> SendReport:
    """Send each letter to its recipients through the send log (see module docstring)."""
    via = via or config.delivery.get("via", "outbox")
    rate = float(config.delivery.get("rate", 20))
    retries = int(config.delivery.get("retries", 3))
    backoff = float(config.delivery.get("retry_backoff", 2.0))
    unsubscribed = store.unsubscribed()
    report = SendReport()
    deliverer = open_deliverer(via, config, data_dir)
    pace = _Pace(rate)
    try:
        for letter, recipients in letters:
            by_email = {r.email: r for r in recipients if r.email not in unsubscribed}
            with store.transaction():
                store.plan_deliveries(
                    letter.key,
                    via,
                    [(email, message_id_for(letter.key, email, config)) for email in by_email],
                )
            rows = [row for row in store.deliveries(letter.key) if row["recipient"] in by_email]
            report.planned += len(rows)
            report.already_sent += sum(row["status"] == "sent" for row in rows)
            for row in rows:
                if row["status"] not in ("pending", "sending"):
                    continue
                if limit is not None and len(report.sent) + len(report.failed) >= limit:
                    report.remaining += 1
                    continue
                if row["status"] == "sending":
                    report.resent_after_crash += 1
                message = personalise(letter, by_email[row["recipient"]], config, row["message_id"])
                _deliver(store, deliverer, row, message, pace, retries, backoff, report)
    finally:
        deliverer.close()
    return report


def _deliver(store, deliverer, row, message, pace, retries, backoff, report) -> None:
    with store.transaction():
        store.mark_delivery(row["id"], "sending", attempted=True)
    for attempt in range(retries + 1):
        pace.wait()
        try:
            receipt = deliverer.send(message)
        except TemporaryFailure as error:
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
                continue
            # Still temporary: left pending, so the next run tries again.
            status, reason = "pending", f"{error} ({attempt + 1} tries; the next run tries again)"
        except PermanentFailure as error:
            status, reason = "failed", str(error)
        else:
            with store.transaction():
                store.mark_delivery(row["id"], "sent", receipt=receipt)
            report.sent.append(row["recipient"])
            return
        with store.transaction():
            store.mark_delivery(row["id"], status, error=reason)
        report.failed.append((row["recipient"], reason))
        return


class _Pace:
    """At most ``rate`` messages a second (a minimum interval between sends)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def _domain(config: Config) -> str:
    email = config.organisation.email or "publisher.invalid"
    return email.rpartition("@")[2]
