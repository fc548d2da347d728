"""Textual messages the completion worker posts: one vocabulary from core events to widgets.

The worker receives core events in batches (one per network read) and turns each batch into
a few messages: consecutive text deltas become one `TokensReceived`, so a burst of chunks
costs one message, not hundreds. Raw chunks are not messages at all: they go straight into
the inspector's `ChunkLog`, which the inspector reads a few times a second while shown.
None of these bubble: the chat screen is their only reader.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tuichat.core import events as core


@dataclass
class AnswerStarted(Message, bubble=False):
    """A new round of the turn begins: the model is asked (again)."""

    round: int


@dataclass
class TokensReceived(Message, bubble=False):
    """Answer text arrived (coalesced)."""

    text: str


@dataclass
class ReasoningReceived(Message, bubble=False):
    """Reasoning text arrived (coalesced)."""

    text: str


@dataclass
class ToolCallStarted(Message, bubble=False):
    """A tool call's name arrived."""

    index: int
    call_id: str
    name: str


@dataclass
class ToolArgumentsReceived(Message, bubble=False):
    """A fragment of a tool call's arguments arrived."""

    index: int
    text: str


@dataclass
class ToolCallReady(Message, bubble=False):
    """A tool call is complete."""

    index: int
    name: str
    arguments_text: str
    error: str | None
    call_id: str = ""


@dataclass
class ToolRunning(Message, bubble=False):
    """A tool call started running."""

    index: int


@dataclass
class ToolResultReceived(Message, bubble=False):
    """A tool call returned."""

    index: int
    content: str
    status: str  # done, failed, timed_out, denied, not_allowed (see ToolStatus)
    duration: float
    output: str = ""  # what the tool printed


@dataclass
class ApprovalRequested(Message, bubble=False):
    """Tool calls wait for the user's approval; the screen resolves `decision` (one bool each)."""

    calls: list[dict[str, Any]]
    decision: asyncio.Future[list[bool]]


@dataclass
class AnswerFinished(Message, bubble=False):
    """One answer (round) ended."""

    finish_reason: str | None
    usage: dict[str, Any] | None


@dataclass
class StreamFailed(Message, bubble=False):
    """The answer failed: an HTTP error, a dropped connection, a truncated stream..."""

    kind: str
    text: str


@dataclass
class NoticeShown(Message, bubble=False):
    """Something to tell the user that is not the model's text."""

    text: str


@dataclass
class TurnEnded(Message, bubble=False):
    """The whole turn is over."""

    failed: bool


def to_messages(
    batch: list[core.Event], raw_chunks: list[core.RawChunk | core.RequestSent]
) -> list[Message]:
    """Turn a batch of core events into UI messages, coalescing text.

    Args:
        batch: core events in arrival order.
        raw_chunks: where requests and raw chunks go (the inspector's feed).

    Returns:
        Messages in the same order.
    """
    out: list[Message] = []
    text: list[str] = []
    usage: dict[str, Any] | None = None

    def flush() -> None:
        if text:
            out.append(TokensReceived("".join(text)))
            text.clear()

    for event in batch:
        if isinstance(event, core.RawChunk | core.RequestSent):
            raw_chunks.append(event)
            continue
        if isinstance(event, core.TextDelta):
            text.append(event.text)
            continue
        flush()
        if isinstance(event, core.ReasoningDelta):
            if out and isinstance(out[-1], ReasoningReceived):
                out[-1] = ReasoningReceived(out[-1].text + event.text)
            else:
                out.append(ReasoningReceived(event.text))
        elif isinstance(event, core.RoundStarted):
            out.append(AnswerStarted(event.round))
        elif isinstance(event, core.ToolCallStarted):
            out.append(ToolCallStarted(event.index, event.id, event.name))
        elif isinstance(event, core.ToolArgsDelta):
            out.append(ToolArgumentsReceived(event.index, event.delta))
        elif isinstance(event, core.ToolCallReady):
            out.append(
                ToolCallReady(event.index, event.name, event.arguments_text, event.error, event.id)
            )
        elif isinstance(event, core.ToolRunning):
            out.append(ToolRunning(event.index))
        elif isinstance(event, core.ToolResult):
            out.append(
                ToolResultReceived(
                    event.index, event.content, event.status, event.duration, event.output
                )
            )
        elif isinstance(event, core.UsageReported):
            usage = event.usage
        elif isinstance(event, core.Finished):
            out.append(AnswerFinished(event.finish_reason, usage))
        elif isinstance(event, core.StreamError):
            out.append(StreamFailed(event.kind, event.message))
        elif isinstance(event, core.Notice):
            out.append(NoticeShown(event.message))
        elif isinstance(event, core.TurnFinished):
            out.append(TurnEnded(event.failed))
    flush()
    return out


class TextCoalescer:
    """Gathers answer text and posts it as one `TokensReceived` per interval at most.

    Text that arrives sooner than `interval` after the last post waits, with a timer on the
    event loop so that it is shown even when no more chunks come.
    """

    def __init__(self, post: Callable[[Message], object], interval: float) -> None:
        self._post = post
        self._interval = interval
        self._pending: list[str] = []
        self._last_post = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str) -> None:
        """Queue text to show."""
        self._pending.append(text)

    def tick(self) -> None:
        """After a batch: post now if the interval has passed, otherwise when it has."""
        if not self._pending:
            return
        wait = self._last_post + self._interval - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self.flush)

    def flush(self) -> None:
        """Post what is queued now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            self._post(TokensReceived("".join(self._pending)))
            self._pending.clear()
            self._last_post = time.monotonic()
