"""Opening the history database, and turning every SQLite failure into a `StorageError`.

The file is the user's: opening it never deletes, truncates or rewrites it to recover from
a problem. A file that is not a database, belongs to another program, or comes from a newer
tuichat is refused before anything is written to it (even the switch to WAL mode changes
the header), with a message that says what is wrong and how to fix it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tuichat.storage.migrations as migrations
from tuichat.storage.errors import StorageError
from tuichat.storage.schema import APPLICATION_ID

DEFAULT_TIMEOUT = 5.0  # seconds to wait for another writer (SQLite's busy timeout)
_FIX_DB = "or pass --db PATH to use another file"


def translate(error: sqlite3.Error, path: Path) -> StorageError:
    """Turn an sqlite3 exception into a `StorageError` with a helpful message.

    Args:
        error: what sqlite3 raised.
        path: the database file it was about.

    Returns:
        The error to raise (from `error`).
    """
    name = getattr(error, "sqlite_errorname", "") or ""
    detail = str(error)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in detail:
        return StorageError(
            f"The history database {path} is locked by another program (another tuichat?). "
            f"Close it and try again, {_FIX_DB}.",
            kind="locked",
            path=path,
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in detail:
        return StorageError(
            f"The history database {path} is read-only ({detail}). Make the file and its "
            f"directory writable, {_FIX_DB}.",
            kind="readonly",
            path=path,
        )
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return StorageError(
            f"{path} is not a usable tuichat history database ({detail}). tuichat left it "
            f"untouched: move it aside to start a new history (or repair it with sqlite3's "
            f".recover), {_FIX_DB}.",
            kind="corrupt",
            path=path,
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return StorageError(
            f"Cannot open the history database {path} ({detail}). Check that its directory "
            f"exists and is writable, {_FIX_DB}.",
            kind="io",
            path=path,
        )
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return StorageError(
            f"Cannot write the history database {path} ({detail}). Check free disk space "
            f"and the disk itself, {_FIX_DB}.",
            kind="io",
            path=path,
        )
    return StorageError(f"History database error in {path}: {detail}.", kind="error", path=path)


@contextmanager
def boundary(path: Path) -> Iterator[None]:
    """Raise `StorageError` for any sqlite3 or OS error inside the block."""
    try:
        yield
    except sqlite3.Error as error:
        raise translate(error, path) from error
    except OSError as error:
        raise StorageError(
            f"Cannot use the history database {path}: {error.strerror or error}. {_FIX_DB}.",
            kind="io",
            path=path,
        ) from error


def _no_write(path: Path) -> bool:
    """Whether a file or directory may not be written, by permission or by its mode bits.

    The mode bits count even for root (who may write anything): a user who made their
    history read-only does not want it changed.
    """
    mode = path.stat().st_mode
    no_write_bits = not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return no_write_bits or not os.access(path, os.W_OK)


def read_only_reason(path: Path) -> str | None:
    """Why an existing history may not be written (None: it may).

    Writing needs the directory too: SQLite creates the `-wal` and `-shm` files beside the
    database.
    """
    if _no_write(path):
        return "the file is read-only: chmod u+w"
    directory = path.resolve().parent
    if _no_write(directory):
        return f"its directory is read-only: chmod u+w {directory}"
    return None


def _read_only_uri(path: Path, reason: str | None) -> str:
    """The URI that opens a history for reading, changing nothing on disk.

    A reader of a WAL database creates `-wal` and `-shm` files beside it when they are
    missing, and cannot open it at all where it may not create them. A history that no one
    may write and that has no `-wal` file (its last writer closed it) is whole in its one
    file and cannot change: SQLite is told so (`immutable`), and reads it with no lock and
    no file beside it. A `-wal` file means a writer may be at work, or its last changes are
    there: it is read as any reader would.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if reason is not None and not wal.exists():
        uri += "&immutable=1"
    return uri


