"""What of a conversation is sent: messages left out of the context, and summaries.

A message row keeps when the user left it out of what is sent (`left_out`; NULL: it is
sent). A summary is written in place of some messages (`context_summaries`): it is sent
after the last message it summarises (`after_id`), on every branch through that message, and
those messages are left out when it is made. Both can be put back; the rows stay.

A branch's rows (`HistoryReads.message_rows`, `branch_rows`) hold the summaries in their
place, as rows whose message is what is sent (a user message) with a `summary` key:
`{"id", "count", "messages", "summaries", "model"}`, `count` being the messages of the
conversation it was written from (an answer with its tool results counts once).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuichat.core.text import counted
from tuichat.storage.connection import StoreConnection, guarded
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import Message, StoredMessage


@dataclass(frozen=True, slots=True)
class ContextSummary:
    """A summary sent in place of some messages.

    Attributes:
        id: its row id.
        after_id: the last message it summarises (it is sent after it).
        messages: the messages it summarises (left out when it was made).
        summaries: the earlier summaries it summarises.
        count: how many messages of the conversation it was written from (an answer with
            its tool results counts once, an earlier summary once).
        content: what is sent: a line saying what it is, a blank line, the summary.
        model: the model that wrote it.
        left_out_at: when it was left out (None: it is sent).
        created: when it was written.
    """

    id: int
    after_id: int
    messages: tuple[int, ...]
    summaries: tuple[int, ...]
    count: int
    content: str
    model: str | None
    left_out_at: float | None
    created: float


def summary_label(count: int, model: str) -> str:
    """The first line of a summary as sent: what it is and what it stands for."""
    return (
        f"[Summary of {counted(count, 'earlier message')} of this conversation, written by "
        f"{model} and sent in their place.]"
    )


def summary_content(count: int, model: str, text: str) -> str:
    """What a summary sends: its label, a blank line, the summary."""
    return f"{summary_label(count, model)}\n\n{text.strip()}"


def summary_text(content: str) -> str:
    """The summary itself, without its label."""
    return content.split("\n\n", 1)[-1] if content.startswith("[Summary of ") else content


_SUMMARY_SELECT = (
    "SELECT id, after_id, covers, content, model, left_out, created FROM context_summaries"
)


def _summary(row: sqlite3.Row) -> ContextSummary:
    covers = json.loads(row["covers"])
    return ContextSummary(
        id=row["id"],
        after_id=row["after_id"],
        messages=tuple(int(i) for i in covers.get("messages") or ()),
        summaries=tuple(int(i) for i in covers.get("summaries") or ()),
        count=int(covers.get("count") or 0),
        content=row["content"],
        model=row["model"],
        left_out_at=row["left_out"],
        created=row["created"],
    )


def read_summaries(db: sqlite3.Connection, conversation_id: int) -> list[ContextSummary]:
    """A conversation's summaries, oldest first."""
    rows = db.execute(
        _SUMMARY_SELECT + " WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    ).fetchall()
    return [_summary(row) for row in rows]


def summary_message(summary: ContextSummary) -> Message:
    """The message a summary sends, with what tuichat knows of it under `summary`."""
    message: Message = {
        "role": "user",
        "content": summary.content,
        "summary": {
            "id": summary.id,
            "count": summary.count,
            "messages": list(summary.messages),
            "summaries": list(summary.summaries),
            "model": summary.model,
        },
    }
    if summary.left_out_at is not None:
        message["left_out"] = True
    return message


def with_summaries(
    rows: Sequence[StoredMessage], summaries: Sequence[ContextSummary]
) -> list[StoredMessage]:
    """A branch's rows with each summary after the last message it summarises (summaries of
    messages not on the branch are not)."""
    after: dict[int, list[ContextSummary]] = {}
    for summary in summaries:
        after.setdefault(summary.after_id, []).append(summary)
    out: list[StoredMessage] = []
    for row in rows:
        out.append(row)
        for summary in after.get(row.id, ()):
            out.append(
                StoredMessage(
                    id=summary.id,
                    position=row.position,
                    parent_id=row.id,
                    status="complete",
                    replaced=row.replaced,
                    created=summary.created,
                    model=summary.model,
                    provider=None,
                    message=summary_message(summary),
                    left_out_at=summary.left_out_at,
                )
            )
    return out


class HistoryContext(StoreConnection):
    """The store's operations on what is sent (part of `HistoryStore`)."""

    @guarded
    def summaries(self, conversation_id: int) -> list[ContextSummary]:
        """The conversation's summaries, oldest first (those of every branch)."""
        return read_summaries(self._db, conversation_id)

    @guarded
    def set_left_out(
        self, message_ids: Sequence[int], summary_ids: Sequence[int] = (), *, left_out: bool
    ) -> None:
        """Leave messages and summaries out of what is sent, or put them back.

        Args:
            message_ids: the messages.
            summary_ids: the summaries.
            left_out: leave them out (True) or put them back (False). Leaving out one that
                is left out already keeps when it was.
        """
        now = self._clock() if left_out else None
        with self._write():
            for table, ids in (("messages", message_ids), ("context_summaries", summary_ids)):
                if left_out:
                    sql = f"UPDATE {table} SET left_out = ? WHERE id = ? AND left_out IS NULL"
                else:
                    sql = f"UPDATE {table} SET left_out = ? WHERE id = ?"
                self._db.executemany(sql, [(now, i) for i in ids])
                self._touch_by(table, ids)

    def _touch_by(self, table: str, ids: Sequence[int]) -> None:
        if ids:
            self._db.execute(
                f"UPDATE conversations SET updated = ? WHERE id = "
                f"(SELECT conversation_id FROM {table} WHERE id = ?)",
                (self._clock(), ids[0]),
            )

    @guarded
    def add_summary(
        self,
        conversation_id: int,
        after_id: int,
        *,
        messages: Sequence[int],
        summaries: Sequence[int] = (),
        count: int,
        content: str,
        model: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> int:
        """Keep a summary written in place of some messages, and leave those out.

        Args:
            conversation_id: the conversation.
            after_id: the last message it summarises (it is sent after it).
            messages: the messages it summarises.
            summaries: the earlier summaries it summarises.
            count: how many messages of the conversation it was written from.
            content: what is sent.
            model: the model that wrote it.
            usage: the token usage of the request that wrote it.

        Returns:
            The summary's id.

        Raises:
            StorageError: the conversation has no such message (kind "missing").
        """
        now = self._clock()
        covers = {"messages": list(messages), "summaries": list(summaries), "count": count}
        with self._write():
            found = self._db.execute(
                "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?",
                (after_id, conversation_id),
            ).fetchone()
            if found is None:
                raise StorageError(
                    f"Conversation {conversation_id} has no message {after_id}.",
                    kind="missing",
                    path=self.path,
                )
            cursor = self._db.execute(
                "INSERT INTO context_summaries (conversation_id, after_id, covers, content, "
                "model, usage, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    after_id,
                    json.dumps(covers, separators=(",", ":")),
                    content,
                    model,
                    None if usage is None else json.dumps(usage, separators=(",", ":")),
                    now,
                ),
            )
            for table, ids in (("messages", messages), ("context_summaries", summaries)):
                self._db.executemany(
                    f"UPDATE {table} SET left_out = ? WHERE id = ? AND left_out IS NULL",
                    [(now, i) for i in ids],
                )
            self._db.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id)
            )
        return int(cursor.lastrowid or 0)
