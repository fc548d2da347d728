"""How much of the model's context window a conversation fills, before it is sent.

What the server already counted is exact: the last answer's `usage` (its prompt tokens, the
conversation up to it, plus its completion tokens). What came after it (a tool's result, the
prompt being typed) is estimated at four characters a token. The window comes from the
server's `/models` where it says (`context_length`, `context_window`, `max_model_len`, ...),
else from the config's `[context_windows]`, else from the table of well-known models
(`tuichat.config.context_windows`), else it is not known.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuichat.config.context_windows import known_context_window
from tuichat.core.client import ChatClient
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


def _sent_text(message: Message) -> str:
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
        counted: tokens the server counted (the last answer's usage).
        estimated: tokens estimated for what is new since (and the draft).
        window: the model's context window (None: not known).
    """

    counted: int
    estimated: int
    window: int | None

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
        rough = "~" if self.counted == 0 and self.estimated else ""
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


def measure(messages: Sequence[Message], draft: str, window: int | None) -> ContextBudget:
    """The budget of these messages and the draft being typed.

    Args:
        messages: the conversation (as `ChatSession.messages`).
        draft: the prompt not sent yet.
        window: the model's context window, if known.
    """
    counted, start = 0, 0
    for index in range(len(messages) - 1, -1, -1):
        usage = messages[index].get("usage") if messages[index].get("role") == "assistant" else None
        if isinstance(usage, Mapping) and usage.get("prompt_tokens"):
            counted = int(usage.get("prompt_tokens") or 0) + int(
                usage.get("completion_tokens") or 0
            )
            start = index + 1
            break
    new = "".join(_sent_text(message) for message in messages[start:]) + draft
    return ContextBudget(counted, estimate_tokens(new), window)


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
