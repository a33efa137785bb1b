"""Sending MI sheets, bulletins and alerts, each message to each recipient exactly once.

A message is rendered (and its MJML compiled) once; each recipient's copy only has merge
tokens replaced. Every (message, recipient, deliverer) is planned in the send log with a
Message-ID derived from the message and recipient. Before a message goes, its row is
claimed with one atomic test-and-set (pending -> sending, with this process as claimant),
so any number of senders running at once send it once. It is marked ``sent`` the moment
the deliverer accepts it (messages go over ``delivery.connections`` at once, default 4). A
row left ``sending`` by a process that is gone (killed while its message was in flight) is
claimed again and sent with the same Message-ID, so the messages in flight at a crash, at
most one per connection, can at worst arrive twice as the same message, which mail clients
show once. Temporary failures are retried with backoff and, if they outlast the retries,
stay pending for the next run; permanent ones are recorded as failed. When the server
itself cannot be reached or refuses the login, the run stops and leaves the rest pending.
"""

from __future__ import annotations

import hashlib
import html
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from urllib.parse import quote

from publisher.addresses import AddressError, envelope_address
from publisher.config import Config
from publisher.deliver import (
    Deliverer,
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
    in_link = quote(envelope_address(email), safe="@")  # 'jo+dsl@' and 'a&b@' stay whole
    if delivery.get("unsubscribe_mailto") or config.organisation.email:
        address = delivery.get("unsubscribe_mailto") or config.organisation.email
        targets.append(f"<mailto:{address}?subject=unsubscribe%20{in_link}>")
    configured = delivery.get("unsubscribe_url")
    targets.append(f"<{configured.replace('{email}', in_link) if configured else one_click_url}>")
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

    Messages go over ``delivery.connections`` deliverers at once (default 4: SMTP
    connections, say); this thread claims each row before its message goes and records
    every outcome. ``retry_failed``: send again what failed permanently before (alerts)."""
    via = via or config.delivery.get("via", "outbox")
    deliverers = _Deliverers(lambda: open_deliverer(via, config, data_dir))
    run = _SendRun(config, store, deliverers, SendReport(via=via))
    unsubscribed = store.unsubscribed()
    try:
        with ThreadPoolExecutor(run.connections, thread_name_prefix="send") as pool:
            try:
                for letter, recipients in letters:
                    by_email = {r.email: r for r in recipients if r.email not in unsubscribed}
                    for row in run.plan(letter, by_email, retry_failed):
                        if run.stopping.is_set() or (limit is not None and run.claimed >= limit):
                            run.report.not_tried += 1
                        elif run.claim(row):
                            run.start(pool, letter, by_email[row.recipient], row)
            finally:  # whatever stopped the loop, what was sent is recorded as sent
                run.finish_all()
    finally:
        deliverers.close()
    return run.report


class _Deliverers:
    """Deliverers (an SMTP connection each) for the sending threads: each is used by one
    thread at a time, and no more are opened than threads ever wanted one at once. The
    first is opened at once, so a deliverer that cannot start says so before anything."""

    def __init__(self, open_one: Callable[[], Deliverer]):
        self.open_one = open_one
        self.opened = [open_one()]
        self.idle = queue.SimpleQueue()
        self.idle.put(self.opened[0])

    @contextmanager
    def one(self) -> Iterator[Deliverer]:
        try:
            deliverer = self.idle.get_nowait()
        except queue.Empty:
            deliverer = self.open_one()
            self.opened.append(deliverer)
        try:
            yield deliverer
        finally:
            self.idle.put(deliverer)

    def close(self) -> None:
        for deliverer in self.opened:
            deliverer.close()


@dataclass(frozen=True)
class _Outcome:
    status: str  # sent, failed or pending
    error: str | None = None
    receipt: str | None = None


class _SendRun:
    """One run of sending: what is in flight, its pace and retries, and what happened.
    Only the thread that made it touches the store."""

    def __init__(self, config: Config, store: Store, deliverers: _Deliverers, report):
        self.config, self.store, self.deliverers, self.report = config, store, deliverers, report
        self.pace = _Pace(float(config.delivery.get("rate", 20)))
        self.retries = int(config.delivery.get("retries", 3))
        self.backoff = float(config.delivery.get("retry_backoff", 2.0))
        self.connections = int(config.delivery.get("connections", 4))
        self.claimant = _claimant()
        self.claimed = 0
        self.stopping = threading.Event()  # the deliverer cannot be reached: no more sends
        self.in_flight: dict[Future, Delivery] = {}

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
        else:
            self.claimed += 1
            if row.status == "sending":
                self.report.resent_after_crash += 1
        return won

    def start(self, pool: Executor, letter: Letter, recipient: Subscriber, row: Delivery):
        """Send a claimed row's message from a sending thread, and record what has finished.
        At most one message per connection is in flight, so a crash can leave at most that
        many sent but not yet marked (sent again, with the same Message-ID, next run)."""
        self.in_flight[pool.submit(self.deliver, letter, recipient, row)] = row
        if len(self.in_flight) >= self.connections:
            wait(self.in_flight, return_when=FIRST_COMPLETED)
        if finished := [future for future in self.in_flight if future.done()]:
            self.record(finished)

    def finish_all(self) -> None:
        self.record(wait(self.in_flight).done)

    def deliver(self, letter: Letter, recipient: Subscriber, row: Delivery) -> _Outcome:
        """Build and deliver one message, retrying temporary failures (a sending thread)."""
        try:
            envelope = envelope_address(recipient.email)
            message = personalise(
                letter, recipient, self.config, row.message_id, self.store.data_dir
            )
        except AddressError as error:  # stored before such addresses were refused
            return _Outcome("failed", str(error))
        except Exception as error:  # noqa: BLE001 - one unbuildable message never stops the rest
            return _Outcome("failed", f"could not build the message: {error}")
        for attempt in range(self.retries + 1):
            self.pace.wait()
            if self.stopping.is_set():
                return _Outcome("pending", self.report.stopped)
            try:
                with self.deliverers.one() as deliverer:
                    receipt = deliverer.send(message, envelope)
            except DelivererUnavailable as error:
                # The server itself is unreachable or refuses us: every other message would
                # fail the same way, so stop here and leave them (and this one) pending.
                self.report.stopped = self.report.stopped or str(error)
                self.stopping.set()
                return _Outcome("pending", str(error))
            except TemporaryFailure as error:
                if attempt < self.retries:
                    time.sleep(self.backoff * 2**attempt)
                    continue
                reason = f"{error} ({attempt + 1} tries; the next run tries again)"
                return _Outcome("pending", reason)
            except PermanentFailure as error:
                return _Outcome("failed", str(error))
            return _Outcome("sent", receipt=receipt)
        raise AssertionError("unreachable")

    def record(self, done: Iterable[Future]) -> None:
        """The outcomes of finished sends, written to the send log in one transaction. A
        deliverer that raised something unexpected leaves its row ``sending`` (sent again,
        with the same Message-ID, by the next run) and the error is raised after the rest
        are recorded."""
        finished, unexpected = [], None
        for future in done:
            row = self.in_flight.pop(future)
            try:
                finished.append((row, future.result()))
            except Exception as error:  # noqa: BLE001 - raised below, once the rest are saved
                unexpected = unexpected or error
        with self.store.transaction():
            for row, outcome in finished:
                self.store.mark_delivery(
                    row.id, outcome.status, error=outcome.error, receipt=outcome.receipt
                )
        for row, outcome in finished:
            if outcome.status == "sent":
                self.report.sent.append(row.recipient)
            elif outcome.status == "failed":
                self.report.failed.append((row.recipient, outcome.error))
            else:
                self.report.deferred.append((row.recipient, outcome.error))
        if unexpected is not None:
            raise unexpected


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
    return not _running(int(pid))


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs: a process killed but not yet waited for by its
    parent (a zombie, on Linux) sends nothing more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (macOS): the signal's answer stands
        return True
    return state != "Z"


class _Pace:
    """At most ``rate`` messages a second (a minimum interval between sends), whichever
    thread sends them."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


def _domain(config: Config) -> str:
    email = config.organisation.email or "publisher.invalid"
    return email.rpartition("@")[2]
