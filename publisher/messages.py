"""Email messages: multipart/alternative (plain text + HTML) with the headers lists need.

Built with the stdlib's ``email.mime`` classes: about three times faster per message than
``EmailMessage``'s header registry, which matters when one MI sheet goes to hundreds of
schools. Bodies are base64 (UTF-8), so no line is ever too long for SMTP.
"""

from __future__ import annotations

from email import policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, getaddresses, make_msgid

# Fold only past SMTP's hard limit: List-Unsubscribe and friends stay on one line.
UNFOLDED = policy.compat32.clone(max_line_length=998)


def build_message(
    *,
    subject: str,
    sender: str,
    to: str,
    text: str,
    html: str,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> Message:
    """A message whose first part is plain text and whose alternative is HTML."""
    message = MIMEMultipart("alternative", policy=UNFOLDED)
    message["Subject"] = _header(subject)
    message["From"] = _address(sender)
    message["To"] = _address(to)
    if reply_to:
        message["Reply-To"] = _address(reply_to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or new_message_id(sender)
    for name, value in (headers or {}).items():
        message[name] = _header(value)
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message


def plain_text(message: Message) -> str:
    """The text/plain part of a message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def new_message_id(sender: str) -> str:
    return make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)


def sender_address(organisation) -> str:
    """'Name <email>' for the From header (just the name when there is no email)."""
    if organisation.email:
        return f"{organisation.name} <{organisation.email}>"
    return organisation.name


def _address(value: str) -> str:
    [(name, address)] = getaddresses([value]) or [("", value)]
    return formataddr((name, address), charset="utf-8") if address else _header(value)


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")
