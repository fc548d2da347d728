"""The replies the demo server can send: plain data, turned into bytes by the server.

`Scripted` is a well-formed answer (what the scripted demo model, `tuichat.demo.planner`,
always returns); the others let a test script the wire: `Slow` to cancel mid-answer,
`RawSSE` to replay a recorded body byte for byte, `Recorded` to send a recorded response
again at its recorded pace (`tuichat replay`), `HTTPError` in OpenAI's error shape,
`DropAfter` to cut the connection, `Stall` to let a timeout fire, `Flood` for benchmarks.
Queue them with `ChatServer.enqueue` (`tuichat.demo.server`).

Stdlib only: the import-linter contract keeps `textual` and `rich` out of this package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from tuichat.demo.tokens import split_tokens

__all__ = [
    "DropAfter",
    "Flood",
    "HTTPError",
    "RawSSE",
    "Recorded",
    "Reply",
    "Scripted",
    "Slow",
    "Stall",
    "ToolCall",
]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the scripted model makes.

    Attributes:
        name: The function name.
        arguments: The arguments, as a dict (serialised like OpenAI does, `json.dumps` with
            the default `", "`/`": "` separators) or as the exact argument text to stream.
        id: The call id; `None` generates an OpenAI-style `call_...` id.
    """

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_text(self) -> str:
        """Return the argument text exactly as it will be streamed."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Scripted:
    """A well-formed answer streamed in OpenAI's exact `chat.completion.chunk` shape.

    Text and reasoning are split into small token-like deltas with `split_tokens`; each tool
    call is streamed as a first fragment (index, id, type, name, `arguments: ""`) followed by
    3-6 fragments of argument text.

    Attributes:
        text: The visible answer (`delta.content`), or `None` for a tool-call-only turn.
        tool_calls: Tool calls to make after the text; dicts with `name`, `arguments` and an
            optional `id` are accepted too.
        reasoning: Reasoning streamed before the answer as `delta.reasoning_content`.
        finish_reason: `None` picks `"tool_calls"` when there are tool calls, else `"stop"`.
        tokens_per_second: Pacing for this reply; `None` uses the server's setting.
    """

    text: str | None = None
    tool_calls: Sequence[ToolCall | dict[str, Any]] | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    tokens_per_second: float | None = None

    def calls(self) -> list[ToolCall]:
        """Return the tool calls normalised to `ToolCall` objects."""
        out: list[ToolCall] = []
        for call in self.tool_calls or ():
            if isinstance(call, ToolCall):
                out.append(call)
            else:
                out.append(
                    ToolCall(
                        name=str(call["name"]),
                        arguments=call.get("arguments", {}),
                        id=call.get("id"),
                    )
                )
        return out

    def resolved_finish_reason(self) -> str:
        """Return the finish reason to send (explicit, else derived from the content)."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass(frozen=True, slots=True)
class Slow:
    """Stream `text` slowly, e.g. so a UI test can cancel in the middle of an answer.

    Attributes:
        text: The answer to stream.
        tokens_per_second: Pacing, independent of the server's setting.
    """

    text: str
    tokens_per_second: float = 20.0

    def as_scripted(self) -> Scripted:
        """Return the equivalent `Scripted` reply."""
        return Scripted(text=self.text, tokens_per_second=self.tokens_per_second)


@dataclass(frozen=True, slots=True)
class RawSSE:
    """Send `body` byte for byte as a 200 `text/event-stream` response (chunked encoding).

    The chunked body is always terminated properly, so a body without `data: [DONE]` looks
    like a stream that simply ended early ("truncated") to the client.

    Attributes:
        body: The exact bytes to send (read `.sse` files in binary mode).
        slice_sizes: `(a, b)` cuts the body into random slices of a..b bytes, each written
            (and drained) separately, so JSON lines and multi-byte UTF-8 characters are split
            across reads. `None` sends the body in one piece.
        delay: Seconds to wait between slices.
        seed: Seed of the slice-size generator, so a failing case can be replayed.
    """

    body: bytes
    slice_sizes: tuple[int, int] | None = None
    delay: float = 0.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Recorded:
    """Send a recorded response again: its status and headers, then its body read by read,
    each when it arrived (after the request) in the recording, at `speed` times that pace.

    A streamed success is sent with chunked encoding, one HTTP chunk per recorded read, so
    the client reads it in pieces like the original; anything else (a whole `ChatCompletion`,
    an HTTP error) is sent whole with a `Content-Length` once its last read is due.

    Attributes:
        reads: `(offset, bytes)` per recorded read: seconds after the request, and the bytes.
        status: the HTTP status.
        headers: the recorded response headers; the ones about the connection and the body's
            framing (length, chunking, compression) are replaced by this server's.
        head_offset: seconds after the request at which the headers were sent.
        streamed: the body is an event stream (sent read by read).
        speed: 1.0 for the recorded pace, 2.0 for twice as fast; `None` sends everything at
            once (no waiting).
    """

    reads: Sequence[tuple[float, bytes]]
    status: int = 200
    headers: Mapping[str, str] | None = None
    head_offset: float = 0.0
    streamed: bool = True
    speed: float | None = 1.0


