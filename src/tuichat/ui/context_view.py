"""The conversation shown as its context says: messages left out dimmed, summaries in place.

The context changes outside the conversation's widgets (the Context screen leaves messages
out, puts them back, writes summaries), on the session's messages. `show_context` brings the
entries in line: each prompt, answer and summary is matched, in order, with the message it
shows, dimmed or not as that message says, and a summary that has no entry yet gets one in
its place, after the messages it summarises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuichat.ui.widgets.message_list import Entry, EntryKind, MessageList, summary_entry

Message = dict[str, Any]


def shown_messages(conversation: Sequence[Message]) -> list[tuple[EntryKind, Message]]:
    """The messages that have an entry of their own, with its kind, in order: not the system
    prompt, nor tool results (they are in their answer's entry)."""
    shown: list[tuple[EntryKind, Message]] = []
    for message in conversation:
        role = message.get("role")
        if "summary" in message:
            shown.append(("summary", message))
        elif role == "user":
            shown.append(("user", message))
        elif role == "assistant":
            shown.append(("answer", message))
    return shown


def _missing_summary(
    entries: Sequence[Entry], shown: Sequence[tuple[EntryKind, Message]]
) -> tuple[int, Message] | None:
    """Where the first summary without an entry goes (the index in `entries`), if any."""
    previous = -1  # the entry of the message before it
    walked = iter((index, entry) for index, entry in enumerate(entries) if entry.kind != "note")
    for kind, message in shown:
        found = next(walked, None)
        if kind == "summary" and (found is None or found[1].message is not message):
            return previous + 1, message
        if found is None or found[1].kind != kind:
            return None  # the entries do not follow the conversation: leave them
        previous = found[0]
    return None


async def show_context(messages: MessageList, conversation: Sequence[Message]) -> None:
    """Dim the entries whose message is left out (and no others), and show new summaries.

    Args:
        messages: the conversation's entries.
        conversation: the session's messages.
    """
    shown = shown_messages(conversation)
    for _ in shown:  # at most one insertion per summary
        missing = _missing_summary(messages.entries, shown)
        if missing is None:
            break
        index, summary = missing
        await messages.insert(index, summary_entry(summary))
    entries = (entry for entry in messages.entries if entry.kind != "note")
    for (kind, message), entry in zip(shown, entries, strict=False):
        if entry.kind != kind:
            return
        left_out = bool(message.get("left_out"))
        if entry.left_out != left_out:
            messages.set_left_out(entry, left_out)
