"""The conversation history: a sync `HistoryStore` and its async facade `AsyncHistory`.

`HistoryStore` is plain sqlite3, used from one thread. `AsyncHistory` owns one dedicated
worker thread and runs every store call there, so the event loop never waits on SQLite
(nor on another process holding the lock). Message dicts go in and come out in the shape
`Conversation.messages` holds them, so a reloaded conversation sends the model exactly
what it was sent before.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from tuichat.core.events import RawChunk, RequestSent
from tuichat.storage.db import DEFAULT_TIMEOUT, StorageError, boundary, open_database

P = ParamSpec("P")
T = TypeVar("T")

Message = dict[str, Any]

# Keys with columns of their own; anything else a message dict holds goes to `extra`.
_COLUMN_KEYS = frozenset(
    {
        "role",
        "content",
        "tool_calls",
        "tool_call_id",
        "name",
        "reasoning",
        "finish_reason",
        "usage",
        "timing",
        "cancelled",
        "error",
    }
)
_TIMING_KEYS = frozenset({"time_to_first_token", "duration"})
INTERRUPTED_ERROR = {
    "kind": "truncated",
    "message": "tuichat stopped before this answer finished; the partial text is kept.",
}
TITLE_LENGTH = 80
_SNIPPET_TOKENS = 12


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One conversation as a list shows it.

    Attributes:
        id: the conversation's id.
        title: the name given with `rename`, else the first prompt trimmed to one line.
        created: Unix time of creation.
        updated: Unix time of the last write to it.
        model: the model of its latest answer (or the one it was created with).
        provider: the provider of its latest answer.
        message_count: live messages (replaced answers and the system prompt not counted).
        renamed: whether `title` was set by `rename`.
    """

    id: int
    title: str
    created: float
    updated: float
    model: str | None
    provider: str | None
    message_count: int
    renamed: bool = False


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One message matching a search.

    Attributes:
        conversation_id: where it is.
        message_id: the matching message.
        title: the conversation's title.
        snippet: the text around the match, matches wrapped in the chosen markers.
        role: the message's role.
        created: Unix time the message was written.
    """

    conversation_id: int
    message_id: int
    title: str
    snippet: str
    role: str
    created: float


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message with its storage metadata (for views that show branches or states).

    Attributes:
        id: the row id.
        position: order in the conversation, replaced messages included.
        parent_id: the live message before it when it was written (its branch parent).
        status: complete, streaming, cancelled or failed.
        replaced: whether regenerate/edit replaced it.
        created: Unix time it was written.
        model: the model that wrote it (assistant messages).
        provider: the provider that answered.
        message: the message dict, as `load_messages` returns it.
    """

    id: int
    position: int
    parent_id: int | None
    status: str
    replaced: bool
    created: float
    model: str | None
    provider: str | None
    message: Message


