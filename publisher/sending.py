"""Sending MI sheets, bulletins and alerts, each message to each recipient exactly once.

A message is rendered (and its MJML compiled) once; each recipient's copy only has merge
tokens replaced. Every (message, recipient, deliverer) is planned in the send log with a
Message-ID derived from the message and recipient. Before a message goes, its row is
claimed with one atomic test-and-set (pending -> sending, with this process as claimant),
so any number of senders running at once send it once. It is marked ``sent`` the moment
the deliverer accepts it. A row left ``sending`` by a process that is gone (killed while
that one message was in flight) is claimed again and sent with the same Message-ID, so the
one ambiguous message can at worst arrive twice as the same message, which mail clients
show once. Temporary failures are retried with backoff and, if they outlast the retries,
stay pending for the next run; permanent ones are recorded as failed. When the server
itself cannot be reached or refuses the login, the run stops and leaves the rest pending.
"""

from __future__ import annotations

import hashlib
import html
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from publisher.config import Config
from publisher.deliver import (
    DelivererUnavailable,
    PermanentFailure,
    TemporaryFailure,
    open_deliverer,
)
from publisher.links import reader_link
from publisher.messages import Mailbox, build_message, header_text, sender_mailbox
from publisher.models import Delivery
from publisher.store import Store
from publisher.subscribers import Subscriber

MERGE_FIELDS = ("name", "at_school", "email")
LINK_FIELDS = ("manage_url", "unsubscribe_url", "action_url")
# Placeholders no real text contains; links look like addresses, because MJML rewrites
# unusual characters inside attributes such as href.
TOKENS = {field: f"\ue000{field}\ue001" for field in MERGE_FIELDS} | {
    field: f"https://merge.invalid/{field}" for field in LINK_FIELDS
}


@dataclass(frozen=True)
class Letter:
    """A message rendered once, with merge tokens where each recipient's details go."""

    key: str  # in the send log, e.g. "mi/1-24", "bulletin/2024-02"
    subject: str
    text: str
    html: str
    for_list: bool = True  # List-Id and List-Unsubscribe (not for the team's own alerts)
    action: str | None = None  # an ACTION sheet's number: each reader gets a confirm link


@dataclass
class SendReport:
    via: str = ""
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # for good: (recipient, why)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # tried; the next run retries
    not_tried: int = 0  # left by --limit, or after the run stopped
    already_sent: int = 0
    resent_after_crash: int = 0
    taken_by_another: int = 0  # being sent by another process at the same time
    stopped: str | None = None  # why the run stopped early, leaving the rest pending

    @property
    def left_for_next_run(self) -> int:
        return self.not_tried + len(self.deferred)


def recipient_tokens() -> dict[str, str]:
    """Pass as ``recipient`` to templates: rendered once, filled in per recipient."""
    return dict(TOKENS)


def personalise(
    letter: Letter, subscriber: Subscriber, config: Config, message_id: str, data_dir: Path
) -> Message:
    """The letter for one reader: merge fields filled in, and their signed links (made
    with the secret in ``data_dir``) to manage, unsubscribe, and confirm an action."""
    name, school = header_text(subscriber.name), header_text(subscriber.school)
    site_url, email = config.settings.site_url, subscriber.email
    values = {  # one line each: a name cannot start a paragraph of its own in the body
        "name": name or "colleague",
        "at_school": f" ({school})" if school else "",
        "email": email,
        "manage_url": reader_link(data_dir, site_url, "manage", email),
        "unsubscribe_url": reader_link(data_dir, site_url, "unsubscribe", email),
        "action_url": (
            reader_link(data_dir, site_url, "action", [letter.action, email])
            if letter.action
            else ""
        ),
    }
    text, body = letter.text, letter.html
    for merge_field, token in TOKENS.items():
        text = text.replace(token, values[merge_field])
        body = body.replace(token, html.escape(values[merge_field]))
    reply_to = config.delivery.get("reply_to") or config.organisation.email
    return build_message(
        subject=letter.subject,
        sender=sender_mailbox(config.organisation),
        to=Mailbox(subscriber.email, name),
        text=text,
        html=body,
        reply_to=Mailbox(header_text(reply_to)) if reply_to else None,
        headers=list_headers(config, email, values["unsubscribe_url"]) if letter.for_list else None,
        message_id=message_id,
    )


