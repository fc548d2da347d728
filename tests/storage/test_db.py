"""Opening the history file: creation, migrations, and refusing files it must not touch."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuichat.config.paths import default_db_path
from tuichat.storage import migrations
from tuichat.storage.db import open_database, schema_version
from tuichat.storage.errors import StorageError
from tuichat.storage.store import HistoryStore


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """The file's bytes, mtime and the files beside it: to prove nothing was touched."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def test_default_path_follows_xdg_data_home_and_is_created_on_first_open(
    isolated_dirs: Path,
) -> None:
    path = default_db_path()
    assert path == isolated_dirs / "data" / "tuichat" / "history.sqlite3"
    assert not path.parent.exists()  # computing the path creates nothing
    with HistoryStore(path) as store:
        assert store.list_conversations() == []
    assert schema_version(path) == migrations.current_version()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()


def test_an_empty_file_at_version_0_migrates_to_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.touch()  # a zero-byte file is an empty database at user_version 0
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation(model="m")
        store.add_message(conversation_id, {"role": "user", "content": "hello"})
        assert store.load_messages(conversation_id) == [{"role": "user", "content": "hello"}]
    assert schema_version(path) == migrations.current_version() == len(migrations.MIGRATIONS)


def test_a_database_migrates_through_a_later_step_keeping_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation(model="m")
        store.add_message(conversation_id, {"role": "user", "content": "kept across versions"})
    current = migrations.current_version()
    assert schema_version(path) == current

    ran: list[int] = []

    def next_step(connection: sqlite3.Connection) -> None:
        ran.append(connection.execute("PRAGMA user_version").fetchone()[0])
        connection.execute("ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, next_step])
    with HistoryStore(path) as store:
        assert store.load_messages(conversation_id) == [
            {"role": "user", "content": "kept across versions"}
        ]
        assert store.search("versions")[0].conversation_id == conversation_id
    assert ran == [current]  # only the missing step ran, on the file as it was
    assert schema_version(path) == current + 1
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT pinned FROM conversations").fetchall() == [(0,)]
    connection.close()


def test_a_failing_migration_step_leaves_the_file_at_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    version = schema_version(path)

    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE half_done (x)")
        connection.execute("THIS IS NOT SQL")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    with pytest.raises(StorageError):
        HistoryStore(path)
    assert schema_version(path) == version
    connection = sqlite3.connect(path)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "half_done" not in tables  # the step's transaction was rolled back


def test_a_database_from_a_newer_tuichat_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")  # so the whole state is in one file
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = snapshot(path)
    with pytest.raises(StorageError) as caught:
        HistoryStore(path)
    error = caught.value
    assert error.kind == "newer" and error.path == path
    assert "newer tuichat" in str(error) and "99" in str(error) and "upgrade tuichat" in str(error)
    assert snapshot(path) == before
    assert schema_version(path) == 99


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    before = snapshot(path)
    with pytest.raises(StorageError) as caught:
        HistoryStore(path)
    assert caught.value.kind == "corrupt"
    message = str(caught.value)
    assert str(path) in message and "untouched" in message and "--db" in message
    assert snapshot(path) == before


def test_another_programs_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance REAL)")
    connection.commit()
    connection.close()
    before = snapshot(path)
    with pytest.raises(StorageError) as caught:
        HistoryStore(path)
    assert caught.value.kind == "foreign" and "another program" in str(caught.value)
    assert snapshot(path) == before


def test_a_read_only_file_is_refused_for_writing_but_can_be_read(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation()
        store.add_message(conversation_id, {"role": "user", "content": "read me"})
    path.chmod(0o444)
    before = snapshot(path)
    try:
        with pytest.raises(StorageError) as caught:
            HistoryStore(path)
        assert caught.value.kind == "readonly"
        assert "read-only" in str(caught.value) and "chmod" in str(caught.value)
        with HistoryStore.open_for_reading(path) as store:
            assert store.list_conversations()[0].title == "read me"
        assert snapshot(path)[:2] == before[:2]
    finally:
        path.chmod(0o644)


def test_writing_through_a_read_only_connection_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation()
    with HistoryStore(path, readonly=True) as store:
        with pytest.raises(StorageError) as caught:
            store.rename(conversation_id, "new name")
        assert caught.value.kind == "readonly"


def test_a_database_locked_by_another_writer_is_a_storage_error_then_recovers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, timeout=0.1)
    conversation_id = store.create_conversation()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with pytest.raises(StorageError) as caught:
            store.add_message(conversation_id, {"role": "user", "content": "blocked"})
        assert caught.value.kind == "locked"
        assert "locked by another program" in str(caught.value)
        assert store.load_messages(conversation_id) == []  # reading still works in WAL mode
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Nothing is left half-done: the next write goes through.
    store.add_message(conversation_id, {"role": "user", "content": "after"})
    assert store.load_messages(conversation_id) == [{"role": "user", "content": "after"}]
    store.close()


def test_a_database_locked_exclusively_at_open_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError) as caught:
            HistoryStore(path, timeout=0.1)
        assert caught.value.kind == "locked"
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_directory_or_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        HistoryStore(tmp_path)
    assert caught.value.kind == "io" and "directory" in str(caught.value)
    with pytest.raises(StorageError) as caught:
        HistoryStore(tmp_path / "absent.sqlite3", create=False)
    assert caught.value.kind == "missing"
    assert not (tmp_path / "absent.sqlite3").exists()


def test_open_database_returns_an_autocommit_connection_with_foreign_keys(tmp_path: Path) -> None:
    connection = open_database(tmp_path / "h.sqlite3")
    try:
        assert connection.isolation_level is None
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        connection.close()