def make_title(text: str | None, length: int = TITLE_LENGTH) -> str:
    """A one-line title from a prompt: whitespace collapsed, cut at `length` characters."""
    line = " ".join((text or "").split())
    if not line:
        return "New conversation"
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _text_of(content: Any) -> str | None:
    """The searchable text of a content value (a string, or a list of typed parts)."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict)]
        return "\n".join(part for part in parts if isinstance(part, str))
    return str(content)


def message_columns(message: Message, status: str | None = None) -> dict[str, Any]:
    """Split a message dict into column values (the inverse of `row_message`).

    Args:
        message: an OpenAI-format message with tuichat's extra keys.
        status: the status to store; by default derived from `cancelled`/`error`.

    Returns:
        Column name -> value for the `messages` table.
    """
    extra = {key: value for key, value in message.items() if key not in _COLUMN_KEYS}
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        extra["content"] = content  # typed parts: kept whole, their text is searchable
    timing = message.get("timing")
    ttft = duration = None
    if isinstance(timing, dict) and set(timing) <= _TIMING_KEYS:
        ttft, duration = timing.get("time_to_first_token"), timing.get("duration")
    elif timing is not None:
        extra["timing"] = timing
    cancelled = message.get("cancelled")
    if cancelled is not None and cancelled is not True:
        extra["cancelled"] = cancelled
    error = message.get("error")
    if status is None:
        status = "cancelled" if cancelled is True else "failed" if error else "complete"
    return {
        "role": message.get("role", "user"),
        "content": _text_of(content),
        "tool_calls": _dumps(message.get("tool_calls")),
        "tool_call_id": message.get("tool_call_id"),
        "name": message.get("name"),
        "reasoning": message.get("reasoning"),
        "finish_reason": message.get("finish_reason"),
        "usage": _dumps(message.get("usage")),
        "time_to_first_token": ttft,
        "duration": duration,
        "status": status,
        "error": _dumps(error) if error else None,
        "extra": _dumps(extra) if extra else None,
    }


_MESSAGE_SELECT = (
    "SELECT id, position, parent_id, role, content, tool_calls, tool_call_id, name, reasoning, "
    "finish_reason, usage, time_to_first_token, duration, status, error, extra, replaced, "
    "created, model, provider FROM messages"
)


def row_message(row: sqlite3.Row) -> Message:
    """Rebuild the message dict of a `messages` row, as `Conversation.messages` holds it."""
    role = row["role"]
    message: Message = {"role": role, "content": row["content"]}
    if row["tool_calls"] is not None:
        message["tool_calls"] = _loads(row["tool_calls"])
    if row["tool_call_id"] is not None:
        message["tool_call_id"] = row["tool_call_id"]
    if row["name"] is not None:
        message["name"] = row["name"]
    if role == "assistant":
        message["reasoning"] = row["reasoning"]
        message["finish_reason"] = row["finish_reason"]
        message["usage"] = _loads(row["usage"])
    elif row["reasoning"] is not None:
        message["reasoning"] = row["reasoning"]
    if row["duration"] is not None or row["time_to_first_token"] is not None:
        message["timing"] = {
            "time_to_first_token": row["time_to_first_token"],
            "duration": row["duration"],
        }
    status = row["status"]
    if status == "cancelled":
        message["cancelled"] = True
    elif status == "failed":
        message["error"] = _loads(row["error"])
    elif status == "streaming":  # the process died mid-answer: a partial, truncated answer
        message["error"] = dict(INTERRUPTED_ERROR)
    if row["extra"] is not None:
        message.update(_loads(row["extra"]))
    return message


RawRecord = RawChunk | RequestSent
"""What the inspector showed for an answer: the request (secrets already redacted), then
every chunk."""


def encode_raw_chunks(records: Iterable[RawRecord]) -> tuple[int, bytes]:
    """Compress an answer's raw records as zlib JSON lines: `{offset, data, whole_response}`
    per chunk, `{request}` for the request that asked for it.

    Returns:
        The number of chunks (requests not counted) and the compressed bytes.
    """
    lines: list[str] = []
    count = 0
    for record in records:
        if isinstance(record, RequestSent):
            entry: dict[str, Any] = {"request": record.request}
        else:
            count += 1
            entry = {
                "offset": round(record.offset, 6),
                "data": record.data,
                "whole_response": record.whole_response,
            }
        lines.append(json.dumps(entry, ensure_ascii=False))
    return count, zlib.compress("\n".join(lines).encode("utf-8"), 6)


def decode_raw_chunks(data: bytes) -> list[RawRecord]:
    """The records `encode_raw_chunks` stored."""
    text = zlib.decompress(data).decode("utf-8")
    records: list[RawRecord] = []
    for line in text.split("\n"):
        if not line:
            continue
        entry = json.loads(line)
        if "request" in entry:
            records.append(RequestSent(entry["request"]))
        else:
            records.append(
                RawChunk(str(entry["data"]), float(entry["offset"]), bool(entry["whole_response"]))
            )
    return records


def quote_fts_query(query: str) -> str:
    """Make any user text a safe FTS5 query: every word a quoted phrase (all must match)."""
    terms = query.split()
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _guarded(
    method: Callable[Concatenate[HistoryStore, P], T],
) -> Callable[Concatenate[HistoryStore, P], T]:
    """Turn sqlite3/OS errors inside a store method into `StorageError`."""

    @functools.wraps(method)
    def wrapper(self: HistoryStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with boundary(self.path):
            return method(self, *args, **kwargs)

    return wrapper


class HistoryStore:
    """Conversations and their messages in one SQLite file (use from a single thread).

    Every method raises `StorageError` (never a raw sqlite3 error) when the file cannot
    be used.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        readonly: bool = False,
        create: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Open the database (creating and migrating it unless `readonly`).

        Args:
            path: the database file.
            readonly: only read; never creates, migrates or writes.
            create: create the file when missing.
            timeout: seconds to wait for another writer before `StorageError("locked")`.
            clock: wall clock for timestamps (Unix seconds).

        Raises:
            StorageError: the file cannot be used (and was left untouched).
        """
        self.path = Path(path)
        self.readonly = readonly
        self._clock = clock
        self._db = open_database(self.path, readonly=readonly, create=create, timeout=timeout)
        self._db.row_factory = sqlite3.Row

    @classmethod
    def open_for_reading(cls, path: Path | str, **kwargs: Any) -> HistoryStore:
        """Open read-write when allowed (so an old file is upgraded), else read-only."""
        try:
            return cls(path, create=False, **kwargs)
        except StorageError as error:
            if error.kind != "readonly":
                raise
            return cls(path, readonly=True, **kwargs)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed into the file)."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------

    def _write(self) -> _Transaction:
        return _Transaction(self._db)

    def _insert_message(
        self,
        conversation_id: int,
        columns: dict[str, Any],
        model: str | None,
        provider: str | None,
        now: float,
    ) -> int:
        """Insert a row after the conversation's last message (caller holds the write lock)."""
        parent = self._db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND replaced IS NULL "
            "ORDER BY position DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
        position = self._db.execute(
            "SELECT coalesce(max(position), -1) + 1 FROM messages WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()[0]
        values = dict(columns)
        values.update(
            conversation_id=conversation_id,
            position=position,
            parent_id=parent[0] if parent else None,
            model=model,
            provider=provider,
            created=now,
            updated=now,
        )
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        cursor = self._db.execute(f"INSERT INTO messages ({names}) VALUES ({marks})", values)
        return int(cursor.lastrowid or 0)

    def _touch(
        self, conversation_id: int, now: float, model: str | None, provider: str | None
    ) -> None:
        self._db.execute(
            "UPDATE conversations SET updated = ?, model = coalesce(?, model), "
            "provider = coalesce(?, provider) WHERE id = ?",
            (now, model, provider, conversation_id),
        )

    def _require(self, conversation_id: int) -> None:
        found = self._db.execute(
            "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if found is None:
            raise StorageError(
                f"There is no conversation {conversation_id} in {self.path}.",
                kind="missing",
                path=self.path,
            )

    # -- conversations ---------------------------------------------------------------------

    @_guarded
    def create_conversation(
        self,
        *,
        model: str | None = None,
        provider: str | None = None,
        title: str | None = None,
        system_prompt: str | None = None,
        messages: Sequence[Message] = (),
    ) -> int:
        """Start a conversation, optionally with its first messages (e.g. the system prompt).

        Args:
            model: the model it talks to.
            provider: the provider's name.
            title: a title (otherwise the first prompt is shown).
            system_prompt: stored as the conversation's system prompt; defaults to the first
                system message of `messages` (it is not added as a message by itself).
            messages: messages to store right away, e.g. `Conversation.messages`.

        Returns:
            The new conversation's id.
        """
        now = self._clock()
        if system_prompt is None:
            system_prompt = next(
                (m.get("content") for m in messages if m.get("role") == "system"), None
            )
        with self._write():
            cursor = self._db.execute(
                "INSERT INTO conversations (title, created, updated, model, provider, "
                "system_prompt) VALUES (?, ?, ?, ?, ?, ?)",
                (title, now, now, model, provider, system_prompt),
            )
            conversation_id = int(cursor.lastrowid or 0)
            for message in messages:
                self._insert_message(
                    conversation_id,
                    message_columns(message),
                    model if message.get("role") == "assistant" else None,
                    provider if message.get("role") == "assistant" else None,
                    now,
                )
        return conversation_id

    _SUMMARY_SELECT = """
        SELECT c.id, c.title, c.created, c.updated, c.model, c.provider,
            (SELECT substr(m.content, 1, 400) FROM messages m
             WHERE m.conversation_id = c.id AND m.role = 'user'
             ORDER BY m.position LIMIT 1) AS first_prompt,
            (SELECT count(*) FROM messages m
             WHERE m.conversation_id = c.id AND m.replaced IS NULL AND m.role != 'system')
             AS message_count
        FROM conversations c
    """

    @staticmethod
    def _summary(row: sqlite3.Row) -> ConversationSummary:
        renamed = row["title"] is not None
        return ConversationSummary(
            id=row["id"],
            title=row["title"] if renamed else make_title(row["first_prompt"]),
            created=row["created"],
            updated=row["updated"],
            model=row["model"],
            provider=row["provider"],
            message_count=row["message_count"],
            renamed=renamed,
        )

    @_guarded
    def list_conversations(
        self, limit: int | None = None, offset: int = 0
    ) -> list[ConversationSummary]:
        """Conversations, most recently updated first.

        Args:
            limit: at most this many (all when None).
            offset: skip this many (for paging).
        """
        rows = self._db.execute(
            self._SUMMARY_SELECT + " ORDER BY c.updated DESC, c.id DESC LIMIT ? OFFSET ?",
            (-1 if limit is None else limit, offset),
        ).fetchall()
        return [self._summary(row) for row in rows]

    @_guarded
    def get_conversation(self, conversation_id: int) -> ConversationSummary | None:
        """One conversation's summary, or None when there is no such conversation."""
        row = self._db.execute(
            self._SUMMARY_SELECT + " WHERE c.id = ?", (conversation_id,)
        ).fetchone()
        return None if row is None else self._summary(row)

    @_guarded
    def system_prompt(self, conversation_id: int) -> str | None:
        """The system prompt the conversation was created with."""
        row = self._db.execute(
            "SELECT system_prompt FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        return None if row is None else row[0]

    @_guarded
    def rename(self, conversation_id: int, title: str | None) -> None:
        """Set a conversation's title (None or blank goes back to the first prompt).

        Raises:
            StorageError: no such conversation (kind "missing"), or the file failed.
        """
        title = " ".join(title.split()) if title else None
        with self._write():
            self._require(conversation_id)
            self._db.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title or None, conversation_id)
            )

    @_guarded
    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation with its messages and raw chunks.

        Returns:
            Whether there was such a conversation.
        """
        with self._write():
            cursor = self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return cursor.rowcount > 0

    @_guarded
    def last_conversation_id(self) -> int | None:
        """The most recently updated conversation (what `--continue` continues)."""
        row = self._db.execute(
            "SELECT id FROM conversations ORDER BY updated DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else int(row[0])

    @_guarded
    def recent_prompts(self, limit: int = 100) -> list[str]:
        """What the user typed recently, newest first, each text once (for Up-arrow recall)."""
        rows = self._db.execute(
            "SELECT content, max(id) AS latest FROM messages WHERE role = 'user' "
            "AND content IS NOT NULL AND content != '' GROUP BY content "
            "ORDER BY latest DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [row[0] for row in rows]

    # -- messages --------------------------------------------------------------------------

    @_guarded
    def add_message(
        self,
        conversation_id: int,
        message: Message,
        *,
        model: str | None = None,
        provider: str | None = None,
        status: str | None = None,
    ) -> int:
        """Append a complete message (user prompt, tool result, whole answer).

        Args:
            conversation_id: the conversation.
            message: the message dict, as `Conversation.messages` holds it.
            model: the model that wrote it (assistant messages).
            provider: the provider that answered.
            status: overrides the status derived from `cancelled`/`error`.

        Returns:
            The message's id.
        """
        now = self._clock()
        with self._write():
            self._require(conversation_id)
            message_id = self._insert_message(
                conversation_id, message_columns(message, status), model, provider, now
            )
            self._touch(conversation_id, now, model, provider)
        return message_id

    @_guarded
    def start_answer(
        self, conversation_id: int, *, model: str | None = None, provider: str | None = None
    ) -> int:
        """Create the row of an answer that starts streaming (status `streaming`, no text).

        Returns:
            The message id to checkpoint and finish.
        """
        now = self._clock()
        columns = message_columns({"role": "assistant", "content": None}, "streaming")
        with self._write():
            self._require(conversation_id)
            message_id = self._insert_message(conversation_id, columns, model, provider, now)
            self._touch(conversation_id, now, model, provider)
        return message_id

    @_guarded
    def checkpoint_answer(
        self, message_id: int, content: str | None, reasoning: str | None
    ) -> None:
        """Save the partial text of a streaming answer (only while it is still streaming)."""
        now = self._clock()
        with self._write():
            self._db.execute(
                "UPDATE messages SET content = ?, reasoning = ?, updated = ? "
                "WHERE id = ? AND status = 'streaming'",
                (content, reasoning, now, message_id),
            )
            self._db.execute(
                "UPDATE conversations SET updated = ? WHERE id = "
                "(SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id),
            )

    @_guarded
    def finish_answer(
        self,
        message_id: int,
        message: Message,
        *,
        raw_chunks: Sequence[RawRecord] | None = None,
        status: str | None = None,
    ) -> None:
        """Replace a streaming answer's row with its final message.

        Args:
            message_id: from `start_answer`.
            message: the final dict (from `Conversation.messages`); `cancelled`/`error`
                decide the status unless `status` is given.
            raw_chunks: the answer's raw SSE payloads to keep (None: keep none).
            status: overrides the derived status.
        """
        now = self._clock()
        columns = message_columns(message, status)
        del columns["role"]
        assignments = ", ".join(f"{name} = :{name}" for name in columns)
        with self._write():
            self._db.execute(
                f"UPDATE messages SET {assignments}, updated = :now WHERE id = :id",
                {**columns, "now": now, "id": message_id},
            )
            if raw_chunks:
                count, data = encode_raw_chunks(raw_chunks)
                self._db.execute(
                    "INSERT OR REPLACE INTO raw_chunks (message_id, count, data) VALUES (?, ?, ?)",
                    (message_id, count, data),
                )
            self._db.execute(
                "UPDATE conversations SET updated = ? WHERE id = "
                "(SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id),
            )

    @_guarded
    def save_raw_chunks(self, message_id: int, chunks: Sequence[RawRecord]) -> None:
        """Keep an answer's raw SSE payloads (compressed)."""
        count, data = encode_raw_chunks(chunks)
        with self._write():
            self._db.execute(
                "INSERT OR REPLACE INTO raw_chunks (message_id, count, data) VALUES (?, ?, ?)",
                (message_id, count, data),
            )

    @_guarded
    def load_raw_chunks(self, message_id: int) -> list[RawRecord]:
        """An answer's request and raw chunks, as the inspector showed them (empty if none)."""
        row = self._db.execute(
            "SELECT data FROM raw_chunks WHERE message_id = ?", (message_id,)
        ).fetchone()
        return [] if row is None else decode_raw_chunks(row[0])

    @_guarded
    def load_messages(
        self, conversation_id: int, *, include_replaced: bool = False
    ) -> list[Message]:
        """The conversation's messages, as `Conversation.messages` held them.

        Args:
            conversation_id: the conversation.
            include_replaced: also return answers that regenerate/edit replaced.

        Returns:
            Message dicts in order (empty for an unknown conversation). An answer whose
            process died while streaming comes back with its partial text and an `error`.
        """
        return [
            stored.message
            for stored in self.message_rows(conversation_id, include_replaced=include_replaced)
        ]

    @_guarded
    def message_rows(
        self, conversation_id: int, *, include_replaced: bool = True
    ) -> list[StoredMessage]:
        """The conversation's messages with their ids, statuses and branch markers."""
        where = "" if include_replaced else " AND replaced IS NULL"
        rows = self._db.execute(
            _MESSAGE_SELECT + f" WHERE conversation_id = ?{where} ORDER BY position",
            (conversation_id,),
        ).fetchall()
        return [
            StoredMessage(
                id=row["id"],
                position=row["position"],
                parent_id=row["parent_id"],
                status=row["status"],
                replaced=row["replaced"] is not None,
                created=row["created"],
                model=row["model"],
                provider=row["provider"],
                message=row_message(row),
            )
            for row in rows
        ]

    @_guarded
    def replace_last_answer(
        self, conversation_id: int, *, include_prompt: bool = False
    ) -> list[int]:
        """Mark the last answer (all its rounds and tool messages) replaced, keeping it.

        Call before regenerating (or, with `include_prompt`, before re-sending an edited
        prompt): `load_messages` then leaves the old answer out, `message_rows` still has it.

        Args:
            conversation_id: the conversation.
            include_prompt: also mark the user prompt that the answer answered.

        Returns:
            The ids marked (empty when there was no answer).
        """
        now = self._clock()
        with self._write():
            prompt = self._db.execute(
                "SELECT id, position FROM messages WHERE conversation_id = ? AND role = 'user' "
                "AND replaced IS NULL ORDER BY position DESC LIMIT 1",
                (conversation_id,),
            ).fetchone()
            if prompt is None:
                return []
            first = prompt["position"] if include_prompt else prompt["position"] + 1
            ids = [
                int(row[0])
                for row in self._db.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND replaced IS NULL "
                    "AND position >= ? ORDER BY position",
                    (conversation_id, first),
                )
            ]
            self._db.executemany(
                "UPDATE messages SET replaced = ? WHERE id = ?", [(now, i) for i in ids]
            )
            if ids:
                self._touch(conversation_id, now, None, None)
        return ids

    # -- search ----------------------------------------------------------------------------

    @_guarded
    def search(
        self, query: str, limit: int = 50, *, markers: tuple[str, str] = ("[", "]")
    ) -> list[SearchResult]:
        """Full-text search over message text, best matches first.

        FTS5 syntax works (`"exact phrase"`, `prefix*`, `a OR b`, `NOT`); text that is not
        valid FTS syntax is searched as plain words instead of failing.

        Args:
            query: what the user typed.
            limit: at most this many results.
            markers: what to put around each match in the snippet.

        Returns:
            Matches in live messages (replaced answers excluded).
        """
        if not query.strip():
            return []
        try:
            return self._search(query, limit, markers)
        except sqlite3.OperationalError as error:
            # A query FTS5 cannot parse is a plain SQLITE_ERROR; busy, I/O etc. are not.
            if getattr(error, "sqlite_errorname", "SQLITE_ERROR") != "SQLITE_ERROR":
                raise
            return self._search(quote_fts_query(query), limit, markers)

    def _search(self, match: str, limit: int, markers: tuple[str, str]) -> list[SearchResult]:
        rows = self._db.execute(
            """
            SELECT m.conversation_id, m.id, m.role, m.created, c.title,
                snippet(messages_fts, 0, ?, ?, '…', ?) AS snippet,
                (SELECT substr(f.content, 1, 400) FROM messages f
                 WHERE f.conversation_id = c.id AND f.role = 'user'
                 ORDER BY f.position LIMIT 1) AS first_prompt
            FROM messages_fts
            JOIN messages m ON m.id = messages_fts.rowid
            JOIN conversations c ON c.id = m.conversation_id
            WHERE messages_fts MATCH ? AND m.replaced IS NULL
            ORDER BY messages_fts.rank, m.id DESC
            LIMIT ?
            """,
            (markers[0], markers[1], _SNIPPET_TOKENS, match, limit),
        ).fetchall()
        return [
            SearchResult(
                conversation_id=row["conversation_id"],
                message_id=row["id"],
                title=row["title"] or make_title(row["first_prompt"]),
                snippet=" ".join(row["snippet"].split()),
                role=row["role"],
                created=row["created"],
            )
            for row in rows
        ]