_DEFAULT_ERROR_TYPES = {429: "requests"}


@dataclass(frozen=True, slots=True)
class HTTPError:
    """An error response in OpenAI's shape: `{"error": {message, type, param, code}}`.

    Attributes:
        status: The HTTP status code.
        message: `error.message`.
        type: `error.type`; `None` derives it from the status the way OpenAI does
            (`server_error` for 5xx, `requests` for 429, else `invalid_request_error`).
        code: `error.code` (e.g. `invalid_api_key`, `model_not_found`).
        headers: Extra response headers (e.g. `{"retry-after": "1"}`).
        param: `error.param`.
    """

    status: int
    message: str
    type: str | None = None
    code: str | None = None
    headers: dict[str, str] | None = None
    param: str | None = None

    def error_type(self) -> str:
        """Return `error.type`, derived from the status when not given."""
        if self.type is not None:
            return self.type
        if self.status >= 500:
            return "server_error"
        return _DEFAULT_ERROR_TYPES.get(self.status, "invalid_request_error")

    def body(self) -> dict[str, Any]:
        """Return the JSON body as OpenAI sends it."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type(),
                "param": self.param,
                "code": self.code,
            }
        }

    @classmethod
    def invalid_api_key(cls) -> HTTPError:
        """A 401 like OpenAI's answer to a wrong key."""
        return cls(
            401,
            "Incorrect API key provided: test. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )

    @classmethod
    def model_not_found(cls, model: str = "no-such-model") -> HTTPError:
        """A 404 like OpenAI's answer to an unknown model."""
        return cls(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0) -> HTTPError:
        """A 429 with a `retry-after` header."""
        return cls(
            429,
            f"Rate limit reached for requests. Please try again in {retry_after:g}s.",
            code="rate_limit_exceeded",
            headers={"retry-after": f"{retry_after:g}"},
        )

    @classmethod
    def server_error(cls) -> HTTPError:
        """A 500 like OpenAI's generic server error."""
        return cls(
            500,
            "The server had an error while processing your request. Sorry about that!",
        )


@dataclass(frozen=True, slots=True)
class DropAfter:
    """Stream normal content chunks, then drop the connection without finishing the body.

    After `after` content chunks the server closes the socket without the terminating
    zero-length chunk, so httpx sees an incomplete chunked body (a dropped connection).

    Attributes:
        text: The answer (split with `split_tokens`) or the exact content deltas.
        after: How many content chunks to send before dropping.
    """

    text: str | Sequence[str]
    after: int

    def pieces(self) -> list[str]:
        """Return the content deltas."""
        if isinstance(self.text, str):
            return split_tokens(self.text)
        return list(self.text)


@dataclass(frozen=True, slots=True)
class Stall:
    """Say nothing for `seconds` (to test read timeouts and cancelling).

    Attributes:
        seconds: How long to stay silent.
        text: What to stream after the stall (if the client is still there).
        headers_first: Send the 200 response headers before stalling (a stalled stream);
            `False` stalls before any byte of the response (a slow server).
    """

    seconds: float
    text: str = ""
    headers_first: bool = True


@dataclass(frozen=True, slots=True)
class Flood:
    """Stream `n_chunks` small content chunks of Markdown prose as fast as possible.

    Meant for benchmarks: events are built from a pre-serialised template and written in
    batches when the server is unthrottled.

    Attributes:
        n_chunks: Number of content chunks.
        words_per_chunk: Words in each chunk.
        paragraph_every: A blank line (new paragraph) starts every this many chunks.
        tokens_per_second: Pacing; `None` uses the server's setting.
    """

    n_chunks: int
    words_per_chunk: int = 1
    paragraph_every: int = 40
    tokens_per_second: float | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """Answer with any body at all, as a whole response: what a wrong URL or a proxy sends.

    A login page, a JSON document that is not a completion, an empty 200: the client must
    say what arrived instead of a stream.

    Attributes:
        body: The response body, sent as it is.
        content_type: The `Content-Type` header.
        status: The HTTP status code.
    """

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200


Reply: TypeAlias = (
    Scripted | Slow | RawSSE | Recorded | HTTPError | DropAfter | Stall | Flood | Page
)
"""Everything the demo server can answer a chat request with."""


def text_event(text: str) -> bytes:
    """One SSE event of a streamed answer adding `text` (for `RawSSE` and `Recorded` bodies)."""
    import json

    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


def stalled_after(text: str, seconds: float) -> Recorded:
    """An answer that streams `text`, then says nothing for `seconds` before `[DONE]`."""
    return Recorded([(0.0, text_event(text)), (seconds, b"data: [DONE]\n\n")])