def list_headers(config: Config, email: str, one_click_url: str) -> dict[str, str]:
    """List-Id and one-click List-Unsubscribe (RFC 2369, RFC 8058): to the configured
    ``unsubscribe_url``, else the reader's signed link to the web app."""
    delivery = config.delivery
    list_id = delivery.get("list_id") or f"safeguarding.{_domain(config)}"
    headers = {"List-Id": f"{header_text(config.organisation.name)} <{list_id}>"}
    targets = []
    if delivery.get("unsubscribe_mailto") or config.organisation.email:
        address = delivery.get("unsubscribe_mailto") or config.organisation.email
        targets.append(f"<mailto:{address}?subject=unsubscribe%20{email}>")
    configured = delivery.get("unsubscribe_url")
    targets.append(f"<{configured.replace('{email}', email) if configured else one_click_url}>")
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
    retry_failed: bool = False,
) -> SendReport:
    """Send each letter to its recipients through the send log (see module docstring).

    ``retry_failed``: send again what failed permanently on an earlier run (alerts)."""
    via = via or config.delivery.get("via", "outbox")
    deliverer = open_deliverer(via, config, data_dir)
    run = _SendRun(config, store, deliverer, SendReport(via=via))
    unsubscribed = store.unsubscribed()
    try:
        for letter, recipients in letters:
            by_email = {r.email: r for r in recipients if r.email not in unsubscribed}
            for row in run.plan(letter, by_email, retry_failed):
                attempted = len(run.report.sent) + len(run.report.failed) + len(run.report.deferred)
                if run.report.stopped or (limit is not None and attempted >= limit):
                    run.report.not_tried += 1
                elif run.claim(row):
                    run.send(letter, by_email[row.recipient], row)
    finally:
        run.deliverer.close()
    return run.report


class _SendRun:
    """One run of sending: the deliverer, its pace and retries, and what happened."""

    def __init__(self, config: Config, store: Store, deliverer, report: SendReport):
        self.config, self.store, self.deliverer, self.report = config, store, deliverer, report
        self.pace = _Pace(float(config.delivery.get("rate", 20)))
        self.retries = int(config.delivery.get("retries", 3))
        self.backoff = float(config.delivery.get("retry_backoff", 2.0))
        self.claimant = _claimant()

    def plan(self, letter: Letter, by_email: dict[str, Subscriber], retry_failed: bool):
        """The letter's rows in the send log still to send (planning any new ones)."""
        via, key = self.report.via, letter.key
        with self.store.transaction():
            self.store.plan_deliveries(
                key, via, [(email, message_id_for(key, email, self.config)) for email in by_email]
            )
            if retry_failed:
                self.store.retry_failed(key, via)
        rows = [r for r in self.store.deliveries(key, channel=via) if r.recipient in by_email]
        self.report.already_sent += sum(row.status == "sent" for row in rows)
        return [row for row in rows if row.status in ("pending", "sending")]

    def claim(self, row: Delivery) -> bool:
        """Take the row for this run, unless another live sender has it (atomic)."""
        if row.status == "sending" and not _gone(row.claimed_by):
            won = False
        else:
            with self.store.transaction():
                won = self.store.claim_delivery(row, self.claimant)
        if not won:
            self.report.taken_by_another += 1
        elif row.status == "sending":
            self.report.resent_after_crash += 1
        return won

    def send(self, letter: Letter, recipient: Subscriber, row: Delivery) -> None:
        """Build and deliver one claimed message, retrying temporary failures."""
        try:
            message = personalise(
                letter, recipient, self.config, row.message_id, self.store.data_dir
            )
        except Exception as error:  # noqa: BLE001 - one unbuildable message never stops the rest
            self.finish(row, "failed", error=f"could not build the message: {error}")
            return
        for attempt in range(self.retries + 1):
            self.pace.wait()
            try:
                receipt = self.deliverer.send(message, recipient.email)
            except DelivererUnavailable as error:
                # The server itself is unreachable or refuses us: every other message would
                # fail the same way, so stop here and leave them (and this one) pending.
                self.finish(row, "pending", error=str(error))
                self.report.stopped = str(error)
                return
            except TemporaryFailure as error:
                if attempt < self.retries:
                    time.sleep(self.backoff * 2**attempt)
                    continue
                reason = f"{error} ({attempt + 1} tries; the next run tries again)"
                self.finish(row, "pending", error=reason)
                return
            except PermanentFailure as error:
                self.finish(row, "failed", error=str(error))
                return
            self.finish(row, "sent", receipt=receipt)
            return

    def finish(self, row: Delivery, status: str, error=None, receipt=None) -> None:
        with self.store.transaction():
            self.store.mark_delivery(row.id, status, error=error, receipt=receipt)
        if status == "sent":
            self.report.sent.append(row.recipient)
        elif status == "failed":
            self.report.failed.append((row.recipient, error))
        else:
            self.report.deferred.append((row.recipient, error))


def _claimant() -> str:
    """Who is sending: this machine, process and thread (the web app sends from threads)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _gone(claimed_by: str | None) -> bool:
    """Whether the sender that claimed a row is gone, so its message was interrupted."""
    if not claimed_by:
        return True
    host, pid, thread = (claimed_by.split(":") + ["", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's sender: never taken from it
    if int(pid) == os.getpid():
        return thread == str(threading.get_ident())  # left by an earlier run of this thread
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


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
