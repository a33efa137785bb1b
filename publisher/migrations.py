"""Numbered schema migrations, applied in order; the version lives in PRAGMA user_version.

Append new migrations to ``MIGRATIONS``; never edit one that has shipped.
"""

import sqlite3

MIGRATIONS: list[str] = [
    # 1: sources, HTTP validators, items
    """
    CREATE TABLE source_state (
        source_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        url TEXT,
        resolved_url TEXT,
        last_attempt TEXT,
        last_success TEXT,
        last_new_item TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE http_cache (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        content_hash TEXT,
        fetched_at TEXT NOT NULL
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        key TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        published TEXT,
        updated TEXT,
        document_type TEXT,
        organisation TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        UNIQUE (source_id, key)
    );
    CREATE INDEX items_by_date ON items (coalesce(published, first_seen));
    """,
    # 2: versions of watched documents, detected changes and their alert state
    """
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        state_hash TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    CREATE INDEX versions_by_document ON versions (source_id, key, id);
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        key TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('new', 'major', 'minor', 'attachment', 'withdrawn')),
        statutory INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        refs TEXT NOT NULL DEFAULT '[]',
        details TEXT NOT NULL DEFAULT '',
        changed_at TEXT,
        detected_at TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        alert_message_id TEXT,
        alerted_at TEXT
    );
    CREATE INDEX changes_by_date ON changes (detected_at);
    """,
    # 3: when a failing source started failing
    """
    ALTER TABLE source_state ADD COLUMN failing_since TEXT;
    """,
    # 4: MI sheets (numbered at publication, never reused) and monthly bulletins
    """
    CREATE TABLE notices (
        id INTEGER PRIMARY KEY,
        number TEXT UNIQUE,
        type TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL DEFAULT '',
        audiences TEXT NOT NULL DEFAULT '[]',
        contact TEXT NOT NULL,
        due TEXT,
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'approved', 'published')),
        published_at TEXT,
        deadline TEXT,
        replaces TEXT,
        change_id INTEGER REFERENCES changes (id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE notice_numbers (
        year INTEGER PRIMARY KEY,
        last INTEGER NOT NULL
    );
    CREATE TABLE bulletins (
        month TEXT PRIMARY KEY,
        content TEXT NOT NULL,
        built_at TEXT NOT NULL
    );
    """,
    # 5: robots.txt per host; when a quiet source was last flagged; each source's config hash
    """
    CREATE TABLE robots (
        host TEXT PRIMARY KEY,
        body TEXT,
        fetched_at TEXT NOT NULL
    );
    ALTER TABLE source_state ADD COLUMN quiet_flagged_at TEXT;
    ALTER TABLE source_state ADD COLUMN config_hash TEXT;
    """,
    # 6: subscribers, the unsubscribe list, and the send log (one row per message and recipient)
    """
    CREATE TABLE subscribers (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        school TEXT NOT NULL DEFAULT '',
        audiences TEXT NOT NULL DEFAULT '[]',
        added_at TEXT NOT NULL
    );
    CREATE TABLE unsubscribed (
        email TEXT PRIMARY KEY,
        at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        message_key TEXT NOT NULL,
        recipient TEXT NOT NULL,
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        receipt TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (message_key, recipient)
    );
    """,
    # 7: one subscriber per mailbox: addresses compared case-insensitively (subscribers.
    # canonical_email). Case variants merge, keeping every audience and every unsubscribe.
    """
    CREATE TABLE subscribers_merged (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        school TEXT NOT NULL DEFAULT '',
        audiences TEXT NOT NULL DEFAULT '[]',
        added_at TEXT NOT NULL
    );
    INSERT INTO subscribers_merged (email, name, school, audiences, added_at)
    SELECT lower(email), max(name), max(school),
        (SELECT json_group_array(DISTINCT audience.value)
         FROM subscribers AS variant, json_each(variant.audiences) AS audience
         WHERE lower(variant.email) = lower(subscribers.email)),
        min(added_at)
    FROM subscribers GROUP BY lower(email);
    DROP TABLE subscribers;
    ALTER TABLE subscribers_merged RENAME TO subscribers;
    CREATE TABLE unsubscribed_merged (email TEXT PRIMARY KEY, at TEXT NOT NULL);
    INSERT INTO unsubscribed_merged SELECT lower(email), min(at) FROM unsubscribed
        GROUP BY lower(email);
    DROP TABLE unsubscribed;
    ALTER TABLE unsubscribed_merged RENAME TO unsubscribed;
    UPDATE OR IGNORE deliveries SET recipient = lower(recipient);
    """,
    # 8: the web app: team accounts and their sessions, the audit log, subscription requests
    # awaiting confirmation, each subscriber's frequency, who drafted and approved a sheet,
    # handled changes, and schools' confirmations that an ACTION sheet is done
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('editor', 'approver', 'admin')),
        password_hash TEXT NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE subscription_requests (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        school TEXT NOT NULL DEFAULT '',
        audiences TEXT NOT NULL DEFAULT '[]',
        frequency TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        window_started_at TEXT NOT NULL,
        confirmations INTEGER NOT NULL DEFAULT 0
    );
    ALTER TABLE subscribers ADD COLUMN frequency TEXT NOT NULL DEFAULT 'immediately';
    ALTER TABLE notices ADD COLUMN drafted_by TEXT;
    ALTER TABLE notices ADD COLUMN approved_by TEXT;
    ALTER TABLE changes ADD COLUMN handled_at TEXT;
    ALTER TABLE changes ADD COLUMN handled_by TEXT;
    CREATE TABLE action_confirmations (
        notice_number TEXT NOT NULL,
        email TEXT NOT NULL,
        school TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        confirmed_at TEXT NOT NULL,
        PRIMARY KEY (notice_number, email)
    );
    """,
    # 9: the send log records who holds a message in flight (claimed_by: host and process),
    # so concurrent senders never send one twice, and a message sent through one deliverer
    # (a trial run to the outbox) can still be sent through another; sends scheduled for later.
    """
    CREATE TABLE deliveries_by_channel (
        id INTEGER PRIMARY KEY,
        message_key TEXT NOT NULL,
        recipient TEXT NOT NULL,
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        receipt TEXT,
        claimed_by TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (message_key, recipient, channel)
    );
    INSERT INTO deliveries_by_channel (id, message_key, recipient, channel, message_id, status,
        attempts, error, receipt, updated_at)
    SELECT id, message_key, recipient, channel, message_id, status, attempts, error, receipt,
        updated_at FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_by_channel RENAME TO deliveries;
    CREATE TABLE scheduled_sends (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('mi', 'bulletin')),
        reference TEXT NOT NULL,
        audiences TEXT NOT NULL DEFAULT '[]',
        send_at TEXT NOT NULL,
        started_at TEXT
    );
    """,
    # 10: a replaced attachment's comparison, stored with the change it explains
    """
    ALTER TABLE changes ADD COLUMN comparison TEXT;
    """,
    # 11: what a source's last successful run noted (a truncated feed, undated items)
    """
    ALTER TABLE source_state ADD COLUMN last_notes TEXT NOT NULL DEFAULT '[]';
    """,
    # 12: subscribers who typed their school themselves (on /subscribe, or changed it on
    # their preferences page): nobody at the council vouched for it, so their confirmation
    # of an ACTION sheet is their own, never their school's (publisher.actions)
    """
    ALTER TABLE subscribers ADD COLUMN self_service INTEGER NOT NULL DEFAULT 0;
    """,
]


def migrate(db: sqlite3.Connection) -> int:
    """Apply pending migrations, each all-or-nothing; return the schema version.

    Safe when several processes open the same database at once (cron jobs overlapping an
    upgrade): each migration takes the write lock first (BEGIN IMMEDIATE) and re-reads the
    version inside it, so exactly one process applies it and the others see it applied.
    """
    while (version := _version(db)) < len(MIGRATIONS):
        db.execute("BEGIN IMMEDIATE")  # waits (busy_timeout) while another process migrates
        try:
            version = _version(db)  # what it is now that we hold the lock
            if version < len(MIGRATIONS):
                for statement in _statements(MIGRATIONS[version]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def _statements(script: str) -> list[str]:
    """A migration's statements, one by one (executescript would commit mid-way)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