class _Transaction:
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


class AsyncHistory:
    """The history store behind one dedicated worker thread, for use on an event loop.

    Every call runs in that thread, one at a time, in the order made; awaiting one never
    blocks the loop. `submit` schedules a call without waiting (the recorder's checkpoints).
    """

    def __init__(self, store: HistoryStore, executor: ThreadPoolExecutor) -> None:
        """Wrap a store opened in `executor`'s thread; use `AsyncHistory.open` instead."""
        self._store = store
        self._executor: ThreadPoolExecutor | None = executor
        self.path = store.path

    @classmethod
    async def open(cls, path: Path | str, **kwargs: Any) -> AsyncHistory:
        """Open the database in a new worker thread.

        Args:
            path: the database file.
            **kwargs: passed to `HistoryStore` (readonly, create, timeout, clock).

        Raises:
            StorageError: the file cannot be used.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tuichat-history")
        loop = asyncio.get_running_loop()
        try:
            store = await loop.run_in_executor(
                executor, functools.partial(HistoryStore, path, **kwargs)
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(store, executor)

    def submit(self, call: Callable[[HistoryStore], T]) -> asyncio.Future[T]:
        """Schedule `call(store)` in the worker thread without waiting for it.

        Must be called from the event loop's thread.

        Returns:
            A future with its result (or StorageError).
        """
        if self._executor is None:
            raise RuntimeError("the history is closed")
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, call, self._store)

    async def run(self, call: Callable[[HistoryStore], T]) -> T:
        """Run `call(store)` in the worker thread and return its result."""
        return await self.submit(call)

    async def aclose(self) -> None:
        """Finish every scheduled call, then close the database and the thread."""
        if self._executor is None:
            return
        try:
            await self.submit(lambda store: store.close())
        finally:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=False)

    def close(self) -> None:
        """Finish every scheduled call and close, blocking (for code without a loop)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        executor.submit(self._store.close)
        executor.shutdown(wait=True)

    # The store's operations, each run in the worker thread.

    async def create_conversation(self, **kwargs: Any) -> int:
        """See `HistoryStore.create_conversation`."""
        return await self.run(lambda store: store.create_conversation(**kwargs))

    async def list_conversations(
        self, limit: int | None = None, offset: int = 0
    ) -> list[ConversationSummary]:
        """See `HistoryStore.list_conversations`."""
        return await self.run(lambda store: store.list_conversations(limit, offset))

    async def get_conversation(self, conversation_id: int) -> ConversationSummary | None:
        """See `HistoryStore.get_conversation`."""
        return await self.run(lambda store: store.get_conversation(conversation_id))

    async def rename(self, conversation_id: int, title: str | None) -> None:
        """See `HistoryStore.rename`."""
        await self.run(lambda store: store.rename(conversation_id, title))

    async def delete(self, conversation_id: int) -> bool:
        """See `HistoryStore.delete`."""
        return await self.run(lambda store: store.delete(conversation_id))

    async def last_conversation_id(self) -> int | None:
        """See `HistoryStore.last_conversation_id`."""
        return await self.run(lambda store: store.last_conversation_id())

    async def recent_prompts(self, limit: int = 100) -> list[str]:
        """See `HistoryStore.recent_prompts`."""
        return await self.run(lambda store: store.recent_prompts(limit))

    async def add_message(self, conversation_id: int, message: Message, **kwargs: Any) -> int:
        """See `HistoryStore.add_message`."""
        return await self.run(lambda store: store.add_message(conversation_id, message, **kwargs))

    async def load_messages(
        self, conversation_id: int, *, include_replaced: bool = False
    ) -> list[Message]:
        """See `HistoryStore.load_messages`."""
        return await self.run(
            lambda store: store.load_messages(conversation_id, include_replaced=include_replaced)
        )

    async def message_rows(
        self, conversation_id: int, *, include_replaced: bool = True
    ) -> list[StoredMessage]:
        """See `HistoryStore.message_rows`."""
        return await self.run(
            lambda store: store.message_rows(conversation_id, include_replaced=include_replaced)
        )

    async def load_raw_chunks(self, message_id: int) -> list[RawRecord]:
        """See `HistoryStore.load_raw_chunks`."""
        return await self.run(lambda store: store.load_raw_chunks(message_id))

    async def replace_last_answer(
        self, conversation_id: int, *, include_prompt: bool = False
    ) -> list[int]:
        """See `HistoryStore.replace_last_answer`."""
        return await self.run(
            lambda store: store.replace_last_answer(conversation_id, include_prompt=include_prompt)
        )

    async def search(
        self, query: str, limit: int = 50, *, markers: tuple[str, str] = ("[", "]")
    ) -> list[SearchResult]:
        """See `HistoryStore.search`."""
        return await self.run(lambda store: store.search(query, limit, markers=markers))
