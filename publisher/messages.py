"""Email messages: multipart/alternative (plain text + HTML) with the headers lists need.

Every address is built from a (display name, address) pair by ``Mailbox`` and never parsed
back from a string, so a name such as ``Jo <attacker@evil.example> (`` stays a name; the
envelope recipient is always the stored address, given to the deliverer beside the message.
Every header value passes ``header_text`` (no CR, LF or other control characters: nothing
can add a header or start the body) and long values are folded, so no line passes 998
octets. Built with the stdlib's ``email.mime`` classes: about three times faster per
message than ``EmailMessage``'s header registry. Bodies are base64 (UTF-8).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, formatdate, make_msgid

from publisher.errors import InputError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_FOLD_AT = 78
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


class AddressError(InputError):
    """An address that cannot be put in a header."""


@dataclass(frozen=True)
class Mailbox:
    """A display name and an address, kept apart until the header is written."""

    address: str
    name: str = ""

    @classmethod
    def of(cls, address: str, name: str = "") -> Mailbox:
        """A mailbox with a checked address (an ``AddressError`` if it is none)."""
        from email_validator import EmailNotValidError, validate_email

        try:
            valid = validate_email(header_text(address), check_deliverability=False)
        except EmailNotValidError as error:
            raise AddressError(f"'{address}' is not an email address: {error}") from None
        return cls(valid.normalized, header_text(name))

    def header(self) -> str:
        """'Name <address>', the name quoted or encoded as RFC 5322 and 2047 require."""
        return formataddr((self.name, self.address), charset="utf-8")


def header_text(value: object) -> str:
    """A value fit for a header: one line, no control characters, at most 900 characters."""
    text = " ".join(_CONTROL.sub(" ", str(value or "")).split())
    return text if len(text) <= MAX_HEADER_TEXT else text[: MAX_HEADER_TEXT - 1] + "…"


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
    message["Subject"] = _folded(header_text(subject))
    message["From"] = sender.header()
    message["To"] = to.header()
    if reply_to:
        message["Reply-To"] = reply_to.header()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = header_text(message_id or new_message_id(sender))
    for name, value in (headers or {}).items():
        message[name] = _folded(header_text(value))
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


def _folded(value: str) -> str | Header:
    """Short ASCII values as they are; others as a Header: encoded (RFC 2047) if not
    ASCII, and folded where a line would pass the policy's 998-octet limit."""
    if value.isascii() and len(value) <= _FOLD_AT:
        return value
    return Header(value, "utf-8" if not value.isascii() else "us-ascii", maxlinelen=_FOLD_AT)
