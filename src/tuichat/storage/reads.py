"""Reading the history: listing conversations, loading their messages, full-text search.

Reads never take the write lock; in WAL mode they see the last committed state even while
another process writes.
"""

from __future__ import annotations

import sqlite3

from tuichat.core.events import WireRecord
from tuichat.storage.attachment_store import restore
from tuichat.storage.branches import BranchTree
from tuichat.storage.connection import StoreConnection, guarded
from tuichat.storage.context import read_summaries, with_summaries
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import (
    BRANCH_NODE_SELECT,
    MESSAGE_SELECT,
    ConversationSummary,
    Message,
    RawRecord,
    SearchResult,
    StoredMessage,
    decode_raw_chunks,
    decode_wire_records,
    make_title,
    quote_fts_query,
    row_branch_node,
    row_message,
)

_SNIPPET_TOKENS = 24  # words around a match: about two lines of a search result at 80 columns

# A conversation's title when the user gave it none: its first live prompt (an edited and
# re-sent first prompt replaces the old one), else its first prompt at all.
_FIRST_PROMPT = """coalesce(
    (SELECT substr(p.content, 1, 400) FROM messages p
     WHERE p.conversation_id = c.id AND p.role = 'user' AND p.replaced IS NULL
     ORDER BY p.position LIMIT 1),
    (SELECT substr(p.content, 1, 400) FROM messages p
     WHERE p.conversation_id = c.id AND p.role = 'user'
     ORDER BY p.position LIMIT 1))"""


