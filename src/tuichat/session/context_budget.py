"""How much of the model's context window a conversation fills, before it is sent.

What the server already counted is exact: the last answer's `usage` (its prompt tokens, the
conversation up to it, plus its completion tokens). What came after it (a tool's result, the
prompt being typed) is estimated at four characters a token, and so is what changed before
it since (messages left out or put back, summaries: `ContextChanges`), which makes the
whole an estimate. Only what a request sends counts (`tuichat.core.messages.sent_flags`).
The window comes from the server's `/models` where it says (`context_length`,
`context_window`, `max_model_len`, ...), else from the config's `[context_windows]`, else
from the table of well-known models (`tuichat.config.context_windows`), else it is not known.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuichat.config.context_windows import known_context_window
from tuichat.core.client import ChatClient
from tuichat.core.messages import sent_flags
from tuichat.session.events import Message

WINDOW_KEYS = (
    "context_length",
    "context_window",
    "max_model_len",
    "max_context_length",
    "context_size",
    "max_input_tokens",
)
"""Where servers say a model's window in its `/models` entry (OpenRouter and LM Studio,
some proxies, vLLM, ...); the first one found counts."""

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A rough token count: four characters a token."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def sent_text(message: Message) -> str:
    """The text of a message that a request sends (its calls' JSON included)."""
    content = message.get("content")
    if isinstance(content, list):  # typed parts: their text
        content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    text = content if isinstance(content, str) else ""
    calls = message.get("tool_calls")
    return text + (json.dumps(calls) if calls else "")


@dataclass(frozen=True, slots=True)
class ContextBudget:
    """A conversation's size against the model's window.

    Attributes:
        counted: tokens the server counted (the last answer's usage), changed by the
            estimate of what was left out or put back before it since.
        estimated: tokens estimated for what is new since (and the draft).
        window: the model's context window (None: not known).
        exact: whether `counted` is what the server counted (nothing changed before it).
    """

    counted: int
    estimated: int
    window: int | None
    exact: bool = True

    @property
    def tokens(self) -> int:
        """Counted and estimated together."""
        return self.counted + self.estimated

    @property
    def over(self) -> bool:
        """Whether it does not fit in the window."""
        return self.window is not None and self.tokens > self.window

    def label(self) -> str:
        """E.g. `12.3k / 128k tokens (10%)`; `~` when none of it was counted."""
        rough = "~" if (self.counted == 0 and self.estimated) or not self.exact else ""
        used = f"{rough}{short_count(self.tokens)}"
        if self.window is None:
            return f"{used} tokens · window unknown"
        share = 100 * self.tokens / self.window if self.window else 0
        return f"{used} / {short_count(self.window)} tokens ({share:.0f}%)"


def short_count(tokens: int) -> str:
    """950, 12.3k, 128k, 1.05M."""
    if tokens < 1000:
        return str(tokens)
    if tokens < 100_000:
        return f"{tokens / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    if tokens < 1_000_000:
        return f"{tokens / 1000:.0f}k"
    return f"{tokens / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"


@dataclass(slots=True)
class ContextChanges:
    """What changed in what is sent before the last answer the server counted, since it was
    counted: the count no longer applies to it, so it is estimated.

    Attributes:
        base: the answer whose usage the changes are relative to (a newer counted answer
            makes them moot).
        tokens: the estimated tokens added (summaries, messages put back) less those taken
            out (messages left out).
        changed: whether anything changed (the count is then an estimate, even at 0).
    """

    base: Message | None = None
    tokens: int = 0
    changed: bool = False

    def record(self, messages: Sequence[Message], message: Message, tokens: int) -> None:
        """Note that `message` (one of `messages`) now sends `tokens` more (or fewer, when
        negative): it counts when it is at or before the last counted answer."""
        index = last_counted(messages)
        base = messages[index] if index is not None else None
        if base is not self.base:
            self.base, self.tokens, self.changed = base, 0, False
        if index is None:
            return  # nothing is counted: everything is estimated anyway
        position = next((i for i, m in enumerate(messages) if m is message), None)
        if position is not None and position <= index:
            self.tokens += tokens
            self.changed = True


def last_counted(messages: Sequence[Message]) -> int | None:
    """The index of the last answer whose usage the server counted."""
    for index in range(len(messages) - 1, -1, -1):
        usage = messages[index].get("usage") if messages[index].get("role") == "assistant" else None
        if isinstance(usage, Mapping) and usage.get("prompt_tokens"):
            return index
    return None


def measure(
    messages: Sequence[Message],
    draft: str,
    window: int | None,
    changes: ContextChanges | None = None,
) -> ContextBudget:
    """The budget of these messages and the draft being typed: of what a request sends.

    Args:
        messages: the conversation (as `ChatSession.messages`).
        draft: the prompt not sent yet.
        window: the model's context window, if known.
        changes: what changed before the last counted answer since it was counted.
    """
    counted, start, exact = 0, 0, True
    index = last_counted(messages)
    if index is not None:
        usage = messages[index]["usage"]
        counted = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
        start = index + 1
        if changes is not None and changes.base is messages[index] and changes.changed:
            counted, exact = max(0, counted + changes.tokens), False
    flags = sent_flags(messages)
    new = "".join(
        sent_text(m) for m, sent in zip(messages[start:], flags[start:], strict=True) if sent
    )
    return ContextBudget(counted, estimate_tokens(new + draft), window, exact)


def window_of(entries: Sequence[Mapping[str, Any]], model: str) -> int | None:
    """The window `/models` gives this model, if it gives one."""
    for entry in entries:
        if entry.get("id") != model:
            continue
        for key in WINDOW_KEYS:
            value = entry.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


async def find_context_window(
    client: ChatClient, model: str, configured: Mapping[str, int] | None = None
) -> int | None:
    """The model's window: from the server's `/models`, else the config's `[context_windows]`
    (`configured`), else the table of well-known models."""
    try:
        entries = await client.model_entries()
    except Exception:  # no `/models` (or it failed): the tables may still know the model
        entries = []
    return window_of(entries, model) or (configured or {}).get(model) or known_context_window(model)
