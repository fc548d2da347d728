"""Textual messages the completion worker posts: one vocabulary from core events to widgets.

The worker receives core events in batches (one per network read) and turns each batch into
a few messages: consecutive text deltas become one `TokensReceived` and consecutive raw
chunks one `ChunksReceived`, so a burst of chunks costs one message, not hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tuichat.core import events as core


@dataclass
class RequestSent(Message):
    """A request went out (redacted), starting a new answer in the inspector."""

    request: dict[str, Any]


@dataclass
class AnswerStarted(Message):
    """A new round of the turn begins: the model is asked (again)."""

    round: int


@dataclass
class ChunksReceived(Message):
    """Raw chunks (or a whole non-streamed response) as they arrived."""

    chunks: list[core.RawChunk]


@dataclass
class TokensReceived(Message):
    """Answer text arrived (coalesced)."""

    text: str


@dataclass
class ReasoningReceived(Message):
    """Reasoning text arrived (coalesced)."""

    text: str


@dataclass
class ToolCallStarted(Message):
    """A tool call's name arrived."""

    index: int
    call_id: str
    name: str


@dataclass
class ToolArgumentsReceived(Message):
    """A fragment of a tool call's arguments arrived."""

    index: int
    text: str


@dataclass
class ToolCallReady(Message):
    """A tool call is complete."""

    index: int
    name: str
    arguments_text: str
    error: str | None


@dataclass
class ToolRunning(Message):
    """A tool call started running."""

    index: int


@dataclass
class ToolResultReceived(Message):
    """A tool call returned."""

    index: int
    content: str
    is_error: bool
    duration: float


@dataclass
class AnswerFinished(Message):
    """One answer (round) ended."""

    finish_reason: str | None
    usage: dict[str, Any] | None


@dataclass
class StreamFailed(Message):
    """The answer failed: an HTTP error, a dropped connection, a truncated stream..."""

    kind: str
    text: str


@dataclass
class NoticeShown(Message):
    """Something to tell the user that is not the model's text."""

    text: str


@dataclass
class TurnEnded(Message):
    """The whole turn is over."""

    failed: bool


def to_messages(batch: list[core.Event]) -> list[Message]:
    """Turn a batch of core events into UI messages, coalescing text and raw chunks.

    Args:
        batch: core events in arrival order.

    Returns:
        Messages in the same order.
    """
    out: list[Message] = []
    text: list[str] = []
    chunks: list[core.RawChunk] = []
    usage: dict[str, Any] | None = None

    def flush() -> None:
        if chunks:
            out.append(ChunksReceived(chunks.copy()))
            chunks.clear()
        if text:
            out.append(TokensReceived("".join(text)))
            text.clear()

    for event in batch:
        if isinstance(event, core.RawChunk):
            chunks.append(event)
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
        elif isinstance(event, core.RequestSent):
            out.append(RequestSent(event.request))
        elif isinstance(event, core.RoundStarted):
            out.append(AnswerStarted(event.round))
        elif isinstance(event, core.ToolCallStarted):
            out.append(ToolCallStarted(event.index, event.id, event.name))
        elif isinstance(event, core.ToolArgsDelta):
            out.append(ToolArgumentsReceived(event.index, event.delta))
        elif isinstance(event, core.ToolCallReady):
            out.append(ToolCallReady(event.index, event.name, event.arguments_text, event.error))
        elif isinstance(event, core.ToolRunning):
            out.append(ToolRunning(event.index))
        elif isinstance(event, core.ToolResult):
            out.append(ToolResultReceived(event.index, event.content, event.is_error, event.duration))
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