class HistoryReads(StoreConnection):
    """The store's reads (`HistoryStore` is this plus `HistoryWrites`)."""

    # -- conversations ---------------------------------------------------------------------

    _SUMMARY_SELECT = f"""
        SELECT c.id, c.title, c.created, c.updated, c.model, c.provider,
            {_FIRST_PROMPT} AS first_prompt,
            (SELECT count(*) FROM messages m
             WHERE m.conversation_id = c.id AND m.replaced IS NULL AND m.role != 'system')
             AS message_count,
            (SELECT count(*) FROM messages m
             WHERE m.conversation_id = c.id
             AND NOT EXISTS (SELECT 1 FROM messages k WHERE k.parent_id = m.id))
             AS branch_count
        FROM conversations c
    """

    @staticmethod
    def _summary(row: sqlite3.Row) -> ConversationSummary:
        renamed = row["title"] is not None
        return ConversationSummary(
            id=row["id"],
            title=make_title(row["title"] if renamed else row["first_prompt"]),
            created=row["created"],
            updated=row["updated"],
            model=row["model"],
            provider=row["provider"],
            message_count=row["message_count"],
            renamed=renamed,
            branch_count=row["branch_count"],
        )

    @guarded
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

    @guarded
    def get_conversation(self, conversation_id: int) -> ConversationSummary | None:
        """One conversation's summary, or None when there is no such conversation."""
        row = self._db.execute(
            self._SUMMARY_SELECT + " WHERE c.id = ?", (conversation_id,)
        ).fetchone()
        return None if row is None else self._summary(row)

    @guarded
    def system_prompt(self, conversation_id: int) -> str | None:
        """The system prompt the conversation was created with."""
        row = self._db.execute(
            "SELECT system_prompt FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        return None if row is None else row[0]

    @guarded
    def last_conversation_id(self) -> int | None:
        """The most recently updated conversation (what `--continue` continues)."""
        row = self._db.execute(
            "SELECT id FROM conversations ORDER BY updated DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else int(row[0])

    @guarded
    def open_tabs(self) -> tuple[list[int], int | None]:
        """The conversations that were open in the app's tabs, in order, and the one shown."""
        rows = self._db.execute(
            "SELECT conversation_id, active FROM open_tabs ORDER BY position"
        ).fetchall()
        active = next((int(row[0]) for row in rows if row[1]), None)
        return [int(row[0]) for row in rows], active

    @guarded
    def recent_prompts(self, limit: int = 100) -> list[str]:
        """What the user typed recently, newest first, each text once (for Up-arrow recall)."""
        # A prompt that attached files was typed as `typed` (its content has the files too).
        rows = self._db.execute(
            "SELECT typed, max(id) AS latest FROM (SELECT id, "
            "coalesce(json_extract(extra, '$.typed'), content) AS typed FROM messages "
            "WHERE role = 'user') WHERE typed IS NOT NULL AND typed != '' GROUP BY typed "
            "ORDER BY latest DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [row[0] for row in rows]

    # -- messages --------------------------------------------------------------------------

    @guarded
    def load_raw_chunks(self, message_id: int) -> list[RawRecord]:
        """An answer's request and raw chunks, as the inspector showed them (empty if none)."""
        row = self._db.execute(
            "SELECT data FROM raw_chunks WHERE message_id = ?", (message_id,)
        ).fetchone()
        return [] if row is None else decode_raw_chunks(row[0])

    @guarded
    def load_wire_records(self, message_id: int) -> list[WireRecord]:
        """Everything kept of an answer's wire: its request, the response's head, each read of
        the body and each SSE payload and comment line (older answers: request and payloads).
        Empty when nothing was kept."""
        row = self._db.execute(
            "SELECT data FROM raw_chunks WHERE message_id = ?", (message_id,)
        ).fetchone()
        return [] if row is None else decode_wire_records(row[0])

    @guarded
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

    @guarded
    def message_rows(
        self, conversation_id: int, *, include_replaced: bool = True
    ) -> list[StoredMessage]:
        """The conversation's messages with their ids, statuses and branch markers.

        Without `include_replaced` they are the branch shown, with the summaries sent in
        place of some of its messages among them (`tuichat.storage.context`).
        """
        where = "" if include_replaced else " AND replaced IS NULL"
        rows = self._db.execute(
            MESSAGE_SELECT + f" WHERE conversation_id = ?{where} ORDER BY position",
            (conversation_id,),
        ).fetchall()
        stored = [
            StoredMessage(
                id=row["id"],
                position=row["position"],
                parent_id=row["parent_id"],
                status=row["status"],
                replaced=row["replaced"] is not None,
                created=row["created"],
                model=row["model"],
                provider=row["provider"],
                message=restore(self._db, row_message(row)),
                left_out_at=row["left_out"],
            )
            for row in rows
        ]
        if include_replaced:
            return stored
        return with_summaries(stored, read_summaries(self._db, conversation_id))

    # -- branches ------------------------------------------------------------------------

    @guarded
    def branch_tree(self, conversation_id: int) -> BranchTree:
        """The tree of the conversation's versions (empty for an unknown conversation)."""
        rows = self._db.execute(
            BRANCH_NODE_SELECT + " WHERE conversation_id = ?", (conversation_id,)
        ).fetchall()
        return BranchTree(row_branch_node(row) for row in rows)

    @guarded
    def branch_rows(
        self, conversation_id: int, message_id: int, *, to_leaf: bool = True
    ) -> list[StoredMessage]:
        """The messages of the branch through a message, without making it the one shown.

        Args:
            conversation_id: the conversation.
            message_id: any message of it.
            to_leaf: go on below the message, along the versions shown last with it (else
                the branch ends at it).

        With the summaries sent in place of some of its messages among them.

        Raises:
            StorageError: the conversation has no such message (kind "missing").
        """
        tree = self.branch_tree(conversation_id)
        if message_id not in tree:
            raise StorageError(
                f"Conversation {conversation_id} has no message {message_id}.",
                kind="missing",
                path=self.path,
            )
        path = tree.path_through(message_id, to_leaf=to_leaf)
        rows = {row.id: row for row in self.message_rows(conversation_id)}
        summaries = read_summaries(self._db, conversation_id)
        return with_summaries([rows[message] for message in path], summaries)

    # -- search ----------------------------------------------------------------------------

    @guarded
    def search(
        self, query: str, limit: int = 50, *, markers: tuple[str, str] = ("[", "]")
    ) -> list[SearchResult]:
        """Full-text search over message text and the files prompts attached, best first.

        A match in an attached file is a result for the prompt that attached it (its
        snippet from the file's name and text).

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
            f"""
            SELECT m.conversation_id, m.id, m.role, m.created, c.title,
                snippet(messages_fts, -1, ?, ?, '…', ?) AS snippet,
                {_FIRST_PROMPT} AS first_prompt
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
                title=make_title(row["title"] or row["first_prompt"]),
                snippet=" ".join(row["snippet"].split()),
                role=row["role"],
                created=row["created"],
            )
            for row in rows
        ]
