"""The history's typed rows, and how message dicts become columns and come back.

Message dicts go in and come out in the shape `Conversation.messages` holds them, so a
reloaded conversation sends the model exactly what it was sent before: `message_columns`
splits a dict into the `messages` table's columns, `row_message` rebuilds it. Raw chunks are
stored compressed (`encode_raw_chunks` / `decode_raw_chunks`). Nothing here touches a
connection: the store (`tuichat.storage.store`) runs the SQL.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tuichat.core.events import (
    BodyRead,
    RawChunk,
    RawComment,
    RequestSent,
    ResponseHead,
    WireRecord,
)
from tuichat.core.text import strip_control

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
        "left_out",  # its own column, written only by `HistoryContext.set_left_out`
    }
)
_TIMING_KEYS = frozenset({"time_to_first_token", "duration"})
INTERRUPTED_ERROR = {
    "kind": "truncated",
    "message": "tuichat stopped before this answer finished; the partial text is kept.",
}
TITLE_LENGTH = 80


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One conversation as a list shows it.

    Attributes:
        id: the conversation's id.
        title: the name given with `rename`, else the first prompt trimmed to one line (an
            edited and re-sent first prompt, not the one it replaced).
        created: Unix time of creation.
        updated: Unix time of the last write to it.
        model: the model of its latest answer (or the one it was created with).
        provider: the provider of its latest answer.
        message_count: live messages (replaced answers and the system prompt not counted).
        renamed: whether `title` was set by `rename`.
        branch_count: its branches: the versions it has, end to end (1 until an answer is
            regenerated or a prompt edited; 0 when it has no message).
    """

    id: int
    title: str
    created: float
    updated: float
    model: str | None
    provider: str | None
    message_count: int
    renamed: bool = False
    branch_count: int = 1


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
        left_out_at: when it was left out of the context (None: it is sent).

    A branch's rows also hold the summaries sent in place of some of its messages, each after
    the last message it summarises (`tuichat.storage.context`): their `id` is the summary's
    and their message has a `summary` key.
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
    left_out_at: float | None = None

    @property
    def is_summary(self) -> bool:
        """Whether it is a summary written in place of some messages (not a message row)."""
        return "summary" in self.message


@dataclass(frozen=True, slots=True)
class BranchNode:
    """One message as the tree of a conversation's versions needs it (no full text).

    Attributes:
        id: the row id.
        parent_id: the message it follows (None: the first of its conversation).
        position: order of writing in the conversation.
        role: system, user, assistant or tool.
        preview: its first line (a tool call's names when it has no text), controls removed.
        replaced_at: when it last stopped being shown (None: it is on the branch shown).
        created: when it was written.
        model: the model that wrote it (answers).
    """

    id: int
    parent_id: int | None
    position: int
    role: str
    preview: str
    replaced_at: float | None
    created: float
    model: str | None = None

    @property
    def live(self) -> bool:
        """Whether it is on the branch shown."""
        return self.replaced_at is None


def make_title(text: str | None, length: int = TITLE_LENGTH) -> str:
    """A one-line title from a prompt: whitespace collapsed, terminal controls removed (a title
    is printed by `tuichat list` and shown in lists), cut at `length` characters."""
    line = " ".join(strip_control(text or "").split())
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


MESSAGE_SELECT = (
    "SELECT id, position, parent_id, role, content, tool_calls, tool_call_id, name, reasoning, "
    "finish_reason, usage, time_to_first_token, duration, status, error, extra, replaced, "
    "created, model, provider, left_out FROM messages"
)
"""The `messages` columns `row_message` reads, in order."""


BRANCH_NODE_SELECT = (
    "SELECT id, parent_id, position, role, substr(content, 1, 400) AS head, tool_calls, "
    "name, replaced, created, model FROM messages"
)
"""The `messages` columns `row_branch_node` reads."""


def _call_names(tool_calls: str | None) -> str:
    try:
        calls = json.loads(tool_calls) if tool_calls else []
    except ValueError:
        return ""
    names = [
        str((call.get("function") or {}).get("name") or "?")
        for call in calls
        if isinstance(call, dict)
    ]
    return ", ".join(names)


