"""One open history database: the connection, its write transaction, and the error guard.

`StoreConnection` is the base of `HistoryStore` (`tuichat.storage.store`): it opens and
closes the file. The store's operations are written over it in two files, one concern each:
`tuichat.storage.writes` (conversations and turns) and `tuichat.storage.reads` (listing,
loading, search). Every operation is wrapped in `guarded`, so callers only ever see
`StorageError`, never a raw sqlite3 error.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, Self, TypeVar

from tuichat.storage.db import DEFAULT_TIMEOUT, boundary, open_database, read_only_reason
from tuichat.storage.errors import StorageError

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S", bound="StoreConnection")


class StoreConnection:
    """The history database's connection (use from a single thread).

    Attributes:
        path: the database file.
        readonly: whether it was opened read-only.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        readonly: bool = False,
        create: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
        fall_back_to_reading: bool = False,
    ) -> None:
        """Open the database (creating and migrating it unless `readonly`).

        Args:
            path: the database file.
            readonly: only read; never creates, migrates or writes.
            create: create the file when missing.
            timeout: seconds to wait for another writer before `StorageError("locked")`.
            clock: wall clock for timestamps (Unix seconds).
            fall_back_to_reading: when the file (or its directory) may not be written, open
                it read-only instead of refusing it: reads work, and every write raises
                `StorageError` of kind "readonly" (nothing is saved, the file is unchanged).

        Raises:
            StorageError: the file cannot be used (and was left untouched).
        """
        self.path = Path(path)
        self._clock = clock
        try:
            self._db = open_database(self.path, readonly=readonly, create=create, timeout=timeout)
        except StorageError as error:
            if readonly or not fall_back_to_reading or error.kind != "readonly":
                raise
            self._db = open_database(self.path, readonly=True, timeout=timeout)
            readonly = True
        self.readonly = readonly
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed into the file)."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> Transaction:
        """A write transaction: `with self._write(): ...`.

        Raises:
            StorageError: the store was opened read-only (kind "readonly").
        """
        if self.readonly:
            reason = read_only_reason(self.path) or "opened for reading"
            raise StorageError(
                f"The history database {self.path} is read-only ({reason}), so tuichat reads "
                "it but saves nothing to it; make it writable, or pass --db PATH to use "
                "another file.",
                kind="readonly",
                path=self.path,
            )
        return Transaction(self._db)


def guarded(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """Turn sqlite3/OS errors inside a store method into `StorageError`."""

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with boundary(self.path):
            return method(self, *args, **kwargs)

    return wrapper


class Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT`, rolled back on error (the connection is autocommit)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except BaseException:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        # The connection must not stay inside a transaction after a failure.
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
