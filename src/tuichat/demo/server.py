"""A real OpenAI-compatible HTTP server on 127.0.0.1, for the offline demo and for tests.

`ChatServer` runs a small asyncio HTTP/1.1 server in a daemon thread with its own event
loop, so it works the same under a synchronous test, an async test, a Textual app or a
separate process (`python -m tuichat.demo`). It speaks the wire format of the Chat
Completions API exactly: `chat.completion.chunk` events as SSE over chunked transfer
encoding, `data: [DONE]`, the `stream_options.include_usage` chunk with `choices: []`,
and errors in OpenAI's `{"error": {...}}` shape. Clients are therefore tested through the
real `openai` SDK and httpx stack, with no mocks.

The server is the lifecycle, the routing and the connections; the rest is beside it:
`tuichat.demo.http_io` (reading requests, writing responses), `tuichat.demo.chunks` (how a
reply becomes `chat.completion.chunk` events) and `tuichat.demo.responses` (sending each
kind of reply).

What it answers comes from the scripted demo model (`tuichat.demo.planner.plan_reply`),
unless a test queued a reply with `ChatServer.enqueue` (the reply types are in
`tuichat.demo.replies`: `Scripted`, `Slow`, `RawSSE`, `Recorded`, `HTTPError`, `DropAfter`,
`Stall`, `Flood`) or set a persistent `default_reply`.

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
import json
import logging
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any, Self

from tuichat.demo import DEMO_MODEL, DEMO_MODELS, DemoModel
from tuichat.demo.chunks import Call, random_id
from tuichat.demo.http_io import BadRequestError, Request, read_request, send_json
from tuichat.demo.planner import plan_reply
from tuichat.demo.replies import HTTPError, Reply
from tuichat.demo.responses import send_reply

__all__ = ["ChatServer"]

logger = logging.getLogger(__name__)
# The server often runs inside the TUI: without this, Python's last-resort handler would
# print warnings straight onto the terminal screen.
logger.addHandler(logging.NullHandler())

DEMO_CONTEXT_LENGTH = 32_768  # tokens: the window `/models` gives the demo models
_MODEL_CREATED = 1_735_689_600  # 2025-01-01, fixed so `/models` is stable


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
        model: The model id listed first on `/models` and used when a request names none.
        models: The other models listed on `/models`; a request naming one of them is
            answered at its pace, after its delay before the first token.
    """

    def __init__(
        self,
        tokens_per_second: float | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: str = DEMO_MODEL,
        models: tuple[DemoModel, ...] = DEMO_MODELS,
        default_reply: Reply | None = None,
    ) -> None:
        """Create a server (not started yet).

        Args:
            tokens_per_second: Pacing of streamed events; `None` streams as fast as
                possible (and batches events), the interactive demo uses
                `tuichat.demo.DEMO_TOKENS_PER_SECOND`.
            host: Address to bind; keep the loopback default.
            port: Port to bind; 0 picks a free one.
            model: The model id listed first on `/models`.
            models: The demo models, each with its own speed (`tuichat.demo.DEMO_MODELS`).
            default_reply: Answer every chat request with this unless a reply is queued.
        """
        self.tokens_per_second = tokens_per_second
        self.model = model
        self.models = {demo.name: demo for demo in models if demo.name != model}
        self.default_reply = default_reply
        self.requests: list[dict[str, Any]] = []
        self.context_length = DEMO_CONTEXT_LENGTH  # the window `/models` says each model has
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
                    request = await read_request(reader)
                except BadRequestError as exc:
                    await send_json(
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

    async def _dispatch(self, request: Request, writer: asyncio.StreamWriter) -> bool:
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
            listed = [self._model_object(name) for name in self.model_ids]
            return await send_json(writer, 200, {"object": "list", "data": listed}, keep_alive)
        if path.startswith("/models/") and request.method == "GET":
            model_id = path[len("/models/") :]
            if model_id in self.model_ids:
                return await send_json(writer, 200, self._model_object(model_id), keep_alive)
            error = HTTPError.model_not_found(model_id)
            return await send_json(writer, 404, error.body(), keep_alive)
        error = HTTPError(404, f"Invalid URL ({request.method} {request.path})")
        return await send_json(writer, 404, error.body(), keep_alive)

    @property
    def model_ids(self) -> list[str]:
        """The ids `/models` lists: the server's model first."""
        return [self.model, *self.models]

    def _model_object(self, model_id: str) -> dict[str, Any]:
        return {
            "id": model_id,
            "object": "model",
            "created": _MODEL_CREATED,
            "owned_by": "tuichat",
            # As OpenRouter and LM Studio say it (tests make it small to fill it).
            "context_length": self.context_length,
        }

    async def _chat(self, request: Request, writer: asyncio.StreamWriter, keep_alive: bool) -> bool:
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
            return await send_json(writer, 400, error.body(), keep_alive)
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(dict(request.headers))

        try:
            reply = self._next_reply(body)
        except Exception:
            logger.exception("demo model failed to plan a reply")
            return await send_json(writer, 500, HTTPError.server_error().body(), keep_alive)

        stream = body.get("stream") is True
        stream_options = body.get("stream_options")
        include_usage = (
            stream
            and isinstance(stream_options, dict)
            and stream_options.get("include_usage") is True
        )
        model = body.get("model")
        call = Call(
            body=body,
            stream=stream,
            include_usage=include_usage,
            model=model if isinstance(model, str) and model else self.model,
            completion_id=random_id("chatcmpl-", 29),
            created=int(time.time()),
        )
        pace = self.tokens_per_second
        demo = self.models.get(call.model)
        if demo is not None:
            # Each demo model has its own speed: how long it "thinks", how fast it writes.
            if demo.first_token_delay > 0:
                await asyncio.sleep(demo.first_token_delay)
            if demo.tokens_per_second is not None:
                pace = demo.tokens_per_second
        return await send_reply(call, reply, writer, keep_alive, pace)


async def _send_method_not_allowed(
    writer: asyncio.StreamWriter, request: Request, keep_alive: bool
) -> bool:
    error = HTTPError(405, f"Method not allowed ({request.method} {request.path})")
    return await send_json(writer, 405, error.body(), keep_alive)


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exception = context.get("exception")
    if isinstance(exception, ConnectionError | BrokenPipeError):
        logger.debug("demo server: %s", context.get("message"), exc_info=exception)
    else:
        logger.error("demo server: %s", context.get("message"), exc_info=exception)