def row_branch_node(row: sqlite3.Row) -> BranchNode:
    """The tree node of a `BRANCH_NODE_SELECT` row."""
    head = strip_control(row["head"] or "")
    preview = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if not preview and row["tool_calls"]:
        preview = f"calls {_call_names(row['tool_calls'])}"
    if row["role"] == "tool" and row["name"]:
        preview = f"{row['name']}: {preview}"
    return BranchNode(
        id=row["id"],
        parent_id=row["parent_id"],
        position=row["position"],
        role=row["role"],
        preview=strip_control(preview),
        replaced_at=row["replaced"],
        created=row["created"],
        model=row["model"],
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
    if row["left_out"] is not None:
        message["left_out"] = True
    return message


RawRecord = RawChunk | RequestSent
"""What the inspector showed for an answer: the request (secrets already redacted), then
every chunk. (`decode_wire_records` gives everything that was kept, `WireRecord`s.)"""


def _record_line(record: WireRecord) -> dict[str, Any]:
    if isinstance(record, RawChunk):
        entry: dict[str, Any] = {
            "offset": round(record.offset, 6),
            "data": record.data,
            "whole_response": record.whole_response,
        }
        if record.event is not None:
            entry["event"] = record.event
        return entry
    if isinstance(record, RequestSent):
        return {"request": record.request}
    if isinstance(record, BodyRead):
        try:
            return {"offset": round(record.offset, 6), "read": record.data.decode("utf-8")}
        except UnicodeDecodeError:  # a read that ends inside a character: kept exact
            encoded = base64.b64encode(record.data).decode("ascii")
            return {"offset": round(record.offset, 6), "read_base64": encoded}
    if isinstance(record, RawComment):
        return {"offset": round(record.offset, 6), "comment": record.text}
    return {
        "offset": round(record.offset, 6),
        "response": {
            "status": record.status,
            "reason": record.reason,
            "http_version": record.http_version,
            "headers": record.headers,
        },
    }


def encode_raw_chunks(records: Iterable[WireRecord]) -> tuple[int, bytes]:
    """Compress an answer's wire records as zlib JSON lines, one object per record:

    - `{"request": {...}}`: the request that asked for the answer (redacted);
    - `{"offset", "response": {"status", "reason", "http_version", "headers"}}`: the head;
    - `{"offset", "read": TEXT}` or `{"offset", "read_base64": B64}`: one network read of
      the body (base64 when it is not UTF-8 on its own: it ends inside a character);
    - `{"offset", "data", "whole_response"[, "event"]}`: one SSE payload (or a whole body);
    - `{"offset", "comment": LINE}`: one SSE comment line.

    Databases written before reads, heads and comments were kept hold only the first and
    the fourth kind; readers skip kinds they do not know.

    Returns:
        The number of chunks (payloads: requests, heads, reads and comments not counted) and
        the compressed bytes.
    """
    lines: list[str] = []
    count = 0
    for record in records:
        if isinstance(record, RawChunk):
            count += 1
        lines.append(json.dumps(_record_line(record), ensure_ascii=False))
    return count, zlib.compress("\n".join(lines).encode("utf-8"), 6)


def _line_record(entry: dict[str, Any]) -> WireRecord | None:
    if "data" in entry:
        event = entry.get("event")
        return RawChunk(
            str(entry["data"]),
            float(entry["offset"]),
            bool(entry.get("whole_response")),
            None if event is None else str(event),
        )
    if "request" in entry:
        return RequestSent(entry["request"])
    if "read" in entry:
        return BodyRead(str(entry["read"]).encode("utf-8"), float(entry["offset"]))
    if "read_base64" in entry:
        return BodyRead(base64.b64decode(entry["read_base64"]), float(entry["offset"]))
    if "comment" in entry:
        return RawComment(str(entry["comment"]), float(entry["offset"]))
    head = entry.get("response")
    if isinstance(head, dict):
        return ResponseHead(
            int(head.get("status") or 0),
            {str(k): str(v) for k, v in (head.get("headers") or {}).items()},
            float(entry.get("offset") or 0.0),
            str(head.get("reason") or ""),
            str(head.get("http_version") or ""),
        )
    return None  # a kind of a later tuichat


def decode_wire_records(data: bytes) -> list[WireRecord]:
    """Every record `encode_raw_chunks` stored, in order (old databases: requests and chunks)."""
    text = zlib.decompress(data).decode("utf-8")
    records: list[WireRecord] = []
    for line in text.split("\n"):
        if line:
            record = _line_record(json.loads(line))
            if record is not None:
                records.append(record)
    return records


def decode_raw_chunks(data: bytes) -> list[RawRecord]:
    """The requests and chunks `encode_raw_chunks` stored (what the inspector lists)."""
    return [
        record for record in decode_wire_records(data) if isinstance(record, RawChunk | RequestSent)
    ]


def quote_fts_query(query: str) -> str:
    """Make any user text a safe FTS5 query: every word a quoted phrase (all must match)."""
    terms = query.split()
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)
