"""Conversation history in SQLite: the store and export (no UI imports).

Typical use on an event loop:

    history = await AsyncHistory.open(resolve_db_path(args.db))
    conversation_id = await history.create_conversation(model=..., messages=messages)

The turn recorder, which writes a turn as it streams, is the session's (`tuichat.session`).
"""

from __future__ import annotations

from tuichat.storage.db import StorageError, StorageErrorKind
from tuichat.storage.history import (
    AsyncHistory,
    ConversationSummary,
    HistoryStore,
    SearchResult,
    StoredMessage,
)
from tuichat.storage.paths import default_db_path, resolve_db_path

__all__ = [
    "AsyncHistory",
    "ConversationSummary",
    "HistoryStore",
    "SearchResult",
    "StorageError",
    "StorageErrorKind",
    "StoredMessage",
    "default_db_path",
    "resolve_db_path",
]
