"""Why the history cannot be used: the error every part of storage raises, and its kinds.

Apart from the database code, so that what only catches it (the app, before its first frame)
does not import SQLite and the schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

StorageErrorKind = Literal[
    "corrupt",  # not an SQLite database, or a damaged one
    "foreign",  # an SQLite database of another program
    "newer",  # written by a newer tuichat (schema version unknown here)
    "locked",  # another process holds the lock longer than the timeout
    "readonly",  # the file (or its directory) cannot be written
    "missing",  # no database at the path (when not creating one)
    "io",  # cannot open/create, disk full, I/O error
    "error",  # anything else SQLite reports
]


class StorageError(Exception):
    """The history database cannot be used; the message says what and how to fix it.

    Attributes:
        kind: what went wrong (see `StorageErrorKind`).
        path: the database file.
    """

    def __init__(self, message: str, *, kind: StorageErrorKind, path: Path) -> None:
        super().__init__(message)
        self.kind: StorageErrorKind = kind
        self.path = path

    @property
    def message(self) -> str:
        """The message (one line)."""
        return str(self)
