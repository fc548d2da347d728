"""A real OpenAI-compatible HTTP server on 127.0.0.1, for the offline demo and for tests.

`ChatServer` runs a small asyncio HTTP/1.1 server in a daemon thread with its own event
loop, so it works the same under a synchronous test, an async test, a Textual app or a
separate process (`python -m tuichat.demo`). It speaks the wire format of the Chat
Completions API exactly: `chat.completion.chunk` events as SSE over chunked transfer
encoding, `data: [DONE]`, the `stream_options.include_usage` chunk with `choices: []`,
and errors in OpenAI's `{"error": {...}}` shape. Clients are therefore tested through the
real `openai` SDK and httpx stack, with no mocks.

What it answers comes from the scripted demo model (`tuichat.demo.planner.plan_reply`),
unless a test queued a reply with `ChatServer.enqueue` (the reply types are in
`tuichat.demo.replies`: `Scripted`, `Slow`, `RawSSE`, `HTTPError`, `DropAfter`, `Stall`,
`Flood`) or set a persistent `default_reply`.

Example:
    ```python
    with ChatServer() as server:
        server.enqueue(HTTPError.rate_limited())
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        ...
    ```

Stdlib only: the import-linter contract keeps `textual` and `rich` out of this package.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import itertools
import json
import logging
import random
import secrets
import string
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from tuichat.demo import DEMO_MODEL
from tuichat.demo.planner import plan_reply
from tuichat.demo.replies import (
    DropAfter,
    Flood,
    HTTPError,
    RawSSE,
    Reply,
    Scripted,
    Slow,
    Stall,
)
from tuichat.demo.tokens import flood_tokens, split_tokens

__all__ = ["ChatServer"]

logger = logging.getLogger(__name__)
# The server often runs inside the TUI: without this, Python's last-resort handler would
# print warnings straight onto the terminal screen.
logger.addHandler(logging.NullHandler())

_BATCH_EVENTS = 64  # unthrottled: events per HTTP chunk (one write + drain per batch)
_MAX_HEADER_LINES = 100
_MAX_BODY_BYTES = 32 * 1024 * 1024
_SYSTEM_FINGERPRINT = "fp_tuichat_demo"
_MODEL_CREATED = 1_735_689_600  # 2025-01-01, fixed so `/models` is stable
_ALPHANUMERIC = string.ascii_letters + string.digits
_JSON_SEPARATORS = (",", ":")  # OpenAI's chunks are compact JSON
_DONE = b"data: [DONE]\n\n"
_CHUNKED_END = b"0\r\n\r\n"


def _dumps(value: Any) -> str:
    """Serialise like OpenAI: compact, non-ASCII characters as raw UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=_JSON_SEPARATORS)


def _random_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Request:
    """One parsed HTTP request."""

    method: str
    path: str  # without the query string
    version: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


class _BadRequestError(Exception):
    """The request could not be parsed; answered with a 4xx and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Read one request: request line, headers, body (Content-Length or chunked).

    Returns:
        The request, or None when the client closed the connection between requests.

    Raises:
        _BadRequestError: The request is malformed or too large.
    """
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
        line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequestError(400, "Malformed request line.")
    method, target, version = parts

    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise _BadRequestError(400, "Malformed header line.")
        headers[name.strip().lower()] = value.strip()
    else:
        raise _BadRequestError(431, "Too many header lines.")

    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked_body(reader)
    else:
        try:
            length = int(headers.get("content-length", "0") or "0")
        except ValueError:
            raise _BadRequestError(400, "Invalid Content-Length.") from None
        if length < 0 or length > _MAX_BODY_BYTES:
            raise _BadRequestError(413, "Request body too large.")
        body = await reader.readexactly(length) if length else b""
    return _Request(method, target.split("?", 1)[0], version, headers, body)


async def _read_chunked_body(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _BadRequestError(400, "Malformed chunk size.") from None
        if size == 0:
            # Skip trailers up to the blank line that ends the body.
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        total += size
        if total > _MAX_BODY_BYTES:
            raise _BadRequestError(413, "Request body too large.")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)  # the CRLF after each chunk


