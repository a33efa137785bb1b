import sqlite3

import pytest

from publisher.migrations import MIGRATIONS
from publisher.models import Item
from publisher.store import Store


def test_schema_is_migrated_and_versioned(tmp_path):
    store = Store(tmp_path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    assert Store(tmp_path).schema_version == len(MIGRATIONS)  # reopening applies nothing twice


def test_a_failed_transaction_writes_nothing(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(RuntimeError), store.transaction():
        store.save_items("news", [Item(key="a", url="https://x.example/a", title="A")])
        raise RuntimeError("crash between writes")
    assert store.items() == []


def test_items_are_unique_per_source_and_key(tmp_path):
    store = Store(tmp_path)
    item = Item(key="a", url="https://x.example/a", title="A")
    with store.transaction():
        assert store.save_items("news", [item]).new == 1
        assert store.save_items("news", [item]).unchanged == 1
        assert store.save_items("other", [item]).new == 1
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO items (source_id, key, url, title, content_hash, first_seen, last_seen)"
            " VALUES ('news', 'a', '', '', '', '', '')"
        )
