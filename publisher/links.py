"""Signed links in emails: confirm a subscription, manage preferences, unsubscribe, confirm
an action. A link carries its purpose and value, signed with the data directory's secret
(itsdangerous), so it cannot be forged, reused for another purpose, or altered."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from publisher.errors import InputError

SECRET_FILE = "secret.key"
# How long a link works, by purpose (None: as long as the secret is kept).
LIFETIMES = {
    "confirm": 3 * 24 * 3600,
    "manage": None,
    "unsubscribe": None,
    "action": None,
}


class LinkError(InputError):
    """A link that was altered, expired, or made for something else."""


def secret_key(data_dir: Path) -> str:
    """The data directory's secret, made on first use and readable by its owner only."""
    path = Path(data_dir) / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
    return key


# Where the web app answers each kind of link, below settings.site_url.
READER_PATHS = {
    "manage": "manage/",
    "unsubscribe": "unsubscribe/",
    "action": "actions/",
    "confirm": "subscribe/confirm/",
}


def reader_link(data_dir: Path, site_url: str, purpose: str, value) -> str:
    """A signed link for an email's reader: manage preferences, unsubscribe, confirm an
    action (``publisher serve`` answers them at ``site_url``)."""
    return f"{site_url}{READER_PATHS[purpose]}{make_token(data_dir, purpose, value)}"


def make_token(data_dir: Path, purpose: str, value) -> str:
    return _serializer(data_dir, purpose).dumps(value)


def read_token(data_dir: Path, purpose: str, token: str):
    """The value a link was made for, or a ``LinkError`` saying why not."""
    try:
        return _serializer(data_dir, purpose).loads(token, max_age=LIFETIMES[purpose])
    except SignatureExpired:
        raise LinkError("this link has expired: ask for a new one") from None
    except BadSignature:
        raise LinkError("this link is not valid: it may have been cut short or altered") from None


def _serializer(data_dir: Path, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return _cached_serializer(str(data_dir), purpose)


@functools.lru_cache(maxsize=64)
def _cached_serializer(data_dir: str, purpose: str) -> URLSafeTimedSerializer:
    # One per folder and purpose: a send signs three links per email, and reading the
    # secret file for each made rendering a quarter slower.
    return URLSafeTimedSerializer(secret_key(Path(data_dir)), salt=f"publisher.{purpose}")
