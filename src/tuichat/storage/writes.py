"""Writing the history: conversations (create, rename, delete) and the turns in them.

A turn is written as it happens: the prompt with `add_message`, then each answer with
`start_answer` (a `streaming` row), `checkpoint_answer` about once a second, and
`finish_answer` with the final message and its raw chunks; `replace_last_answer` keeps a
regenerated answer as a replaced branch. `switch_branch` shows another branch (another
version of a message, `tuichat.storage.branches`) and `add_sibling_answer` keeps another
answer to the last prompt beside the one shown. Every write is one `BEGIN IMMEDIATE`
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuichat.core.events import WireRecord
from tuichat.storage.attachment_store import stash
from tuichat.storage.branches import BranchTree
from tuichat.storage.connection import StoreConnection, guarded
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import (
    BRANCH_NODE_SELECT,
    Message,
    encode_raw_chunks,
    message_columns,
    row_branch_node,
)


class _LastShown:
    """The parent of a message written at the end of the conversation shown."""


LAST_SHOWN = _LastShown()


class HistoryWrites(StoreConnection):
    """The store's writes (`HistoryStore` is this plus `HistoryReads`)."""

    # -- helpers ---------------------------------------------------------------------------

    def _insert_message(
        self,
        conversation_id: int,
        columns: dict[str, Any],
        model: str | None,
        provider: str | None,
        now: float,
        *,
        parent_id: int | _LastShown | None = LAST_SHOWN,
        replaced: float | None = None,
    ) -> int:
        """Insert a row (caller holds the write lock).

        Args:
            parent_id: the message it follows; by default the last of the conversation shown.
            replaced: not on the branch shown: since when (None: it is shown).
        """
        if isinstance(parent_id, _LastShown):
            last = self._db.execute(
                "SELECT id FROM messages WHERE conversation_id = ? AND replaced IS NULL "
                "ORDER BY position DESC LIMIT 1",
                (conversation_id,),
            ).fetchone()
            parent_id = last[0] if last else None
        position = self._db.execute(
            "SELECT coalesce(max(position), -1) + 1 FROM messages WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()[0]
        values = dict(columns)
        values.update(
            conversation_id=conversation_id,
            position=position,
            parent_id=parent_id,
            replaced=replaced,
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

    def _save_raw(self, message_id: int, chunks: Sequence[WireRecord]) -> None:
        count, data = encode_raw_chunks(chunks)
        self._db.execute(
            "INSERT OR REPLACE INTO raw_chunks (message_id, count, data) VALUES (?, ?, ?)",
            (message_id, count, data),
        )

    def _tree(self, conversation_id: int) -> BranchTree:
        rows = self._db.execute(
            BRANCH_NODE_SELECT + " WHERE conversation_id = ?", (conversation_id,)
        ).fetchall()
        return BranchTree(row_branch_node(row) for row in rows)

    def _show_path(
        self, conversation_id: int, tree: BranchTree, path: Sequence[int], now: float
    ) -> bool:
        """Make `path` the conversation shown: what leaves it is marked replaced now, what
        joins it is unmarked. Returns whether anything changed."""
        keep = set(path)
        leaving = [(now, message) for message in tree.shown if message not in keep]
        joining = [(message,) for message in path if not tree.nodes[message].live]
        self._db.executemany("UPDATE messages SET replaced = ? WHERE id = ?", leaving)
        self._db.executemany("UPDATE messages SET replaced = NULL WHERE id = ?", joining)
        changed = bool(leaving or joining)
        if changed:
            self._touch(conversation_id, now, None, None)
        return changed

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

    @guarded
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
                    message_columns(stash(self._db, message)),
                    model if message.get("role") == "assistant" else None,
                    provider if message.get("role") == "assistant" else None,
                    now,
                )
        return conversation_id

    @guarded
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

    @guarded
    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation with its messages and raw chunks.

        Returns:
            Whether there was such a conversation.
        """
        with self._write():
            cursor = self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return cursor.rowcount > 0

    @guarded
    def set_open_tabs(self, conversation_ids: Sequence[int], active: int | None) -> None:
        """Remember the conversations open in the app's tabs, in order (`--continue`).

        Args:
            conversation_ids: the saved conversations the tabs show (others are left out).
            active: the one shown, if it is among them.
        """
        with self._write():
            self._db.execute("DELETE FROM open_tabs")
            self._db.executemany(
                "INSERT INTO open_tabs (position, conversation_id, active) "
                "SELECT ?, id, ? FROM conversations WHERE id = ?",
                [
                    (position, int(cid == active), cid)
                    for position, cid in enumerate(conversation_ids)
                ],
            )

    # -- messages --------------------------------------------------------------------------

    @guarded
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
                conversation_id,
                message_columns(stash(self._db, message), status),
                model,
                provider,
                now,
            )
            self._touch(conversation_id, now, model, provider)
        return message_id

    @guarded
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

    @guarded
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

    @guarded
    def finish_answer(
        self,
        message_id: int,
        message: Message,
        *,
        raw_chunks: Sequence[WireRecord] | None = None,
        status: str | None = None,
    ) -> None:
        """Replace a streaming answer's row with its final message.

        Args:
            message_id: from `start_answer`.
            message: the final dict (from `Conversation.messages`); `cancelled`/`error`
                decide the status unless `status` is given.
            raw_chunks: the answer's wire records to keep (None: keep none).
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
                self._save_raw(message_id, raw_chunks)
            self._db.execute(
                "UPDATE conversations SET updated = ? WHERE id = "
                "(SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id),
            )

    @guarded
    def save_raw_chunks(self, message_id: int, chunks: Sequence[WireRecord]) -> None:
        """Keep an answer's wire records: request, head, reads, payloads (compressed)."""
        with self._write():
            self._save_raw(message_id, chunks)

    @guarded
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

    # -- branches --------------------------------------------------------------------------

    @guarded
    def switch_branch(
        self, conversation_id: int, message_id: int, *, to_leaf: bool = True
    ) -> list[int]:
        """Show the branch through a message (one of its versions, or any message of the tree).

        The conversation shown becomes the path to the message and, with `to_leaf`, on down
        the versions that were shown with it last; without, it ends at the message (the next
        prompt or answer starts a new branch there). `load_messages`, `--continue` and
        `export` follow it; the branch it replaces stays, marked replaced.

        Args:
            conversation_id: the conversation.
            message_id: a message of it.
            to_leaf: go on below the message (else the conversation ends at it).

        Returns:
            The ids of the conversation shown now, first to last.

        Raises:
            StorageError: no such conversation or message (kind "missing"), or the file failed.
        """
        now = self._clock()
        with self._write():
            self._require(conversation_id)
            tree = self._tree(conversation_id)
            if message_id not in tree:
                raise StorageError(
                    f"Conversation {conversation_id} has no message {message_id}.",
                    kind="missing",
                    path=self.path,
                )
            path = tree.path_through(message_id, to_leaf=to_leaf)
            self._show_path(conversation_id, tree, path, now)
        return path

    @guarded
    def add_sibling_answer(
        self,
        conversation_id: int,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        provider: str | None = None,
        raw_chunks: Sequence[Sequence[WireRecord] | None] = (),
        prompt_id: int | None = None,
        show: bool = False,
    ) -> list[int]:
        """Keep another answer to a prompt beside the answer shown: another version of it,
        which stepping through versions (and the tree view) reaches.

        Args:
            conversation_id: the conversation.
            messages: the answer: its assistant message, then any tool results and later
                rounds, as `Conversation.messages` holds them.
            model: the model that wrote it (stored on its assistant messages).
            provider: the provider that answered.
            raw_chunks: the wire records of each message, in order (None or missing: none).
            prompt_id: the prompt it answers; by default the last prompt shown.
            show: make it the answer shown (else the one shown stays).

        Returns:
            The new messages' ids, in order.

        Raises:
            StorageError: no such conversation, or no such prompt (kind "missing").
            ValueError: `messages` is empty or does not start with an assistant message.
        """
        if not messages or messages[0].get("role") != "assistant":
            raise ValueError("an answer starts with an assistant message")
        now = self._clock()
        with self._write():
            self._require(conversation_id)
            if prompt_id is None:
                row = self._db.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND role = 'user' "
                    "AND replaced IS NULL ORDER BY position DESC LIMIT 1",
                    (conversation_id,),
                ).fetchone()
            else:
                row = self._db.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND id = ?",
                    (conversation_id, prompt_id),
                ).fetchone()
            if row is None:
                which = "a prompt" if prompt_id is None else f"a message {prompt_id}"
                raise StorageError(
                    f"Conversation {conversation_id} has no {which} to answer.",
                    kind="missing",
                    path=self.path,
                )
            parent: int = row[0]
            ids: list[int] = []
            for index, message in enumerate(messages):
                assistant = message.get("role") == "assistant"
                parent = self._insert_message(
                    conversation_id,
                    message_columns(message),
                    model if assistant else None,
                    provider if assistant else None,
                    now,
                    parent_id=parent,
                    replaced=now,  # shown below, if asked
                )
                ids.append(parent)
                chunks = raw_chunks[index] if index < len(raw_chunks) else None
                if chunks:
                    self._save_raw(parent, chunks)
            if show:
                tree = self._tree(conversation_id)
                self._show_path(conversation_id, tree, tree.path_to(ids[-1]), now)
            else:
                self._touch(conversation_id, now, None, None)
        return ids
