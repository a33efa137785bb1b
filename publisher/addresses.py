"""Email addresses in the one form mail carries: checked, the domain in ASCII.

A domain such as bücher.example goes as IDNA (punycode); letters outside ASCII before the
@ would need SMTPUTF8, which publisher does not send, so such an address is an
``AddressError`` that says so. Every way in (CSV import, the web app, /subscribe) and every
way out (headers, the envelope) uses these.
"""

from __future__ import annotations

from publisher.errors import InputError


class AddressError(InputError, ValueError):
    """An address that cannot be put in a header."""


class NeedsSmtpUtf8(AddressError):
    """An address with letters outside ASCII before the @: mail without SMTPUTF8 cannot
    carry it."""


def ascii_address(address: str) -> str:
    """``address`` checked, in the form mail without SMTPUTF8 carries: the domain in IDNA
    ASCII (idn@bücher.example is idn@xn--bcher-kva.example). An ``AddressError`` if it is
    not an address, or has letters outside ASCII before the @."""
    from email_validator import EmailNotValidError, validate_email  # on use: 15 ms to import

    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise AddressError(f"'{address}' is not an email address: {error}") from None
    if valid.ascii_email is None:
        letters = "".join(dict.fromkeys(c for c in valid.local_part if not c.isascii()))
        raise NeedsSmtpUtf8(
            f"'{address}' cannot be sent to: '{letters}' before the @ needs mail with "
            "SMTPUTF8, which publisher does not send; ask for an address with only ASCII "
            "letters before the @"
        )
    return valid.ascii_email


def envelope_address(stored: str) -> str:
    """A stored address as it goes in the envelope and headers: as it is when ASCII
    (checked when it was stored), else ``ascii_address`` (stored by an older version)."""
    return stored if stored.isascii() else ascii_address(stored)
