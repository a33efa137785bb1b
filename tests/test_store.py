import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from publisher.migrations import MIGRATIONS
from publisher.models import Item
from publisher.store import DATABASE_NAME, Store, StoreError


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


def _open_store(data_dir: str, start_at: float) -> str:
    """In a new process: wait for the common start, open the store, report what happened."""
    import time

    from publisher.store import Store

    time.sleep(max(0.0, start_at - time.time()))
    try:
        store = Store(data_dir)
        version = store.schema_version
        store.close()
        return f"ok {version}"
    except Exception as error:  # noqa: BLE001 - reported to the test
        return f"error {error!r}"


def _old_database(path: Path, version: int) -> None:
    """A database left by an older release: the first ``version`` migrations applied."""
    path.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path / DATABASE_NAME)
    for number, sql in enumerate(MIGRATIONS[:version], start=1):
        db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    db.close()


@pytest.mark.parametrize("start_version", [0, 6])
def test_processes_opening_one_database_at_once_migrate_it_once(tmp_path, start_version):
    """Cron jobs overlapping an upgrade: 6 processes open an empty (or an older) database
    at the same instant, 8 times over; every open succeeds and the schema is whole."""
    context = multiprocessing.get_context("spawn")
    outcomes = []
    with context.Pool(6) as pool:
        for trial in range(8):
            folder = tmp_path / f"trial-{trial}"
            if start_version:
                _old_database(folder, start_version)
            start_at = time.time() + 0.5
            outcomes += pool.starmap(_open_store, [(str(folder), start_at)] * 6)
            with sqlite3.connect(folder / DATABASE_NAME) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert outcomes == [f"ok {len(MIGRATIONS)}"] * 48


def test_five_commands_at_once_on_a_new_data_directory(project):
    project.configure([{"id": "news", "kind": "feed", "url": "http://127.0.0.1:9/"}])
    for _ in range(3):
        shutil.rmtree(project.data_dir, ignore_errors=True)
        commands = [("items",), ("changes",), ("mi", "list"), ("subscribers", "list"), ("sources",)]
        processes = [
            subprocess.Popen(project.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for args in commands
        ]
        errors = [process.communicate(timeout=60)[1].decode() for process in processes]
        assert [process.returncode for process in processes] == [0] * 5, errors


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_every_older_schema_upgrades_to_the_latest(tmp_path, version):
    _old_database(tmp_path, version)
    store = Store(tmp_path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    store.close()


def test_an_upgrade_keeps_the_data(tmp_path):
    """A version-6 database (before canonical addresses and the per-deliverer send log)
    with subscribers and a send log upgrades with nothing lost."""
    _old_database(tmp_path, 6)
    with sqlite3.connect(tmp_path / DATABASE_NAME) as db:
        db.execute(
            "INSERT INTO subscribers (email, name, school, audiences, added_at)"
            " VALUES ('jo@oak.example', 'Jo', 'Oak', '[\"dsls\"]', '2024-01-01T00:00:00Z')"
        )
        db.execute(
            "INSERT INTO deliveries (message_key, recipient, channel, message_id, status,"
            " updated_at) VALUES ('mi/1/24', 'jo@oak.example', 'smtp', '<m@x>', 'sent', 'now')"
        )
    store = Store(tmp_path)
    [jo] = store.subscribers()
    assert (jo.email, jo.audiences, jo.frequency) == ("jo@oak.example", ("dsls",), "immediately")
    [row] = store.deliveries("mi/1/24")
    assert (row.status, row.channel, row.message_id) == ("sent", "smtp", "<m@x>")


def test_a_full_disk_is_one_line_and_loses_nothing(tmp_path):
    store = Store(tmp_path)
    with store.transaction():
        store.save_items("news", [Item(key="a", url="https://x.example/a", title="A")])
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # as if the disk were full
    big = [Item(key=str(n), url=f"https://x.example/{n}", title="x" * 2000) for n in range(200)]
    full = pytest.raises(StoreError, match="is full or failing: free space; nothing was lost")
    with full, store.transaction():
        store.save_items("news", big)
    assert [item.key for item in store.items()] == ["a"]


def test_a_damaged_database_is_one_line(tmp_path):
    (tmp_path / DATABASE_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="is damaged .*restore it from a backup"):
        Store(tmp_path)


@pytest.fixture
def ordinary_user():
    """A project folder and a way to run publisher in it as an ordinary user (root ignores
    file modes): as `nobody` through setpriv when the tests run as root."""
    as_user: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv to drop privileges")
        as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    folder = Path(tempfile.mkdtemp(prefix="publisher-readonly-"))
    (folder / "feeds.yaml").write_text(
        "organisation: {name: Test, contact: Team}\naudiences: {dsls: DSLs}\n"
        'sources:\n  - {id: news, kind: feed, url: "http://127.0.0.1:9/"}\n'
    )
    (folder / "s.csv").write_text("email,name,school,audiences\njo@oak.example,Jo,Oak,dsls\n")
    (folder / "more.csv").write_text("email,name,school,audiences\nkim@ash.example,Kim,Ash,dsls\n")
    if as_user:
        subprocess.run(["chown", "-R", "65534:65534", str(folder)], check=True)
        folder.chmod(0o755)

    def publisher(*args):
        return subprocess.run(
            [*as_user, sys.executable, "-m", "publisher", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert publisher("subscribers", "import", "s.csv").returncode == 0
    yield folder, publisher
    shutil.rmtree(folder, ignore_errors=True)


def test_read_only_side_files_are_named_as_what_to_fix(ordinary_user):
    """After `chmod 444 publisher.db`, SQLite leaves -shm read-only; with the database
    writable again, writes still fail: the one line names the file to fix."""
    folder, publisher = ordinary_user
    database = folder / "publisher-data" / "publisher.db"
    database.chmod(0o444)
    publisher("subscribers", "list")  # reads; SQLite makes -shm read-only
    shm = database.with_name("publisher.db-shm")
    assert shm.exists() and not shm.stat().st_mode & 0o200
    database.chmod(0o644)
    result = publisher("subscribers", "import", "more.csv")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: the database cannot be written: make these writable by this user: {shm}"
    ]


@pytest.mark.parametrize("folder_too", [False, True])
def test_a_read_only_database_is_read_and_writes_say_what_to_fix(ordinary_user, folder_too):
    folder, publisher = ordinary_user
    data = folder / "publisher-data"
    (data / "publisher.db").chmod(0o444)
    if folder_too:
        data.chmod(0o555)
    try:
        assert "jo@oak.example" in publisher("subscribers", "list").stdout
        assert publisher("items").returncode == 0
        built = publisher("build", "--output", "site")
        assert built.returncode == 0, built.stderr
        assert (folder / "site" / "index.html").exists()
        refused = publisher("subscribers", "import", "more.csv")
        assert refused.returncode == 1
        assert "Error: the database cannot be written: make these writable" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        data.chmod(0o755)


def test_a_read_only_output_folder_is_one_line(ordinary_user):
    folder, publisher = ordinary_user
    (folder / "out").mkdir()
    (folder / "out").chmod(0o555)
    if os.geteuid() == 0:
        subprocess.run(["chown", "65534:65534", str(folder / "out")], check=True)
    result = publisher("build", "--output", "out")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Permission denied: make out writable by this user, or build elsewhere" in result.stderr
