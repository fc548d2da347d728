"""Typed events that the core produces while an answer arrives.

The stream accumulator, the client and the tool loop all speak in these events, so the UI,
the one-shot command and the tests consume one vocabulary whether the answer was streamed
or arrived as one `ChatCompletion`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tuichat.core.tooling import ToolStatus

ErrorKind = Literal[
    "stream_error",  # an error object or `event: error` inside the stream
    "truncated",  # the stream ended before `data: [DONE]`
    "malformed",  # a chunk that is not JSON or not an object
    "http",  # the server answered with an HTTP error status
    "connection",  # no connection, or the connection dropped
    "timeout",  # the server did not answer in time
    "cancelled",  # the user cancelled the answer
]


@dataclass(frozen=True, slots=True)
class RequestSent:
    """The request as it went out, secrets redacted (shown by the inspector first)."""

    request: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RawChunk:
    """One SSE `data:` payload exactly as it arrived, or a whole non-streamed body."""

    data: str
    offset: float  # seconds since the request was sent
    whole_response: bool = False  # True for a non-streamed `ChatCompletion`


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the assistant's visible answer."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning (`reasoning_content` / `reasoning` / thinking parts)."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """A tool call's name has arrived; `index` is its position in this answer's calls."""

    index: int
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolArgsDelta:
    """A fragment of a tool call's JSON arguments."""

    index: int
    delta: str


@dataclass(frozen=True, slots=True)
class ToolCallReady:
    """A tool call is complete: its arguments parsed (or why they did not)."""

    index: int
    id: str
    name: str
    arguments_text: str
    arguments: dict[str, Any] | None
    error: str | None = None  # why `arguments_text` is not a JSON object


@dataclass(frozen=True, slots=True)
class UsageReported:
    """Token usage as the server sent it."""

    usage: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finished:
    """The answer ended; `finish_reason` is the last non-empty value the server sent."""

    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class StreamError:
    """The answer failed or was cut; the partial message is kept in the accumulator."""

    kind: ErrorKind
    message: str
    status_code: int | None = None


@dataclass(frozen=True, slots=True)
class ToolRunning:
    """The tool loop started executing a call."""

    index: int
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool call's result, as it goes back to the model."""

    index: int
    id: str
    name: str
    content: str
    is_error: bool = False
    duration: float = 0.0
    status: ToolStatus = "done"  # see `tuichat.core.tooling.ToolStatus`
    output: str = ""  # what the tool printed (shown to the user, not sent to the model)


@dataclass(frozen=True, slots=True)
class RoundStarted:
    """A new request to the model begins (the first, or one after tool results)."""

    round: int


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that is not the model's text (e.g. the tool-round limit)."""

    message: str


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The whole turn (all rounds) is over."""

    cancelled: bool = False
    failed: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # what this turn added


Event = (
    RequestSent
    | RawChunk
    | TextDelta
    | ReasoningDelta
    | ToolCallStarted
    | ToolArgsDelta
    | ToolCallReady
    | UsageReported
    | Finished
    | StreamError
    | ToolRunning
    | ToolResult
    | RoundStarted
    | Notice
    | TurnFinished
)
