"""The SQLite store: one connection, WAL, migrations, all-or-nothing writes."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from pathlib import Path

from publisher.dates import UK, from_iso, to_iso, utcnow
from publisher.errors import PublisherError
from publisher.migrations import MIGRATIONS, migrate
from publisher.models import (
    Bulletin,
    Change,
    Delivery,
    Item,
    Notice,
    RobotsFile,
    Snapshot,
    SourceState,
    StoredItem,
    Validators,
)
from publisher.refs import Reference
from publisher.subscribers import Subscriber

STATE_COLUMNS = [field.name for field in fields(SourceState) if field.name != "last_notes"]

DATABASE_NAME = "publisher.db"


@dataclass(frozen=True)
class ItemCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_items: tuple[Item, ...] = ()


class StoreError(PublisherError):
    """The data folder or database cannot be used, with what to do about it."""


class Store:
    """The project's database. Open one per process; not shared between threads."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot make the data folder {self.data_dir}: {error.strerror} "
                "(choose another with --data-dir or PUBLISHER_DATA_DIR)"
            ) from None
        self.path = self.data_dir / DATABASE_NAME
        self.created = not self.path.exists()  # a new database: a new baseline
        # Side files left without their database would be read into a new one: set aside.
        self.set_aside = [_set_aside(side) for side in self._side_files() if self.created]
        # A database this user may not write is opened read-only, so reading commands
        # (items, changes, build) work; writing ones fail with one line saying what to fix.
        self.read_only = not self.created and not (
            os.access(self.path, os.W_OK) and os.access(self.data_dir, os.W_OK)
        )
        with self._plain_errors():
            # isolation_level=None: we issue BEGIN/COMMIT ourselves in transaction().
            self.db = sqlite3.connect(
                self._address(), isolation_level=None, timeout=30, uri=self.read_only
            )
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            if self.read_only:
                self.schema_version = self._readable_version()
            else:
                _use_wal(self.db)
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.schema_version = migrate(self.db)

    def _address(self) -> str | Path:
        if not self.read_only:
            return self.path
        # Without a writable folder SQLite cannot make the WAL index: read the file as is.
        immutable = "" if os.access(self.data_dir, os.W_OK) else "&immutable=1"
        return f"{self.path.resolve().as_uri()}?mode=ro{immutable}"

    def _readable_version(self) -> int:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version < len(MIGRATIONS):
            raise StoreError(
                f"{self.path} needs upgrading and cannot be written: make it and its folder "
                "writable by this user, run any command once, then make it read-only again"
            )
        return version

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside is written together or not at all."""
        with self._plain_errors():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:  # SQLite has already rolled back after some errors
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (SQLite's online backup: safe
        while other processes read and write)."""
        with self._plain_errors(), sqlite3.connect(target) as copy:
            self.db.backup(copy)
        copy.close()

    def _side_files(self) -> list[Path]:
        return [
            p
            for p in (self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))
            if p.exists()
        ]

    @contextmanager
    def _plain_errors(self) -> Iterator[None]:
        """SQLite's failures as one line naming the file and what to do."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            raise StoreError(self._advice(str(error))) from None

    def _advice(self, problem: str) -> str:
        files = [self.path, *self._side_files()]
        if "readonly" in problem:
            stuck = [str(f) for f in files if f.exists() and not os.access(f, os.W_OK)]
            if not os.access(self.data_dir, os.W_OK):
                stuck.append(f"{self.data_dir} (the folder)")
            which = ", ".join(stuck) or str(self.path)
            return f"the database cannot be written: make these writable by this user: {which}"
        if "disk is full" in problem or "disk I/O" in problem:
            return f"the disk holding {self.path} is full or failing: free space; nothing was lost"
        if "not a database" in problem or "malformed" in problem:
            return (
                f"{self.path} is damaged ({problem}): restore it from a backup "
                "(see README: Running from cron)"
            )
        if "unable to open" in problem:
            return f"cannot open {self.path}: check the folder exists and is writable"
        return f"{self.path}: {problem}"

    # HTTP validators -------------------------------------------------------------------

    def validators(self) -> dict[str, Validators]:
        rows = self.db.execute("SELECT url, etag, last_modified, content_hash FROM http_cache")
        return {
            row["url"]: Validators(row["etag"], row["last_modified"], row["content_hash"])
            for row in rows
        }

    def save_validators(self, validators: dict[str, Validators]) -> None:
        self.db.executemany(
            "INSERT INTO http_cache (url, etag, last_modified, content_hash, fetched_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
            " last_modified = excluded.last_modified, content_hash = excluded.content_hash,"
            " fetched_at = excluded.fetched_at",
            [
                (url, v.etag, v.last_modified, v.content_hash, to_iso(utcnow()))
                for url, v in validators.items()
            ],
        )

    def robots_files(self) -> dict[str, RobotsFile]:
        rows = self.db.execute("SELECT host, body, fetched_at FROM robots")
        return {
            row["host"]: RobotsFile(row["host"], row["body"], from_iso(row["fetched_at"]))
            for row in rows
        }

    def save_robots_files(self, files: Iterable[RobotsFile]) -> None:
        self.db.executemany(
            "INSERT INTO robots (host, body, fetched_at) VALUES (?, ?, ?) ON CONFLICT (host)"
            " DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at",
            [(robots.host, robots.text, to_iso(robots.fetched_at)) for robots in files],
        )

    # Sources --------------------------------------------------------------------------

    def record_attempt(
        self,
        source_id: str,
        kind: str,
        url: str | None,
        error: str | None,
        resolved_url: str | None = None,
        new_items: int = 0,
        config_hash: str | None = None,
        notes: tuple[str, ...] | None = None,
    ) -> None:
        """Note the outcome of fetching a source (call inside a transaction); ``notes`` are
        what the run noted (None: keep the last, as when the server said not modified)."""
        now = to_iso(utcnow())
        self.db.execute(
            "INSERT INTO source_state (source_id, kind, url) VALUES (?, ?, ?)"
            " ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, url = excluded.url",
            (source_id, kind, url),
        )
        if error is None:
            self.db.execute(
                "UPDATE source_state SET last_attempt = ?, last_success = ?, last_error = NULL,"
                " consecutive_failures = 0, failing_since = NULL,"
                " resolved_url = coalesce(?, resolved_url), config_hash = ?,"
                " last_notes = coalesce(?, last_notes),"
                " last_new_item = CASE WHEN ? > 0 THEN ? ELSE last_new_item END"
                " WHERE source_id = ?",
                (
                    now,
                    now,
                    resolved_url,
                    config_hash,
                    None if notes is None else json.dumps(list(notes)),
                    new_items,
                    now,
                    source_id,
                ),
            )
        else:
            self.db.execute(
                "UPDATE source_state SET last_attempt = ?, last_error = ?,"
                " consecutive_failures = consecutive_failures + 1,"
                " failing_since = coalesce(failing_since, ?) WHERE source_id = ?",
                (now, error, now, source_id),
            )

    def item_keys(self, source_id: str) -> frozenset[str]:
        rows = self.db.execute("SELECT key FROM items WHERE source_id = ?", (source_id,))
        return frozenset(row["key"] for row in rows)

    def mark_quiet_flagged(self, source_id: str, flagged: bool) -> None:
        self.db.execute(
            "UPDATE source_state SET quiet_flagged_at = ? WHERE source_id = ?",
            (to_iso(utcnow()) if flagged else None, source_id),
        )

    def source_states(self) -> dict[str, SourceState]:
        states = {}
        for row in self.db.execute("SELECT * FROM source_state"):
            values = {name: row[name] for name in STATE_COLUMNS}
            notes = tuple(json.loads(row["last_notes"] or "[]"))
            states[row["source_id"]] = SourceState(**values, last_notes=notes)
        return states

    # Items ----------------------------------------------------------------------------

    def save_items(self, source_id: str, items: Iterable[Item]) -> ItemCounts:
        """Insert new items, update changed ones (call inside a transaction).

        An item repeated within one batch (a feed listing a GUID twice) counts once.
        """
        batch = list({item.key: item for item in items}.values())
        known = {
            row["key"]: (row["id"], row["content_hash"])
            for row in self.db.execute(
                "SELECT key, id, content_hash FROM items"
                " WHERE source_id = ? AND key IN (SELECT value FROM json_each(?))",
                (source_id, json.dumps([item.key for item in batch])),
            )
        }
        now = to_iso(utcnow())
        new_items, inserts, updates, touches = [], [], [], []
        for item in batch:
            values = (
                item.url,
                item.title,
                item.summary,
                to_iso(item.published),
                to_iso(item.updated),
                item.document_type,
                item.organisation,
                json.dumps(list(item.tags)),
                item.content_hash,
            )
            if item.key not in known:
                new_items.append(item)
                inserts.append((*values, source_id, item.key, now, now))
            elif known[item.key][1] != item.content_hash:
                updates.append((*values, now, known[item.key][0]))
            else:
                touches.append((now, known[item.key][0]))
        self.db.executemany(
            "INSERT INTO items (url, title, summary, published, updated, document_type,"
            " organisation, tags, content_hash, source_id, key, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        self.db.executemany(
            "UPDATE items SET url = ?, title = ?, summary = ?, published = ?, updated = ?,"
            " document_type = ?, organisation = ?, tags = ?, content_hash = ?, last_seen = ?"
            " WHERE id = ?",
            updates,
        )
        self.db.executemany("UPDATE items SET last_seen = ? WHERE id = ?", touches)
        return ItemCounts(len(new_items), len(updates), len(touches), tuple(new_items))

    def items(
        self, source_id: str | None = None, since: datetime | None = None, limit: int | None = None
    ) -> list[StoredItem]:
        """Items newest first (by published date, else first seen)."""
        where, params = _where(
            ("source_id = ?", source_id),
            ("coalesce(published, first_seen) >= ?", to_iso(since)),
        )
        newest_first = "ORDER BY coalesce(updated, published, first_seen) DESC, id DESC"
        sql = f"SELECT * FROM items {where} {newest_first}"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [_stored_item(row) for row in self.db.execute(sql, params)]

    # Versions of watched documents and the changes between them ------------------------

    def latest_snapshot(self, source_id: str, key: str) -> Snapshot | None:
        row = self.db.execute(
            "SELECT state FROM versions WHERE source_id = ? AND key = ? ORDER BY id DESC LIMIT 1",
            (source_id, key),
        ).fetchone()
        return Snapshot.from_json(row["state"]) if row else None

    def save_snapshot(self, source_id: str, snapshot: Snapshot) -> bool:
        """Store the snapshot as a new version if it differs from the latest one."""
        state_hash = snapshot.state_hash
        row = self.db.execute(
            "SELECT state_hash FROM versions WHERE source_id = ? AND key = ?"
            " ORDER BY id DESC LIMIT 1",
            (source_id, snapshot.key),
        ).fetchone()
        if row and row["state_hash"] == state_hash:
            return False
        self.db.execute(
            "INSERT INTO versions (source_id, key, state, state_hash, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (source_id, snapshot.key, snapshot.to_json(), state_hash, to_iso(utcnow())),
        )
        return True

    def save_changes(self, changes: Iterable[Change]) -> list[Change]:
        """Record changes not seen before (by fingerprint); returns those recorded."""
        recorded = []
        now = utcnow()
        for change in changes:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO changes (source_id, key, url, title, kind, statutory, note,"
                " refs, details, changed_at, detected_at, fingerprint, comparison)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    change.source_id,
                    change.key,
                    change.url,
                    change.title,
                    change.kind,
                    int(change.statutory),
                    change.note,
                    json.dumps([ref.to_dict() for ref in change.refs]),
                    change.details,
                    to_iso(change.changed_at),
                    to_iso(now),
                    change.fingerprint,
                    json.dumps(change.comparison) if change.comparison else None,
                ),
            )
            if cursor.rowcount:
                recorded.append(replace(change, id=cursor.lastrowid, detected_at=now))
        return recorded

    def changes(
        self,
        source_id: str | None = None,
        since: datetime | None = None,
        statutory: bool = False,
        kinds: Iterable[str] | None = None,
    ) -> list[Change]:
        """Detected changes, oldest first."""
        where, params = _where(
            ("source_id = ?", source_id),
            ("detected_at >= ?", to_iso(since)),
            ("statutory = ?", 1 if statutory else None),
            (
                "kind IN (SELECT value FROM json_each(?))",
                json.dumps(list(kinds)) if kinds else None,
            ),
        )
        rows = self.db.execute(f"SELECT * FROM changes {where} ORDER BY id", params)
        return [_change(row) for row in rows]

    def change(self, change_id: int) -> Change | None:
        row = self.db.execute("SELECT * FROM changes WHERE id = ?", (change_id,)).fetchone()
        return _change(row) if row else None

    def alert_batches(self) -> dict[str, list[Change]]:
        """Changes to alert, by batch: first, changes no batch holds yet become one new batch
        (an atomic claim: two processes never put one change in two batches); then every
        batch not yet alerted, with its changes (call inside a transaction)."""
        unbatched = [
            row["id"]
            for row in self.db.execute(
                "SELECT id FROM changes WHERE alerted_at IS NULL AND kind != 'minor'"
                " AND alert_message_id IS NULL ORDER BY id"
            )
        ]
        if unbatched:
            self.db.execute(
                "UPDATE changes SET alert_message_id = ? WHERE alert_message_id IS NULL"
                " AND id IN (SELECT value FROM json_each(?))",
                (f"changes-{unbatched[0]}-{unbatched[-1]}", json.dumps(unbatched)),
            )
        batches: dict[str, list[Change]] = {}
        for row in self.db.execute(
            "SELECT * FROM changes WHERE alerted_at IS NULL AND kind != 'minor'"
            " AND alert_message_id IS NOT NULL ORDER BY id"
        ):
            batches.setdefault(row["alert_message_id"], []).append(_change(row))
        return batches

    def mark_alerted(self, batch: str) -> None:
        self.db.execute(
            "UPDATE changes SET alerted_at = ? WHERE alert_message_id = ? AND alerted_at IS NULL",
            (to_iso(utcnow()), batch),
        )

    # MI sheets -------------------------------------------------------------------------

    def add_notice(self, notice: Notice) -> Notice:
        now = to_iso(utcnow())
        cursor = self.db.execute(
            "INSERT INTO notices (type, title, body, audiences, contact, due, status, replaces,"
            " change_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                notice.type,
                notice.title,
                notice.body,
                json.dumps(list(notice.audiences)),
                notice.contact,
                notice.due,
                notice.status,
                notice.replaces,
                notice.change_id,
                now,
                now,
            ),
        )
        return replace(notice, id=cursor.lastrowid)

    def save_notice(self, notice: Notice) -> None:
        self.db.execute(
            "UPDATE notices SET type = ?, title = ?, body = ?, audiences = ?, contact = ?,"
            " due = ?, status = ?, number = ?, published_at = ?, deadline = ?, replaces = ?,"
            " updated_at = ? WHERE id = ?",
            (
                notice.type,
                notice.title,
                notice.body,
                json.dumps(list(notice.audiences)),
                notice.contact,
                notice.due,
                notice.status,
                notice.number,
                to_iso(notice.published),
                notice.deadline.isoformat() if notice.deadline else None,
                notice.replaces,
                to_iso(utcnow()),
                notice.id,
            ),
        )

    def delete_notice(self, notice_id: int) -> None:
        self.db.execute("DELETE FROM notices WHERE id = ? AND status != 'published'", (notice_id,))

    def next_notice_number(self, year: int) -> int:
        """The next sequence number for a year; the counter never goes back."""
        self.db.execute(
            "INSERT INTO notice_numbers (year, last) VALUES (?, 1)"
            " ON CONFLICT (year) DO UPDATE SET last = last + 1",
            (year,),
        )
        return self.db.execute(
            "SELECT last FROM notice_numbers WHERE year = ?", (year,)
        ).fetchone()[0]

    def notice(self, reference: str) -> Notice | None:
        """A sheet by number ('1/24') or id ('3')."""
        column = "id" if reference.isdigit() else "number"
        row = self.db.execute(f"SELECT * FROM notices WHERE {column} = ?", (reference,)).fetchone()
        return _notice(row) if row else None

    def notices_for_change(self, change_id: int) -> list[Notice]:
        rows = self.db.execute("SELECT * FROM notices WHERE change_id = ?", (change_id,))
        return [_notice(row) for row in rows]

    def notices(
        self,
        status: str | None = None,
        published_from: datetime | None = None,
        published_before: datetime | None = None,
    ) -> list[Notice]:
        """Sheets, published ones first in publication order, then the rest by id."""
        where, params = _where(
            ("status = ?", status),
            ("published_at >= ?", to_iso(published_from)),
            ("published_at < ?", to_iso(published_before)),
        )
        rows = self.db.execute(
            f"SELECT * FROM notices {where} ORDER BY published_at IS NULL, published_at, id",
            params,
        )
        return [_notice(row) for row in rows]

    # Bulletins -------------------------------------------------------------------------

    def save_bulletin(self, bulletin: Bulletin) -> None:
        self.db.execute(
            "INSERT INTO bulletins (month, content, built_at) VALUES (?, ?, ?)"
            " ON CONFLICT (month) DO UPDATE SET content = excluded.content,"
            " built_at = excluded.built_at",
            (bulletin.month, bulletin.to_json(), to_iso(utcnow())),
        )

    def bulletin(self, month: str) -> Bulletin | None:
        row = self.db.execute("SELECT content FROM bulletins WHERE month = ?", (month,)).fetchone()
        return Bulletin.from_json(row["content"]) if row else None

    def delete_bulletin(self, month: str) -> bool:
        return self.db.execute("DELETE FROM bulletins WHERE month = ?", (month,)).rowcount > 0

    def bulletins(self) -> list[Bulletin]:
        """Newest month first."""
        rows = self.db.execute("SELECT content FROM bulletins ORDER BY month DESC")
        return [Bulletin.from_json(row["content"]) for row in rows]

    # Subscribers and the send log --------------------------------------------------------

    def save_subscribers(self, subscribers: Iterable[Subscriber]) -> None:
        self.db.executemany(
            "INSERT INTO subscribers"
            " (email, name, school, audiences, frequency, self_service, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET"
            " name = excluded.name, school = excluded.school, audiences = excluded.audiences,"
            " frequency = excluded.frequency, self_service = excluded.self_service",
            [
                (
                    s.email,
                    s.name,
                    s.school,
                    json.dumps(list(s.audiences)),
                    s.frequency,
                    s.self_service,
                    to_iso(utcnow()),
                )
                for s in subscribers
            ],
        )

    def subscribers(
        self, audiences: Iterable[str] | None = None, frequency: str | None = None
    ) -> list[Subscriber]:
        """Subscribers (in any of ``audiences``, at ``frequency``, if given), less the
        unsubscribed."""
        rows = self.db.execute(
            "SELECT * FROM subscribers WHERE email NOT IN (SELECT email FROM unsubscribed)"
            " AND (? IS NULL OR frequency = ?) ORDER BY email",
            (frequency, frequency),
        )
        found = [_subscriber(row) for row in rows]
        if audiences is None:
            return found
        wanted = set(audiences)
        return [s for s in found if wanted & set(s.audiences)]

    def subscriber(self, email: str) -> Subscriber | None:
        """A subscriber by canonical address (whether or not they unsubscribed)."""
        row = self.db.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
        return _subscriber(row) if row else None

    def remove_subscriber(self, email: str) -> bool:
        return self.db.execute("DELETE FROM subscribers WHERE email = ?", (email,)).rowcount > 0

    def unsubscribe(self, email: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO unsubscribed (email, at) VALUES (?, ?)",
            (email, to_iso(utcnow())),
        )

    def unsubscribed(self) -> set[str]:
        return {row["email"] for row in self.db.execute("SELECT email FROM unsubscribed")}

    def plan_deliveries(
        self, message_key: str, channel: str, recipients: Iterable[tuple[str, str]]
    ) -> None:
        """Record (recipient, Message-ID) pairs to send; pairs already planned are kept."""
        self.db.executemany(
            "INSERT OR IGNORE INTO deliveries (message_key, recipient, channel, message_id,"
            " updated_at) VALUES (?, ?, ?, ?, ?)",
            [
                (message_key, email, channel, message_id, to_iso(utcnow()))
                for email, message_id in recipients
            ],
        )

    def retry_failed(self, message_key: str, channel: str) -> None:
        """Make failed deliveries of a message pending again (alerts are retried each run)."""
        self.db.execute(
            "UPDATE deliveries SET status = 'pending' WHERE message_key = ? AND channel = ?"
            " AND status = 'failed'",
            (message_key, channel),
        )

    def deliveries(
        self,
        message_key: str,
        statuses: Iterable[str] | None = None,
        channel: str | None = None,
    ) -> list[Delivery]:
        where, params = _where(
            ("message_key = ?", message_key),
            (
                "status IN (SELECT value FROM json_each(?))",
                json.dumps(list(statuses)) if statuses else None,
            ),
            ("channel = ?", channel),
        )
        rows = self.db.execute(f"SELECT * FROM deliveries {where} ORDER BY id", params)
        return [_delivery(row) for row in rows]

    def claim_delivery(self, delivery: Delivery, claimant: str) -> bool:
        """Take a delivery to send it: one atomic test-and-set that only one process can
        win. A pending row can be taken; a row left ``sending`` only from the claimant
        recorded in ``delivery`` (one whose process is gone)."""
        if delivery.status == "pending":
            condition, params = "status = 'pending'", ()
        else:
            condition, params = "status = 'sending' AND claimed_by IS ?", (delivery.claimed_by,)
        cursor = self.db.execute(
            "UPDATE deliveries SET status = 'sending', claimed_by = ?, attempts = attempts + 1,"
            f" updated_at = ? WHERE id = ? AND {condition}",
            (claimant, to_iso(utcnow()), delivery.id, *params),
        )
        return cursor.rowcount == 1

    def mark_delivery(
        self,
        delivery_id: int,
        status: str,
        error: str | None = None,
        receipt: str | None = None,
    ) -> None:
        self.db.execute(
            "UPDATE deliveries SET status = ?, error = ?, receipt = coalesce(?, receipt),"
            " updated_at = ? WHERE id = ?",
            (status, error, receipt, to_iso(utcnow()), delivery_id),
        )


def _set_aside(side: Path) -> Path:
    """Rename a side file left without its database, so SQLite does not read it in."""
    target = side.with_name(f"{side.name}.set-aside-{utcnow():%Y%m%d%H%M%S}")
    side.rename(target)
    return target


def _use_wal(db: sqlite3.Connection, patience: float = 30.0) -> None:
    """Switch a database to WAL (once; it stays so). Switching needs a moment alone with
    the file, and SQLite answers "locked" at once rather than waiting when other processes
    open it at the same instant, so wait and try again."""
    deadline = time.monotonic() + patience
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _where(*conditions: tuple[str, object]) -> tuple[str, list]:
    """'WHERE a AND b' and its parameters, from (clause, value) pairs; None values are left out."""
    chosen = [(clause, value) for clause, value in conditions if value is not None]
    where = f"WHERE {' AND '.join(clause for clause, _ in chosen)}" if chosen else ""
    return where, [value for _, value in chosen]


def _stored_item(row: sqlite3.Row) -> StoredItem:
    return StoredItem(
        id=row["id"],
        source_id=row["source_id"],
        key=row["key"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published=from_iso(row["published"]),
        updated=from_iso(row["updated"]),
        document_type=row["document_type"],
        organisation=row["organisation"],
        tags=tuple(json.loads(row["tags"])),
        first_seen=from_iso(row["first_seen"]),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(**{name: row[name] for name in Delivery.__dataclass_fields__})


def _change(row: sqlite3.Row) -> Change:
    return Change(
        id=row["id"],
        source_id=row["source_id"],
        key=row["key"],
        url=row["url"],
        title=row["title"],
        kind=row["kind"],
        statutory=bool(row["statutory"]),
        note=row["note"],
        refs=tuple(Reference.from_dict(ref) for ref in json.loads(row["refs"])),
        details=row["details"],
        changed_at=from_iso(row["changed_at"]),
        detected_at=from_iso(row["detected_at"]),
        comparison=json.loads(row["comparison"]) if row["comparison"] else None,
    )


def _notice(row: sqlite3.Row) -> Notice:
    return Notice(
        id=row["id"],
        number=row["number"],
        type=row["type"],
        title=row["title"],
        body=row["body"],
        audiences=tuple(json.loads(row["audiences"])),
        contact=row["contact"],
        due=row["due"],
        status=row["status"],
        published=from_iso(row["published_at"]).astimezone(UK) if row["published_at"] else None,
        deadline=date.fromisoformat(row["deadline"]) if row["deadline"] else None,
        replaces=row["replaces"],
        change_id=row["change_id"],
    )


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        row["email"],
        row["name"],
        row["school"],
        tuple(json.loads(row["audiences"])),
        row["frequency"],
        bool(row["self_service"]),
    )
