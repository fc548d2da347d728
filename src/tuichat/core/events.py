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
    "not_an_answer",  # a 200 whose body is no event stream or completion (a proxy's page...)
    "connection",  # no connection, or the connection dropped
    "timeout",  # the server did not answer in time
    "cancelled",  # the user cancelled the answer
]


@dataclass(frozen=True, slots=True)
class RequestSent:
    """The request as it went out, secrets redacted (shown by the inspector first)."""

    request: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """The response's status and headers as they arrived (auth-like values redacted).

    Attributes:
        status: the HTTP status code.
        headers: the response headers, names as the server sent them (lower-cased by
            httpx), secret-looking values replaced (`tuichat.core.redact.redact_headers`).
        offset: seconds from the request being sent to the headers being read.
        reason: the reason phrase (`OK`), when the server sent one.
        http_version: e.g. `HTTP/1.1`.
    """

    status: int
    headers: dict[str, str]
    offset: float
    reason: str = ""
    http_version: str = ""


@dataclass(frozen=True, slots=True)
class BodyRead:
    """The bytes of one network read of the response body, exactly as read, and when.

    The SSE payloads (`RawChunk`) and comment lines (`RawComment`) completed by a read come
    in the same batch and carry the same offset. A read may end anywhere: in the middle of a
    line, or of a multi-byte UTF-8 character.
    """

    data: bytes
    offset: float  # seconds since the request was sent


@dataclass(frozen=True, slots=True)
class RawChunk:
    """One SSE `data:` payload exactly as it arrived, or a whole non-streamed body."""

    data: str
    offset: float  # seconds since the request was sent
    whole_response: bool = False  # True for a non-streamed `ChatCompletion`
    event: str | None = None  # the SSE `event:` field, when the server sent one (`error`)


@dataclass(frozen=True, slots=True)
class RawComment:
    """An SSE comment line (`: keep-alive`, `: OPENROUTER PROCESSING`), exactly as it arrived.

    Servers send them to keep a connection open while nothing else is ready; a chat client
    ignores them, a protocol debugger lists them.
    """

    text: str  # the whole line, its leading colon included, without the line end
    offset: float  # seconds since the request was sent


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
class Retrying:
    """The attempt failed before any byte of the answer arrived: the client asks again.

    It comes after the failed attempt's records (its `ResponseHead` and error body, if the
    server answered) and before the next attempt's `RequestSent`.

    Attributes:
        attempt: the attempt about to be made (2 for the first retry).
        of: how many attempts there are at most (the profile's `max_retries` + 1).
        wait: seconds the client waits before it (the server's `Retry-After`, or backoff).
        reason: what failed, e.g. "HTTP 429 (rate limited)" or "could not connect".
    """

    attempt: int
    of: int
    wait: float
    reason: str


@dataclass(frozen=True, slots=True)
class StreamError:
    """The answer failed or was cut; the partial message is kept in the accumulator."""

    kind: ErrorKind
    message: str
    status_code: int | None = None


Event = (
    RequestSent
    | ResponseHead
    | BodyRead
    | RawChunk
    | RawComment
    | TextDelta
    | ReasoningDelta
    | ToolCallStarted
    | ToolArgsDelta
    | ToolCallReady
    | UsageReported
    | Finished
    | Retrying
    | StreamError
)

WireRecord = RequestSent | ResponseHead | BodyRead | RawChunk | RawComment
"""What went over the wire for one answer, as recorded: the request (redacted), the
response's head, every network read of its body, and what the SSE decoder made of them (each
`data:` payload and each comment line). The inspector lists them; a turn file holds them."""

WIRE_RECORD_TYPES = (RawChunk, BodyRead, RawComment, ResponseHead, RequestSent)
"""The classes of `WireRecord`, for `isinstance` checks (the most frequent first)."""