def test_version_2_keeps_how_each_saved_tool_call_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version-1 file's tool results get the status that version 1 read from their text."""
    path = tmp_path / "history.sqlite3"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    results = {
        "c1": "42",
        "c2": "Denied by the user: do not retry this call unless asked to.",
        "c3": "Cancelled by the user.",
        "c4": "Not run: tool 'rm' is not allowed (policy 'never').",
        "c5": "Error: tool 'slow' timed out after 2 s",
        "c6": "Error: could not run tool 'x': boom",
    }
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation(model="m")
        for call_id, content in results.items():
            tool = {"role": "tool", "tool_call_id": call_id, "content": content}
            store.add_message(conversation_id, tool)
    assert schema_version(path) == 1
    monkeypatch.undo()
    with HistoryStore(path) as store:
        statuses = {m["tool_call_id"]: m["status"] for m in store.load_messages(conversation_id)}
    assert statuses == {
        "c1": "done",
        "c2": "denied",
        "c3": "cancelled",
        "c4": "not_allowed",
        "c5": "timed_out",
        "c6": "failed",
    }
    assert schema_version(path) == migrations.current_version()


# --- several processes at once -------------------------------------------------------------

OPENERS = 8


def test_threads_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    start = threading.Barrier(OPENERS)
    errors: list[BaseException] = []
    created: list[int] = []

    def open_and_write() -> None:
        start.wait()
        try:
            with HistoryStore(path) as store:
                created.append(store.create_conversation(model="m"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_and_write) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(created) == list(range(1, OPENERS + 1))
    assert schema_version(path) == migrations.current_version()


# Each opener says when its imports are done, then waits for the word to open the file.
_OPENER = """
import sys
from tuichat.storage.store import HistoryStore
print("ready", flush=True)
sys.stdin.readline()
with HistoryStore(sys.argv[1]) as store:
    print(store.create_conversation(model="m"))
"""


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "new" / "history.sqlite3"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(OPENERS)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [process.communicate(timeout=60) for process in processes]
    assert [(p.returncode, err) for p, (_, err) in zip(processes, results, strict=True)] == [
        (0, "")
    ] * OPENERS
    assert sorted(int(out) for out, _ in results) == list(range(1, OPENERS + 1))
    assert schema_version(path) == migrations.current_version()


def test_a_migration_another_process_ran_meanwhile_is_not_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is read again under the write lock: a step runs once, whoever runs it."""
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    current = migrations.current_version()
    ran: list[int] = []

    def next_step(connection: sqlite3.Connection) -> None:
        ran.append(1)
        connection.execute("ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, next_step])
    # Another process holds the write lock, about to run the same step...
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            HistoryStore(path).close()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=open_store)
    thread.start()
    time.sleep(0.3)  # ...while this one has read the old version and waits for the lock
    other.execute("ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")
    other.execute(f"PRAGMA user_version = {current + 1}")
    other.execute("COMMIT")
    other.close()
    thread.join(30)
    assert errors == [] and ran == []
    assert schema_version(path) == current + 1


# --- a history that may not be written -------------------------------------------------------


@pytest.fixture(params=["file", "file-and-directory", "directory"])
def read_only_history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A history with one conversation, made read-only: the file (0444), the directory it is
    in (0555), or both. No -wal file: the last writer closed it."""
    directory = tmp_path / "history"
    directory.mkdir()
    path = directory / "history.sqlite3"
    with HistoryStore(path) as store:
        store.add_message(store.create_conversation(), {"role": "user", "content": "read me"})
    assert os.listdir(directory) == ["history.sqlite3"]
    if request.param != "directory":
        path.chmod(0o444)
    if request.param != "file":
        directory.chmod(0o555)
    try:
        yield path
    finally:
        directory.chmod(0o755)
        path.chmod(0o644)


def test_a_read_only_history_is_read_without_changing_anything(read_only_history: Path) -> None:
    path = read_only_history
    before = snapshot(path)
    with pytest.raises(StorageError) as caught:
        HistoryStore(path)
    assert caught.value.kind == "readonly" and "read-only" in str(caught.value)
    with HistoryStore.open_for_reading(path) as store:
        assert store.readonly
        assert [c.title for c in store.list_conversations()] == ["read me"]
        assert store.search("read")[0].title == "read me"
    assert snapshot(path) == before  # no byte, no mtime, no -wal or -shm file beside it


def test_a_read_only_history_opened_to_write_if_possible_refuses_each_write(
    read_only_history: Path,
) -> None:
    path = read_only_history
    before = snapshot(path)
    with HistoryStore(path, fall_back_to_reading=True) as store:
        assert store.readonly and store.last_conversation_id() == 1
        with pytest.raises(StorageError) as caught:
            store.create_conversation(model="m")
        assert caught.value.kind == "readonly"
        message = str(caught.value)
        assert str(path) in message and "read-only" in message and "saves nothing" in message
        with pytest.raises(StorageError):
            store.add_message(1, {"role": "user", "content": "more"})
        assert store.load_messages(1) == [{"role": "user", "content": "read me"}]
    assert snapshot(path) == before


def test_a_read_only_history_with_changes_still_in_its_wal_is_read_with_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    writer = HistoryStore(path)  # still open: its last commit is in the -wal file only
    writer.create_conversation(title="in the database")
    writer.create_conversation(title="only in the wal")
    path.chmod(0o444)
    try:
        with HistoryStore.open_for_reading(path) as store:
            titles = [c.title for c in store.list_conversations()]
    finally:
        path.chmod(0o644)
        writer.close()
    assert sorted(titles) == ["in the database", "only in the wal"]
