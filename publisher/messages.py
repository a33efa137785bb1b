"""Email messages: multipart/alternative (plain text + HTML) with the headers lists need."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid


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
) -> EmailMessage:
    """A message whose first part is plain text and whose alternative is HTML."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or new_message_id(sender)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def new_message_id(sender: str) -> str:
    return make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)


def sender_address(organisation) -> str:
    """'Name <email>' for the From header (just the name when there is no email)."""
    if organisation.email:
        return f"{organisation.name} <{organisation.email}>"
    return organisation.name
