"""Team accounts for the web app: roles, argon2 password hashes, sessions, login limits.

Sessions live in the database (a random token in an HttpOnly cookie, only its hash
stored), so "log out everywhere" and removing a user end every session at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from publisher.dates import from_iso, to_iso, utcnow
from publisher.errors import InputError
from publisher.store import Store
from publisher.subscribers import canonical_email

ROLES = ("editor", "approver", "admin")
# What each role may do; a role may do everything the roles before it may.
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Verified against when the account does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe())


class UserError(InputError):
    """A user account request that cannot be done, with the reason."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str

    def can(self, role: str) -> bool:
        """Whether this user has ``role`` or a higher one (admin > approver > editor)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def add_user(store: Store, email: str, role: str, password: str | None = None) -> tuple[User, str]:
    """Create an account; returns it with its password (generated when not given)."""
    email = _address(email)
    _check_role(role)
    password = password or new_password()
    _check_password(password)
    with store.transaction():
        if _row(store, email):
            raise UserError(f"a user {email} exists already")
        cursor = store.db.execute(
            "INSERT INTO users (email, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (email, role, _hasher.hash(password), to_iso(utcnow())),
        )
    return User(cursor.lastrowid, email, role), password


def users(store: Store) -> list[User]:
    rows = store.db.execute("SELECT id, email, role FROM users ORDER BY email")
    return [User(row["id"], row["email"], row["role"]) for row in rows]


def find_user(store: Store, email: str) -> User:
    row = _row(store, _address(email))
    if row is None:
        raise UserError(f"no user {email.strip()} (see: publisher users list)")
    return User(row["id"], row["email"], row["role"])


def remove_user(store: Store, email: str) -> User:
    """Remove an account and end its sessions."""
    user = find_user(store, email)
    with store.transaction():
        store.db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        store.db.execute("DELETE FROM users WHERE id = ?", (user.id,))
    return user


def reset_password(store: Store, email: str, password: str | None = None) -> tuple[User, str]:
    """Set a new password (generated when not given), unlock, and end every session."""
    user = find_user(store, email)
    password = password or new_password()
    _check_password(password)
    with store.transaction():
        store.db.execute(
            "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL"
            " WHERE id = ?",
            (_hasher.hash(password), user.id),
        )
        store.db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
    return user, password


def authenticate(store: Store, email: str, password: str) -> User | None:
    """The user these credentials belong to, or None. After MAX_FAILED_LOGINS failures an
    account is locked for LOCKOUT, whatever password is given."""
    try:
        row = _row(store, _address(email))
    except UserError:
        row = None
    if row is None:
        _verify(_DUMMY_HASH, password)
        return None
    locked_until = from_iso(row["locked_until"])
    if locked_until and locked_until > utcnow():
        return None
    if not _verify(row["password_hash"], password):
        failures = row["failed_logins"] + 1
        locked = to_iso(utcnow() + LOCKOUT) if failures >= MAX_FAILED_LOGINS else None
        with store.transaction():
            store.db.execute(
                "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                (0 if locked else failures, locked, row["id"]),
            )
        return None
    with store.transaction():
        store.db.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (row["id"],)
        )
    return User(row["id"], row["email"], row["role"])


def start_session(store: Store, user: User) -> str:
    """A new session for ``user``: the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with store.transaction():
        store.db.execute("DELETE FROM sessions WHERE expires_at < ?", (to_iso(now),))
        store.db.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (_digest(token), user.id, to_iso(now), to_iso(now + SESSION_LIFETIME)),
        )
    return token


def session_user(store: Store, token: str | None) -> User | None:
    if not token:
        return None
    row = store.db.execute(
        "SELECT users.id, users.email, users.role FROM sessions"
        " JOIN users ON users.id = sessions.user_id"
        " WHERE sessions.token_hash = ? AND sessions.expires_at > ?",
        (_digest(token), to_iso(utcnow())),
    ).fetchone()
    return User(row["id"], row["email"], row["role"]) if row else None


def end_session(store: Store, token: str | None, everywhere_for: User | None = None) -> None:
    """End this session, or every session of ``everywhere_for``."""
    with store.transaction():
        if everywhere_for is not None:
            store.db.execute("DELETE FROM sessions WHERE user_id = ?", (everywhere_for.id,))
        elif token:
            store.db.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _row(store: Store, email: str):
    return store.db.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()


def _address(email: str) -> str:
    try:
        return canonical_email(email)
    except ValueError as error:
        raise UserError(str(error)) from None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role '{role}' is not one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