def _head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    """Build a response's status line and headers."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}", "Server: tuichat-demo"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _ChunkedWriter:
    """Writes a response body with chunked transfer encoding."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, data: bytes) -> None:
        """Send `data` as one HTTP chunk and wait until the transport can take more."""
        if not data:  # a zero-length chunk would end the body
            return
        self._writer.writelines((b"%x\r\n" % len(data), data, b"\r\n"))
        await self._writer.drain()

    async def end(self) -> None:
        """Send the terminating zero-length chunk."""
        self._writer.write(_CHUNKED_END)
        await self._writer.drain()


# --------------------------------------------------------------------------------------
# The OpenAI wire format
# --------------------------------------------------------------------------------------


class _ChunkFactory:
    """Builds the SSE events of one streamed completion.

    Every event shares the completion's id, created and model, so the JSON around the
    delta is serialised once into a prefix and a suffix: building an event is then one
    small `json.dumps` and two concatenations, which keeps a 20,000-chunk flood cheap.
    """

    def __init__(
        self, completion_id: str, created: int, model: str, *, include_usage: bool
    ) -> None:
        self._head = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": _SYSTEM_FINGERPRINT,
        }
        head = _dumps(self._head)[:-1]  # without the closing brace
        self._prefix = f'data: {head},"choices":[{{"index":0,"delta":'.encode()
        # OpenAI puts `"usage":null` on every chunk once include_usage is requested.
        usage_null = ',"usage":null' if include_usage else ""
        self._suffix = f',"logprobs":null,"finish_reason":null}}]{usage_null}}}\n\n'.encode()
        self._finish_suffix = f"}}]{usage_null}}}\n\n".encode()

    def delta(self, delta: dict[str, Any]) -> bytes:
        """An event carrying `delta` in choice 0."""
        return self._prefix + _dumps(delta).encode() + self._suffix

    def content(self, text: str) -> bytes:
        """An event carrying a piece of visible text (the hot path of a flood)."""
        return self._prefix + b'{"content":' + _dumps(text).encode() + b"}" + self._suffix

    def finish(self, reason: str) -> bytes:
        """The event with an empty delta and the finish reason."""
        return (
            self._prefix
            + b'{},"logprobs":null,"finish_reason":'
            + _dumps(reason).encode()
            + self._finish_suffix
        )

    def usage(self, usage: dict[str, Any]) -> bytes:
        """The `stream_options.include_usage` event: no choices, just usage."""
        return f"data: {_dumps({**self._head, 'choices': [], 'usage': usage})}\n\n".encode()


