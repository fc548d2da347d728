"""Conversation history in SQLite: the store, the turn recorder, export (no UI imports).

Typical use on an event loop:

    history = await AsyncHistory.open(resolve_db_path(args.db))
    conversation_id = await history.create_conversation(model=..., messages=conversation.messages)
    recorder = TurnRecorder(history, conversation_id, conversation.messages)
"""

from __future__ import annotations

from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.db import StorageError, StorageErrorKind
from tuichat.storage.paths import default_db_path, resolve_db_path
from tuichat.storage.recorder import TurnRecorder
from tuichat.storage.rows import ConversationSummary, SearchResult, StoredMessage
from tuichat.storage.store import HistoryStore

__all__ = [
    "AsyncHistory",
    "ConversationSummary",
    "HistoryStore",
    "SearchResult",
    "StorageError",
    "StorageErrorKind",
    "StoredMessage",
    "TurnRecorder",
    "default_db_path",
    "resolve_db_path",
]
