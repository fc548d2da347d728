"""Typed events that the core produces while an answer arrives.

The stream accumulator and the client speak in these events, so the tool loop, the UI, the
one-shot command and the tests consume one vocabulary whether the answer was streamed or
arrived as one `ChatCompletion`. The tool loop's own events are in `tuichat.session.events`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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
)
