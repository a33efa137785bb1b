"""Delivery through an SMTP relay, one connection reused for the whole run (the ``smtp``
deliverer: ``publisher_plugins.smtp``)."""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from email.message import Message

from publisher.deliver import DelivererUnavailable, PermanentFailure, TemporaryFailure
from publisher.messages import sender_mailbox


class SmtpDeliverer:
    def __init__(self, config, data_dir, **options):
        settings = {**config.delivery.get("smtp", {}), **options}
        self.host = settings.get("host", "localhost")
        self.security = settings.get("security", "starttls")
        self.port = int(settings.get("port", 465 if self.security == "ssl" else 587))
        self.timeout = float(settings.get("timeout", 30))
        self.username = os.environ.get("PUBLISHER_SMTP_USERNAME")
        self.password = os.environ.get("PUBLISHER_SMTP_PASSWORD")
        self.sender = sender_mailbox(config.organisation).address
        self.connection: smtplib.SMTP | None = None

    def send(self, message: Message, recipient: str) -> str:
        if self.connection is None:
            self.connection = self._connect()
        try:
            # The envelope is given, never taken from the headers: a display name can
            # never add a recipient.
            self.connection.send_message(message, self.sender, [recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _failure(code, reply) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise _failure(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:  # dropped connection, timeout
            self._drop()
            problem = str(error) or type(error).__name__
            raise TemporaryFailure(f"SMTP connection problem: {problem}") from None
        return str(message["Message-ID"])

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None

    def _connect(self) -> smtplib.SMTP:
        """A connection, or ``DelivererUnavailable`` when the server cannot be reached or
        refuses the login (the run stops rather than trying every recipient in turn)."""
        where = f"{self.host}:{self.port}"
        try:
            return self._open()
        except smtplib.SMTPAuthenticationError as error:
            raise DelivererUnavailable(
                f"SMTP login to {where} refused: {_text(error.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            problem = str(error) or type(error).__name__
            raise DelivererUnavailable(f"SMTP server {where} unreachable: {problem}") from None

    def _open(self) -> smtplib.SMTP:
        if self.security == "ssl":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if self.username:
            connection.login(self.username, self.password or "")
        return connection

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.close()
        self.connection = None


def _failure(code: int, reply) -> Exception:
    text = f"SMTP {code} {_text(reply)}"
    return TemporaryFailure(text) if 400 <= code < 500 else PermanentFailure(text)


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