def _split_arguments(text: str) -> list[str]:
    """Cut a tool call's argument text into 3-6 fragments, as OpenAI streams them."""
    if not text:
        return []
    count = min(len(text), 3 + zlib.crc32(text.encode("utf-8")) % 4)
    bounds = [round(i * len(text) / count) for i in range(count + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@dataclass(slots=True)
class _Plan:
    """A `Scripted` reply resolved into deltas, ready for either wire shape."""

    text: str | None
    text_pieces: list[str]
    reasoning: str | None
    reasoning_pieces: list[str]
    calls: list[tuple[str, str, str, list[str]]]  # (id, name, arguments, fragments)
    finish_reason: str

    @classmethod
    def of(cls, reply: Scripted) -> _Plan:
        calls = []
        for call in reply.calls():
            arguments = call.arguments_text()
            call_id = call.id or _random_id("call_", 24)
            calls.append((call_id, call.name, arguments, _split_arguments(arguments)))
        return cls(
            text=reply.text,
            text_pieces=split_tokens(reply.text) if reply.text else [],
            reasoning=reply.reasoning,
            reasoning_pieces=split_tokens(reply.reasoning) if reply.reasoning else [],
            calls=calls,
            finish_reason=reply.resolved_finish_reason(),
        )

    def completion_tokens(self) -> int:
        fragments = sum(len(pieces) + 1 for *_, pieces in self.calls)
        return len(self.text_pieces) + len(self.reasoning_pieces) + fragments

    def events(self, factory: _ChunkFactory) -> Iterator[bytes]:
        """The `chat.completion.chunk` events, from the role chunk to the finish chunk."""
        if self.reasoning_pieces:
            role: dict[str, Any] = {"role": "assistant", "content": None, "reasoning_content": ""}
        elif self.text_pieces:
            role = {"role": "assistant", "content": "", "refusal": None}
        else:
            role = {"role": "assistant", "content": None}
        yield factory.delta(role)
        for piece in self.reasoning_pieces:
            yield factory.delta({"content": None, "reasoning_content": piece})
        for piece in self.text_pieces:
            yield factory.content(piece)
        for index, (call_id, name, _, fragments) in enumerate(self.calls):
            # The first fragment names the call; the rest only carry index + argument text.
            first = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            yield factory.delta({"tool_calls": [first]})
            for fragment in fragments:
                yield factory.delta(
                    {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
                )
        yield factory.finish(self.finish_reason)

    def message(self) -> dict[str, Any]:
        """The assistant message of a non-streamed `chat.completion`."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.text if self.text else None,
            "refusal": None,
            "annotations": [],
        }
        if self.reasoning:
            message["reasoning_content"] = self.reasoning
        if self.calls:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
                for call_id, name, args, _ in self.calls
            ]
        return message


def _usage(prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """A rough token count of the prompt (about four characters per token)."""
    text = _dumps(body.get("messages") or []) + _dumps(body.get("tools") or [])
    return max(1, len(text) // 4)


@dataclass(slots=True)
class _Call:
    """What one chat request asked for, as far as the response shape goes."""

    body: dict[str, Any]
    stream: bool
    include_usage: bool
    model: str
    completion_id: str
    created: int

    def factory(self) -> _ChunkFactory:
        return _ChunkFactory(
            self.completion_id, self.created, self.model, include_usage=self.include_usage
        )

    def completion(self, message: dict[str, Any], finish: str, usage: dict[str, Any]) -> bytes:
        """A whole non-streamed `chat.completion` object."""
        return _dumps(
            {
                "id": self.completion_id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": _SYSTEM_FINGERPRINT,
            }
        ).encode()


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class ChatServer:
    """An OpenAI-compatible chat server on 127.0.0.1, running in a background thread.

    Endpoints: `POST /v1/chat/completions` (streamed or not), `GET /v1/models`,
    `GET /v1/models/{id}`; anything else is a 404 in OpenAI's error shape. The `/v1` prefix
    is optional. Connections are kept alive unless the client asks otherwise.

    Attributes:
        requests: The parsed JSON bodies of the chat requests received, in order.
        request_headers: The headers of those requests (lower-cased names), same order.
        default_reply: When set, answers every chat request that has no queued reply
            (e.g. `HTTPError.server_error()` to make everything fail, or `Flood(n)`).
        tokens_per_second: Pacing of streamed events (`None`: as fast as possible).
        model: The model id listed on `/models` and used when a request names none.
    """

    def __init__(
        self,
        tokens_per_second: float | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = DEMO_MODEL,
        default_reply: Reply | None = None,
    ) -> None:
        """Create a server (not started yet).

        Args:
            tokens_per_second: Pacing of streamed events; `None` streams as fast as
                possible (and batches events), the interactive demo uses
                `tuichat.demo.DEMO_TOKENS_PER_SECOND`.
            host: Address to bind; keep the loopback default.
            port: Port to bind; 0 picks a free one.
            model: The model id listed on `/models`.
            default_reply: Answer every chat request with this unless a reply is queued.
        """
        self.tokens_per_second = tokens_per_second
        self.model = model
        self.default_reply = default_reply
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self._host = host
        self._port = port
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a daemon thread; returns once the port is bound.

        Returns:
            The server itself, for chaining.

        Raises:
            RuntimeError: The server was already started.
            OSError: The address could not be bound.
        """
        if self._thread is not None:
            raise RuntimeError("ChatServer.start() called twice")
        self._thread = threading.Thread(
            target=self._run, name=f"tuichat-demo-server-{id(self):x}", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: close open connections, then join the thread. Idempotent.

        Args:
            timeout: Seconds to wait for the thread to finish.
        """
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stop_event is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed on its own meanwhile
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after `start()`)."""
        return self._port

    @property
    def url(self) -> str:
        """The server's root URL, e.g. `http://127.0.0.1:40123`."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """The OpenAI `base_url` to give a client, e.g. `http://127.0.0.1:40123/v1`."""
        return f"{self.url}/v1"

    # ---- scripting -------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies: each of the next chat requests gets the next queued reply.

        Args:
            *replies: The replies, in the order the requests will get them.
        """
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending_replies(self) -> int:
        """How many queued replies have not been used yet."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        """Forget queued replies, the default reply and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self.default_reply = None
            self.requests.clear()
            self.request_headers.clear()

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.default_reply is not None:
            return self.default_reply
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        tools = body.get("tools")
        return plan_reply(messages, tools if isinstance(tools, list) else None)

    # ---- event loop ------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        # Route the loop's unhandled-error reports to our logger instead of stderr.
        loop.set_exception_handler(_log_loop_exception)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # handed to start(), or logged
            if not self._ready.is_set():
                self._startup_error = exc
            else:
                logger.exception("demo server loop crashed")
        finally:
            self._ready.set()
            with contextlib.suppress(RuntimeError):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stop_event = asyncio.Event()
        server = await asyncio.start_server(self._handle_connection, self._host, self._port)
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            server.close()
            # Streams and keep-alive connections would otherwise outlive the server.
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    async def _handle_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except _BadRequestError as exc:
                    await _send_json(
                        writer, exc.status, HTTPError(exc.status, exc.message).body(), False
                    )
                    break
                if request is None or not await self._dispatch(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            # The client went away (or cancelled a stream): normal, nothing to report.
            logger.debug("client disconnected", exc_info=True)
        except asyncio.CancelledError:
            # Only `stop()` cancels connection tasks. Ending normally rather than re-raising:
            # on Python 3.11 asyncio's streams report a cancelled connection task as an
            # "exception in callback" error.
            logger.debug("connection closed by server shutdown")
        except Exception:
            logger.exception("demo server: error while handling a request")
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    # ---- routing ---------------------------------------------------------------------

    async def _dispatch(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request.

        Returns:
            Whether the connection may serve another request.
        """
        keep_alive = request.keep_alive
        path = request.path.rstrip("/")
        if path.startswith("/v1/") or path == "/v1":
            path = path[3:]
        if path == "/chat/completions":
            if request.method != "POST":
                return await _send_method_not_allowed(writer, request, keep_alive)
            return await self._chat(request, writer, keep_alive)
        if path == "/models":
            if request.method != "GET":
                return await _send_method_not_allowed(writer, request, keep_alive)
            body = {"object": "list", "data": [self._model_object()]}
            return await _send_json(writer, 200, body, keep_alive)
        if path.startswith("/models/") and request.method == "GET":
            model_id = path[len("/models/") :]
            if model_id == self.model:
                return await _send_json(writer, 200, self._model_object(), keep_alive)
            error = HTTPError.model_not_found(model_id)
            return await _send_json(writer, 404, error.body(), keep_alive)
        error = HTTPError(404, f"Invalid URL ({request.method} {request.path})")
        return await _send_json(writer, 404, error.body(), keep_alive)

    def _model_object(self) -> dict[str, Any]:
        return {
            "id": self.model,
            "object": "model",
            "created": _MODEL_CREATED,
            "owned_by": "tuichat",
        }

    async def _chat(
        self, request: _Request, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            error = HTTPError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
            )
            return await _send_json(writer, 400, error.body(), keep_alive)
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(dict(request.headers))

        try:
            reply = self._next_reply(body)
        except Exception:
            logger.exception("demo model failed to plan a reply")
            return await _send_json(writer, 500, HTTPError.server_error().body(), keep_alive)

        stream = body.get("stream") is True
        stream_options = body.get("stream_options")
        include_usage = (
            stream
            and isinstance(stream_options, dict)
            and stream_options.get("include_usage") is True
        )
        model = body.get("model")
        call = _Call(
            body=body,
            stream=stream,
            include_usage=include_usage,
            model=model if isinstance(model, str) and model else self.model,
            completion_id=_random_id("chatcmpl-", 29),
            created=int(time.time()),
        )
        return await self._answer(call, reply, writer, keep_alive)

    # ---- replies ---------------------------------------------------------------------

    async def _answer(
        self, call: _Call, reply: Reply, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        """Send `reply` for `call`; returns whether the connection may be reused."""
        if isinstance(reply, HTTPError):
            return await _send_json(
                writer, reply.status, reply.body(), keep_alive, reply.headers or {}
            )
        if isinstance(reply, RawSSE):
            return await self._send_raw_sse(reply, writer, keep_alive)
        if isinstance(reply, Slow):
            reply = reply.as_scripted()
        if isinstance(reply, Scripted):
            return await self._send_scripted(call, reply, writer, keep_alive)
        if isinstance(reply, Flood):
            return await self._send_flood(call, reply, writer, keep_alive)
        if isinstance(reply, DropAfter):
            return await self._send_drop_after(call, reply, writer)
        if isinstance(reply, Stall):
            if not reply.headers_first or not call.stream:
                await asyncio.sleep(reply.seconds)
                return await self._send_scripted(
                    call, Scripted(text=reply.text), writer, keep_alive
                )
            out = await _begin_sse(writer, keep_alive)
            await asyncio.sleep(reply.seconds)
            await self._stream_plan(call, _Plan.of(Scripted(text=reply.text)), out, None)
            return keep_alive
        raise TypeError(f"unknown reply type: {type(reply).__name__}")

    def _pace(self, override: float | None) -> float | None:
        return override if override is not None else self.tokens_per_second

    async def _send_scripted(
        self, call: _Call, reply: Scripted, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        plan = _Plan.of(reply)
        if not call.stream:
            usage = _usage(
                _estimate_prompt_tokens(call.body),
                plan.completion_tokens(),
                len(plan.reasoning_pieces),
            )
            body = call.completion(plan.message(), plan.finish_reason, usage)
            return await _send_bytes(writer, 200, body, "application/json", keep_alive)
        out = await _begin_sse(writer, keep_alive)
        await self._stream_plan(call, plan, out, self._pace(reply.tokens_per_second))
        return keep_alive

    async def _stream_plan(
        self, call: _Call, plan: _Plan, out: _ChunkedWriter, pace: float | None
    ) -> None:
        factory = call.factory()
        events: Iterable[bytes] = plan.events(factory)
        if call.include_usage:
            usage = _usage(
                _estimate_prompt_tokens(call.body),
                plan.completion_tokens(),
                len(plan.reasoning_pieces),
            )
            events = _chain(events, factory.usage(usage))
        await _write_events(out, _chain(events, _DONE), pace)
        await out.end()

    async def _send_flood(
        self, call: _Call, reply: Flood, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        tokens = flood_tokens(reply.n_chunks, reply.words_per_chunk, reply.paragraph_every)
        if not call.stream:
            message = {"role": "assistant", "content": "".join(tokens), "refusal": None}
            usage = _usage(_estimate_prompt_tokens(call.body), len(tokens))
            body = call.completion(message, "stop", usage)
            return await _send_bytes(writer, 200, body, "application/json", keep_alive)
        factory = call.factory()

        def events() -> Iterator[bytes]:
            yield factory.delta({"role": "assistant", "content": "", "refusal": None})
            content = factory.content
            for token in tokens:
                yield content(token)
            yield factory.finish("stop")
            if call.include_usage:
                yield factory.usage(_usage(_estimate_prompt_tokens(call.body), len(tokens)))
            yield _DONE

        out = await _begin_sse(writer, keep_alive)
        await _write_events(out, events(), self._pace(reply.tokens_per_second))
        await out.end()
        return keep_alive

    async def _send_drop_after(
        self, call: _Call, reply: DropAfter, writer: asyncio.StreamWriter
    ) -> bool:
        pieces = reply.pieces()
        if not call.stream:
            # Announce the whole body, send half of it, hang up.
            message = {"role": "assistant", "content": "".join(pieces), "refusal": None}
            body = call.completion(message, "stop", _usage(1, len(pieces)))
            head = _head(
                200,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            return False
        out = await _begin_sse(writer, keep_alive=False)
        factory = call.factory()
        await out.write(factory.delta({"role": "assistant", "content": "", "refusal": None}))
        for piece in pieces[: max(0, reply.after)]:
            await out.write(factory.content(piece))
        # Returning False closes the socket without the zero-length chunk: to the client
        # the chunked body is incomplete, exactly like a connection dropped mid-stream.
        return False

    async def _send_raw_sse(
        self, reply: RawSSE, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        out = await _begin_sse(writer, keep_alive)
        body = reply.body
        if reply.slice_sizes is None:
            await out.write(body)
        else:
            low, high = reply.slice_sizes
            low = max(1, low)
            high = max(low, high)
            # Not for security: a seeded generator so a failing slicing can be replayed.
            rng = random.Random(reply.seed)
            position = 0
            while position < len(body):
                size = rng.randint(low, high)
                await out.write(body[position : position + size])
                position += size
                if reply.delay > 0 and position < len(body):
                    await asyncio.sleep(reply.delay)
        await out.end()
        return keep_alive


# --------------------------------------------------------------------------------------
# Response helpers
# --------------------------------------------------------------------------------------


def _connection_header(keep_alive: bool) -> tuple[str, str]:
    return ("Connection", "keep-alive" if keep_alive else "close")


def _request_id() -> str:
    return "req_" + secrets.token_hex(16)


async def _send_bytes(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    keep_alive: bool,
    extra_headers: dict[str, str] | None = None,
) -> bool:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-request-id", _request_id()),
        _connection_header(keep_alive),
    ]
    headers.extend((extra_headers or {}).items())
    writer.write(_head(status, headers) + body)
    await writer.drain()
    return keep_alive


async def _send_json(
    writer: asyncio.StreamWriter,
    status: int,
    body: dict[str, Any],
    keep_alive: bool,
    extra_headers: dict[str, str] | None = None,
) -> bool:
    data = _dumps(body).encode()
    return await _send_bytes(writer, status, data, "application/json", keep_alive, extra_headers)


async def _send_method_not_allowed(
    writer: asyncio.StreamWriter, request: _Request, keep_alive: bool
) -> bool:
    error = HTTPError(405, f"Method not allowed ({request.method} {request.path})")
    return await _send_json(writer, 405, error.body(), keep_alive)


async def _begin_sse(writer: asyncio.StreamWriter, keep_alive: bool) -> _ChunkedWriter:
    """Send the headers of a 200 event-stream response; returns the body writer."""
    headers = [
        ("Content-Type", "text/event-stream; charset=utf-8"),
        ("Transfer-Encoding", "chunked"),
        ("Cache-Control", "no-cache"),
        ("x-request-id", _request_id()),
        _connection_header(keep_alive),
    ]
    writer.write(_head(200, headers))
    await writer.drain()
    return _ChunkedWriter(writer)


def _chain(events: Iterable[bytes], *more: bytes) -> Iterator[bytes]:
    yield from events
    yield from more


async def _write_events(
    out: _ChunkedWriter, events: Iterable[bytes], tokens_per_second: float | None
) -> None:
    """Write SSE events, paced at `tokens_per_second` events per second or unthrottled.

    Unthrottled, events go out in batches of `_BATCH_EVENTS` per HTTP chunk, one write and
    drain per batch (a flood of 20,000 chunks is then ~300 writes). Throttled, each event
    has a due time on a fixed schedule (no drift from sleep overshoot); events already due
    are written together.
    """
    if not tokens_per_second or tokens_per_second <= 0:
        batch: list[bytes] = []
        for event in events:
            batch.append(event)
            if len(batch) >= _BATCH_EVENTS:
                await out.write(b"".join(batch))
                batch.clear()
        if batch:
            await out.write(b"".join(batch))
        return

    loop = asyncio.get_running_loop()
    interval = 1.0 / tokens_per_second
    start = loop.time()
    pending: list[bytes] = []
    for index, event in enumerate(events):
        delay = start + index * interval - loop.time()
        if delay > 0:
            if pending:
                await out.write(b"".join(pending))
                pending.clear()
            await asyncio.sleep(delay)
        pending.append(event)
    if pending:
        await out.write(b"".join(pending))


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exception = context.get("exception")
    if isinstance(exception, ConnectionError | BrokenPipeError):
        logger.debug("demo server: %s", context.get("message"), exc_info=exception)
    else:
        logger.error("demo server: %s", context.get("message"), exc_info=exception)
