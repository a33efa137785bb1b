"""Email messages: multipart/alternative (plain text + HTML) with the headers lists need.

Every address is built from a (display name, address) pair by ``Mailbox`` and never parsed
back from a string, so a name such as ``Jo <attacker@evil.example> (`` stays a name; the
envelope recipient is always the stored address (``envelope_address``), given to the
deliverer beside the message.
Every header value passes ``header_text`` (no CR, LF or other control characters: nothing
can add a header or start the body). Values with letters outside ASCII are folded into
RFC 2047 encoded words of at most 75 characters on lines of at most 76, and a long subject
at its spaces, so no line passes 998 octets. Addresses go out in ASCII
(``publisher.addresses``). Built with the
stdlib's ``email.mime`` classes: about three times faster per message than
``EmailMessage``'s header registry. Bodies are base64 (UTF-8).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, formatdate, make_msgid

from publisher.addresses import ascii_address, envelope_address
from publisher.text import clean_text

_FOLD_AT = 78
# A folded line is a space and one encoded word, and RFC 2047 allows 75 characters a word.
_ENCODED_LINE = 76
MAX_HEADER_TEXT = 900


class _OneLinePolicy(policy.Compat32):
    """compat32, except that a header already fit for one line (printable ASCII within the
    line limit) is written as it is, without an ``email.header.Header`` built to fold it:
    the same line, and that building was a third of the time a message took to write."""

    def fold(self, name: str, value) -> str:
        if self._fits(name, value):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value) -> bytes:
        if self._fits(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)

    def _fits(self, name: str, value) -> bool:
        return (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and len(name) + 2 + len(value) <= self.max_line_length
        )


# Fold only past SMTP's hard limit: List-Unsubscribe and friends stay on one line.
UNFOLDED = _OneLinePolicy(max_line_length=998)


class _ShortLines(Header):
    """A Header folded at its own line length whatever the policy asks: compat32 asks for
    its ``max_line_length`` (998 here), which made one encoded word of hundreds of
    characters where RFC 2047 allows 75."""

    def encode(self, splitchars: str = ";, \t", maxlinelen=None, linesep: str = "\n") -> str:
        return super().encode(splitchars, self._maxlinelen, linesep)


@dataclass(frozen=True)
class Mailbox:
    """A display name and an address, kept apart until the header is written."""

    address: str
    name: str = ""

    @classmethod
    def of(cls, address: str, name: str = "") -> Mailbox:
        """A mailbox with a checked address (an ``AddressError`` if it is none)."""
        return cls(ascii_address(header_text(address)), header_text(name))

    def header(self, field: str = "To") -> str | Header:
        """'Name <address>' for the ``field`` header: the name quoted (RFC 5322) or, with
        letters outside ASCII, in encoded words (RFC 2047); the address in ASCII."""
        address = envelope_address(self.address)
        if self.name.isascii():
            return formataddr((self.name, address))
        mailbox = _ShortLines(self.name, "utf-8", maxlinelen=_ENCODED_LINE, header_name=field)
        mailbox.append(f"<{address}>", "us-ascii")
        return mailbox


def header_text(value: object) -> str:
    """A value fit for a header: one line, no control characters (nor bidi overrides), at
    most 900 characters."""
    return clean_text(str(value or ""), MAX_HEADER_TEXT)


def build_message(
    *,
    subject: str,
    sender: Mailbox,
    to: Mailbox,
    text: str,
    html: str,
    reply_to: Mailbox | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> Message:
    """A message whose first part is plain text and whose alternative is HTML."""
    message = MIMEMultipart("alternative", policy=UNFOLDED)
    message["Subject"] = _folded("Subject", header_text(subject))
    message["From"] = sender.header("From")
    message["To"] = to.header("To")
    if reply_to:
        message["Reply-To"] = reply_to.header("Reply-To")
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = header_text(message_id or new_message_id(sender))
    for name, value in (headers or {}).items():
        value = header_text(value)  # ASCII stays on one line: List-Unsubscribe as written
        message[name] = value if value.isascii() else _folded(name, value)
    message.attach(_utf8_part(text, "plain"))
    message.attach(_utf8_part(html, "html"))
    # Both parts are base64, whose alphabet has no '_': this boundary cannot occur in
    # them, so the generator need not search each 17 KiB body for a safe one.
    message.set_boundary(f"==publisher_{secrets.token_hex(12)}")
    return message


def _utf8_part(content: str, subtype: str) -> MIMENonMultipart:
    """A base64 text part, encoded by the C base64 codec (76-character lines, as
    MIMEText would write them, without its line-by-line Python loop)."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(content.encode("utf-8")).decode("ascii"))
    return part


def plain_text(message: Message) -> str:
    """The text/plain part of a message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def new_message_id(sender: Mailbox) -> str:
    return make_msgid(domain=sender.address.rpartition("@")[2] or None)


def sender_mailbox(organisation) -> Mailbox:
    """The From mailbox: the organisation's name and address (from feeds.yaml)."""
    return Mailbox(
        header_text(organisation.email or "publisher@localhost"), header_text(organisation.name)
    )


def _folded(name: str, value: str) -> str | Header:
    """Short ASCII values as they are; others as a Header folded on short lines: at spaces
    if ASCII, else into encoded words (RFC 2047) of at most 75 characters."""
    if value.isascii() and len(value) <= _FOLD_AT:
        return value
    charset = "us-ascii" if value.isascii() else "utf-8"
    return _ShortLines(value, charset, maxlinelen=_ENCODED_LINE, header_name=name)
