"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts, with faults on
request. Used by the delivery tests and bench/send.py."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections import Counter

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Accepts mail and keeps it. ``refuse`` maps recipient to a reply (e.g. '550 ...');
    ``defer_first`` answers 451 to each recipient's first try; ``drop_first`` closes the
    first connection in the middle of a transaction; ``hold`` waits that many seconds
    before accepting each message (other connections go on meanwhile)."""

    def __init__(self, refuse=None, defer_first=False, drop_first=False, hold=0.0):
        self.refuse = refuse or {}  # recipient -> reply; change it between runs
        self.defer_first = defer_first
        self.drop_first = drop_first
        self.hold = hold
        self.at_once = self.most_at_once = 0  # messages being accepted at the same time
        self.peers: set = set()  # the connections mail came over
        self.deferred: set[str] = set()
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.drop_first:
            self.drop_first = False
            server.transport.close()
            return "421 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        if self.defer_first and address not in self.deferred:
            self.deferred.add(address)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.peers.add(session.peer)
        self.at_once += 1
        self.most_at_once = max(self.most_at_once, self.at_once)
        await asyncio.sleep(self.hold)
        self.at_once -= 1
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(message)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted"

    def count_by_recipient(self) -> Counter:
        return Counter(self.recipients)


class SmtpServer:
    def __init__(self, handler: RecordingHandler):
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
