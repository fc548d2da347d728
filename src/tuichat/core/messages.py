"""What of a history goes on the wire: which messages are sent, and which of their keys.

The conversation's messages also carry what the model does not need back but the user does
(reasoning, usage, timing, how an answer or a tool call ended, ...). The tool loop
(`tuichat.session.conversation`) sends only the API's part, and `tuichat export --format json`
(`tuichat.storage.export`) writes the same part as `messages`: one rule, here, for both.

Some messages are not sent at all: those the user left out of the context (`left_out`,
kept in the history and shown dimmed), and answers that failed before any text. Which ones
go is decided here too (`sent_flags`), for every request and for the context budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Message = dict[str, Any]

WIRE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")
"""The keys of a chat message that OpenAI's API defines (and the request sends)."""


def wire_message(message: Message) -> Message:
    """The message as the API expects it: only the standard keys.

    Tool calls are kept as the model sent them (some providers need their own fields back,
    e.g. Gemini's `extra_content`); an assistant message with neither text nor tool calls
    gets empty text, which servers accept where some refuse a null.
    """
    out = {key: message[key] for key in WIRE_KEYS if key in message}
    if out.get("role") == "assistant" and out.get("content") is None and not out.get("tool_calls"):
        out["content"] = ""  # some servers reject an assistant message with neither
    return out


def failed_empty(message: Message) -> bool:
    """An answer that failed or was cancelled before any text or call: nothing to send."""
    return (
        message.get("role") == "assistant"
        and not message.get("content")
        and not message.get("tool_calls")
        and bool(message.get("error") or message.get("cancelled"))
    )


def sent_flags(messages: Sequence[Message]) -> list[bool]:
    """For each message, whether a request sends it.

    A tool result goes with the answer whose call it answers (the assistant message before
    it): both are sent or neither, whatever the tool message says itself, so a request never
    holds calls without their results or results without their calls.
    """
    flags: list[bool] = []
    answer_sent = True  # of the assistant message the tool results follow
    for message in messages:
        role = message.get("role")
        if role == "tool":
            flags.append(answer_sent)
            continue
        sent = not message.get("left_out") and not failed_empty(message)
        if role == "assistant":
            answer_sent = sent
        flags.append(sent)
    return flags


def sent_messages(messages: Sequence[Message]) -> list[Message]:
    """The messages a request sends, in the API's format (see `sent_flags`)."""
    return [
        wire_message(message)
        for message, sent in zip(messages, sent_flags(messages), strict=True)
        if sent
    ]
