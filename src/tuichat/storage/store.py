"""`HistoryStore`: conversations and their messages in one SQLite file.

Plain sqlite3, used from one thread; on an event loop use `AsyncHistory`
(`tuichat.storage.async_history`), which runs a store in a worker thread of its own. The
class is put together from one file per concern:

- `tuichat.storage.connection`: opening and closing, the write transaction, the error guard;
- `tuichat.storage.writes`: creating, renaming and deleting conversations, writing turns;
- `tuichat.storage.reads`: listing conversations, loading messages, search;
- `tuichat.storage.context`: messages left out of what is sent, and summaries;
- `tuichat.storage.rows`: the typed rows and the message dict <-> columns codecs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from tuichat.storage.context import HistoryContext
from tuichat.storage.reads import HistoryReads
from tuichat.storage.writes import HistoryWrites


class HistoryStore(HistoryWrites, HistoryReads, HistoryContext):
    """Conversations and their messages in one SQLite file (use from a single thread).

    `HistoryStore(path)` opens the file (see `StoreConnection.__init__`). Every method
    raises `StorageError` (never a raw sqlite3 error) when the file cannot be used.
    """

    @classmethod
    def open_for_reading(cls, path: Path | str, **kwargs: Any) -> Self:
        """Open read-write when allowed (so an old file is upgraded), else read-only."""
        return cls(path, create=False, fall_back_to_reading=True, **kwargs)
