"""What of a conversation is sent: leaving messages out, putting them back, summaries.

A front end (the app's Context screen) lists the conversation as `ContextItem`s: the system
prompt, each prompt, each answer with the results of its tool calls (left out and put back
together, so a request never holds calls without their results, nor results without their
calls), and each summary. Leaving one out marks its messages `left_out`: the history keeps
them and the flag, the conversation shows them dimmed, and every request leaves them out
(`tuichat.core.messages.sent_flags`, the one rule). A summary (`tuichat.session.
context_summary`) is sent in place of the messages it was written from, which it leaves out;
leaving the summary out puts them back, and putting it back leaves them out again.

The count the server gave for the last answer stops applying to what changed before it:
`ContextChanges` keeps the estimate of that change, for the prompt's budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tuichat.core.client import ChatClient
from tuichat.core.text import strip_control
from tuichat.session.context_budget import (
    ContextChanges,
    estimate_tokens,
    last_counted,
    sent_text,
)
from tuichat.session.events import Message, content_text
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import StoredMessage

ItemKind = Literal["system", "user", "answer", "tool", "summary"]
BUSY = "An answer is arriving: Esc cancels it, then the context can change."


class ContextError(Exception):
    """The context cannot change now, or a summary failed; the message says why (and that
    nothing changed)."""


@dataclass(eq=False)
class ContextItem:
    """One thing of the conversation that is sent or left out as a whole.

    Attributes:
        kind: the system prompt, a prompt, an answer (its tool results with it), a tool
            result that follows no answer, or a summary.
        messages: its messages, the conversation's own dicts (an answer: the assistant
            message, then its tool results).
        ids: their ids in the history (a summary: the summary's); empty when not saved.
        tokens: what it sends, in tokens.
        counted: whether `tokens` is what the server counted (else it is estimated).
    """

    kind: ItemKind
    messages: list[Message]
    ids: list[int] = field(default_factory=list)
    tokens: int = 0
    counted: bool = False

    @property
    def message(self) -> Message:
        """Its first message (the prompt, the answer, the summary)."""
        return self.messages[0]

    @property
    def left_out(self) -> bool:
        """Whether requests leave it out."""
        return bool(self.message.get("left_out"))

    @property
    def summary(self) -> dict[str, Any] | None:
        """What tuichat knows of a summary (`count`, `model`, ...); None for the others."""
        info = self.message.get("summary")
        return info if isinstance(info, dict) else None

    def preview(self) -> str:
        """Its first line of text (an answer with none: the tools it called)."""
        text = content_text(self.message.get("content"))
        if self.kind == "summary":
            text = text.split("\n\n", 1)[-1]
        line = next((ln.strip() for ln in strip_control(text).splitlines() if ln.strip()), "")
        if line:
            return line
        calls = self.message.get("tool_calls") or []
        names = [str((call.get("function") or {}).get("name") or "?") for call in calls]
        return f"calls {', '.join(names)}" if names else "(empty)"


def _usage(message: Message | None) -> tuple[int, int] | None:
    """(prompt, completion) tokens of an answer the server counted."""
    if message is None or message.get("role") != "assistant":
        return None
    usage = message.get("usage")
    if not isinstance(usage, dict) or not usage.get("prompt_tokens"):
        return None
    return int(usage["prompt_tokens"]), int(usage.get("completion_tokens") or 0)


def message_tokens(message: Message) -> int:
    """What one message sends, in tokens: an answer's completion as counted, else estimated."""
    usage = _usage(message)
    if usage is not None and not message.get("continued"):
        return usage[1]
    return estimate_tokens(sent_text(message))


def _counted(messages: Sequence[Message], start: int, end: int) -> int | None:
    """The tokens of `messages[start:end]` as the server counted them, where its usages tell:
    an answer's completion; an answer with its tool results, or a prompt between two counted
    answers, by what the next answer's prompt count adds. None when they do not tell (the
    first prompt's count holds the tools offered too), or when something before was left
    out or summarised (the counts were of other requests then)."""
    first, after = messages[start], messages[end] if end < len(messages) else None
    if first.get("role") == "assistant":
        usage = _usage(first)
        if usage is None or first.get("continued"):
            return None
        if end == start + 1:
            return usage[1]
        earlier, later = first, after
    elif first.get("role") == "user" and start > 0:
        earlier, later = messages[start - 1], after
    else:
        return None
    before, following = _usage(earlier), _usage(later)
    if before is None or following is None:
        return None
    if any(m.get("left_out") or "summary" in m for m in messages[:end]):
        return None
    added = following[0] - before[0] - (before[1] if earlier is not first else 0)
    return added if added > 0 else None


def context_items(messages: Sequence[Message], ids: Sequence[int | None]) -> list[ContextItem]:
    """The conversation's messages as items (see `ContextItem`), with their token counts.

    Args:
        messages: the conversation, as `ChatSession.messages`.
        ids: the stored id of each message (a summary's: the summary's), None when unknown.
    """
    spans: list[tuple[ItemKind, int, int]] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool" and spans and spans[-1][0] in ("answer", "tool"):
            previous, start, _ = spans[-1]
            spans[-1] = (previous, start, index + 1)
            continue
        kind: ItemKind = (
            "summary"
            if "summary" in message
            else "answer"
            if role == "assistant"
            else "tool"
            if role == "tool"
            else "system"
            if role == "system"
            else "user"
        )
        spans.append((kind, index, index + 1))
    items: list[ContextItem] = []
    for kind, start, end in spans:
        group = list(messages[start:end])
        known = [i for i in ids[start:end] if i is not None]
        counted = _counted(messages, start, end) if kind in ("user", "answer") else None
        tokens = counted if counted is not None else sum(message_tokens(m) for m in group)
        items.append(
            ContextItem(
                kind,
                group,
                known if len(known) == len(group) else [],
                tokens,
                counted is not None,
            )
        )
    return items


def changes_since_counted(rows: Sequence[StoredMessage]) -> ContextChanges:
    """What was left out, put back or summarised before the last counted answer since it was
    counted, as far as the history tells (when each was left out, or written)."""
    messages = [row.message for row in rows]
    index = last_counted(messages)
    if index is None:
        return ContextChanges()
    changes = ContextChanges(base=messages[index])
    since = rows[index].created
    for row in rows[: index + 1]:
        if row.is_summary and row.created > since:
            tokens = 0 if row.left_out_at is not None else message_tokens(row.message)
        elif row.left_out_at is not None and row.left_out_at > since:
            tokens = -message_tokens(row.message)
        else:
            continue
        changes.tokens += tokens
        changes.changed = True
    return changes


class ContextHost(Protocol):
    """What of a session its context uses (`ChatSession` is one)."""

    history: AsyncHistory | None
    conversation_id: int | None
    save: bool

    @property
    def messages(self) -> list[Message]: ...

    @property
    def client(self) -> ChatClient: ...

    @property
    def turn_running(self) -> bool: ...

    def note(self, message: str, title: str = ..., severity: Any = ...) -> None: ...


class ConversationContext:
    """A session's context: what is left out, what each summary replaced, what changed.

    Args:
        host: the session.
    """

    def __init__(self, host: ContextHost) -> None:
        self.host = host
        self.changes = ContextChanges()
        # Each summary (its dict) with the dicts it was written from: what putting it back
        # leaves out again, and leaving it out puts back.
        self._covers: list[tuple[Message, list[Message]]] = []

    def load(self, rows: Sequence[StoredMessage]) -> list[Message]:
        """The messages of a branch read from the history, its summaries' covers known.

        Returns:
            The messages, for the conversation.
        """
        messages = {row.id: row.message for row in rows if not row.is_summary}
        summaries = {row.id: row.message for row in rows if row.is_summary}
        self._covers = []
        for row in rows:
            info = row.message.get("summary")
            if row.is_summary and isinstance(info, dict):
                covered = [messages[i] for i in info.get("messages") or () if i in messages]
                covered += [summaries[i] for i in info.get("summaries") or () if i in summaries]
                self._covers.append((row.message, covered))
        self.changes = changes_since_counted(rows)
        return [row.message for row in rows]

    def forget(self) -> None:
        """A new conversation: nothing is left out, nothing changed."""
        self.changes = ContextChanges()
        self._covers = []

    def covered(self, summary: Message) -> list[Message]:
        """The messages (and earlier summaries) a summary was written from."""
        return next((covered for s, covered in self._covers if s is summary), [])

    def add_covers(self, summary: Message, covered: list[Message]) -> None:
        """Remember what a new summary was written from."""
        self._covers.append((summary, covered))

    # -- what the history says -------------------------------------------------------------

    def saving(self) -> tuple[AsyncHistory, int] | None:
        """The history and the conversation's id, when changes are saved."""
        host = self.host
        if host.history is None or host.conversation_id is None or not host.save:
            return None
        return host.history, host.conversation_id

    async def stored_ids(self) -> list[int | None]:
        """The stored id of each of the conversation's messages (None where the history does
        not have it as the conversation holds it: not saved, or saved otherwise)."""
        messages = self.host.messages
        unknown: list[int | None] = [None] * len(messages)
        host = self.host
        if host.history is None or host.conversation_id is None:
            return unknown
        try:
            rows = await host.history.message_rows(host.conversation_id, include_replaced=False)
        except (StorageError, RuntimeError):  # RuntimeError: the history closed meanwhile
            return unknown
        if len(rows) != len(messages):
            return unknown
        for row, message in zip(rows, messages, strict=True):
            info = message.get("summary")
            same = row.message.get("role") == message.get("role") and (
                row.id == info.get("id") if isinstance(info, dict) else not row.is_summary
            )
            if not same:
                return unknown
        return [row.id for row in rows]

    async def items(self) -> list[ContextItem]:
        """The conversation as items, with their stored ids where known."""
        return context_items(self.host.messages, await self.stored_ids())

    # -- leaving out and putting back ------------------------------------------------------

    async def set_left_out(self, items: Sequence[ContextItem], left_out: bool) -> None:
        """Leave items out of what is sent, or put them back (in memory and in the history).

        A summary takes what it was written from the other way: left out, they are put back;
        put back, they are left out again.

        Raises:
            ContextError: an answer is arriving.
        """
        if self.host.turn_running:
            raise ContextError(BUSY)
        changes: list[tuple[ContextItem | Message, bool]] = []
        for item in items:
            changes.append((item, left_out))
            if item.summary is not None:
                changes.extend((m, not left_out) for m in self.covered(item.message))
        await self.apply(changes)

    async def apply(self, changes: Sequence[tuple[ContextItem | Message, bool]]) -> None:
        """Set these items' (or single messages') `left_out` and save it (see `mark`)."""
        by_state, unsaved = await self.mark(changes)
        await self._save(by_state, unsaved)

    async def mark(
        self, changes: Sequence[tuple[ContextItem | Message, bool]]
    ) -> tuple[dict[bool, tuple[list[int], list[int]]], bool]:
        """Set these items' (or single messages') `left_out` in the conversation, noting what
        the budget loses or gains.

        Returns:
            The stored ids to save, by the state they take: (message ids, summary ids); and
            whether some of them are not known (not saved as shown).
        """
        messages = self.host.messages
        by_state: dict[bool, tuple[list[int], list[int]]] = {True: ([], []), False: ([], [])}
        unsaved = False
        ids: list[int | None] | None = None
        for target, left_out in changes:
            if isinstance(target, ContextItem):
                group, item_ids = target.messages, list(target.ids)
            else:
                ids = ids if ids is not None else await self.stored_ids()
                group, item_ids = [target], []
                position = next((i for i, m in enumerate(messages) if m is target), None)
                stored = ids[position] if position is not None else None
                if stored is not None:
                    item_ids = [stored]
            if all(bool(m.get("left_out")) == left_out for m in group):
                continue
            for message in group:
                sign = -1 if left_out else 1
                self.changes.record(messages, message, sign * message_tokens(message))
                if left_out:
                    message["left_out"] = True
                else:
                    message.pop("left_out", None)
            if not item_ids:
                unsaved = True
                continue
            by_state[left_out][1 if "summary" in group[0] else 0].extend(item_ids)
        return by_state, unsaved

    async def _save(self, by_state: dict[bool, tuple[list[int], list[int]]], unsaved: bool) -> None:
        saving = self.saving()
        if saving is None:
            return
        history, _ = saving
        try:
            for left_out, (message_ids, summary_ids) in by_state.items():
                if message_ids or summary_ids:
                    await history.set_left_out(message_ids, summary_ids, left_out=left_out)
        except StorageError as error:
            self.host.note(str(error), "Not saved", "error")
            return
        if unsaved:
            self.host.note(
                "Part of this conversation is not saved as it is shown, so the change to it "
                "holds in this session only.",
                "Not saved",
                "warning",
            )