def open_database(
    path: Path,
    *,
    readonly: bool = False,
    create: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """Open (and create or migrate) the history database.

    Args:
        path: the database file.
        readonly: open for reading only (never creates, migrates or writes).
        create: create the file (and its directory) when missing.
        timeout: seconds to wait when another process holds the write lock.
        check_same_thread: sqlite3's guard against use from another thread.

    Returns:
        An autocommit connection (`isolation_level=None`) at the current schema version.

    Raises:
        StorageError: the file cannot be used; nothing was written to it.
    """
    path = Path(path)
    with boundary(path):
        exists = path.exists()
        if exists and path.is_dir():
            raise StorageError(
                f"{path} is a directory, not a history database. {_FIX_DB.capitalize()}.",
                kind="io",
                path=path,
            )
        if not exists and (readonly or not create):
            raise StorageError(
                f"There is no history database at {path} yet. {_FIX_DB.capitalize()}.",
                kind="missing",
                path=path,
            )
        reason = read_only_reason(path) if exists else None
        if reason is not None and not readonly:
            raise StorageError(
                f"The history database {path} is read-only ({reason}); make it writable, "
                f"{_FIX_DB}.",
                kind="readonly",
                path=path,
            )
        if not exists:
            path.parent.mkdir(parents=True, exist_ok=True)
        if readonly:
            uri = _read_only_uri(path, reason)
        else:
            uri = f"{path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"
        connection = sqlite3.connect(
            uri,
            uri=True,
            timeout=timeout,
            isolation_level=None,
            check_same_thread=check_same_thread,
        )
    try:
        with boundary(path):
            _prepare(connection, path, readonly=readonly, timeout=timeout)
    except BaseException:
        connection.close()
        raise
    return connection


# One statement, so one consistent view of the file even while another process migrates it.
_STATE = (
    "SELECT (SELECT user_version FROM pragma_user_version), "
    "(SELECT application_id FROM pragma_application_id), "
    "(SELECT count(*) FROM sqlite_master)"
)


def _check(connection: sqlite3.Connection, path: Path) -> int:
    """Refuse a file that is not a tuichat history or is from a newer tuichat (reads only).

    Returns:
        The file's schema version.
    """
    version, application_id, objects = (int(v) for v in connection.execute(_STATE).fetchone())
    foreign = application_id not in (0, APPLICATION_ID)
    if not foreign and version == 0 and application_id == 0:
        # Version 0 is a brand-new file; one that already has tables is someone else's.
        foreign = objects > 0
    if foreign:
        raise StorageError(
            f"{path} is an SQLite database of another program, not a tuichat history. "
            f"tuichat left it untouched; {_FIX_DB}.",
            kind="foreign",
            path=path,
        )
    known = migrations.current_version()
    if version > known:
        raise StorageError(
            f"{path} was written by a newer tuichat (history schema version {version}; this "
            f"tuichat knows up to {known}). tuichat left it untouched: upgrade tuichat, "
            f"{_FIX_DB}.",
            kind="newer",
            path=path,
        )
    return version


def _use_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL mode (readers never block the writer), once.

    The switch needs the file to itself, and SQLite reports "locked" at once, without
    waiting, when another process is switching it too (several starting on a new file):
    wait for that one, which switches it for everybody.
    """
    deadline = time.monotonic() + timeout
    while connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return  # switched (or, where WAL cannot be used, left in its old mode)
        except sqlite3.OperationalError as error:
            busy = getattr(error, "sqlite_errorname", "").startswith("SQLITE_BUSY")
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _prepare(connection: sqlite3.Connection, path: Path, *, readonly: bool, timeout: float) -> None:
    """Check what the file is, then (unless read-only) set it up and migrate it."""
    # Reads only, so a refused file stays byte for byte as it was.
    version = _check(connection, path)
    known = migrations.current_version()
    if readonly:
        if version < known:
            raise StorageError(
                f"The history database {path} needs an upgrade (schema version {version} -> "
                f"{known}) but is opened read-only. Run tuichat once with write access to "
                "upgrade it.",
                kind="readonly",
                path=path,
            )
        connection.execute("PRAGMA query_only = ON")
        return
    _use_wal(connection, timeout)
    connection.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit survives a crash of tuichat
    connection.execute("PRAGMA foreign_keys = ON")
    if version < known:
        # Another process may be creating or upgrading the same file right now: `migrate`
        # checks it again under the write lock, step by step.
        migrations.migrate(connection, lambda locked: _check(locked, path))


def schema_version(path: Path) -> int:
    """The `user_version` of a database file, read without changing it (for tests/tools)."""
    with boundary(path):
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            return int(connection.execute("PRAGMA user_version").fetchone()[0])
        finally:
            connection.close()
