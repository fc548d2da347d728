"""The connection to an OpenAI-compatible server, through the official `AsyncOpenAI` client.

Streaming goes through the SDK's raw streaming response: the SDK builds the request and
raises status errors, and we read the body's bytes ourselves. That gives the inspector every
`data:` payload exactly as it arrived, lets our tolerant accumulator handle provider quirks
the SDK's models reject, and skips a pydantic model per chunk (most of the cost of a bare
SDK consumer).

The retries and the waits are ours, not the SDK's, so that each can be shown: the SDK is
told not to retry, and `complete` asks again itself (`tuichat.core.retry` says when), with
a `Retrying` event before each new attempt. Two limits apply: `Provider.timeout` to connect
and to get the response's head, `Provider.stall_timeout` to each silence in its body (a
watchdog around every read), so a slow first token and a stream that stopped are told apart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import sys
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, cast

from tuichat.core.accumulator import StreamState
from tuichat.core.events import (
    BodyRead,
    Event,
    RawChunk,
    RawComment,
    RequestSent,
    Retrying,
    StreamError,
)
from tuichat.core.provider import Provider
from tuichat.core.redact import redact_headers
from tuichat.core.retry import RetryPolicy, retry_after, status_is_retried
from tuichat.core.sse import SSEDecoder
from tuichat.core.text import strip_control
from tuichat.core.wire import error_records, head_of

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

# `openai` is imported on first need, not with this module: importing it (its types are
# hundreds of pydantic models) takes longer than starting the rest of the full-screen app,
# which needs it only when the first prompt is sent. `prepare_sdk()` imports it in a thread
# meanwhile (the app starts it once its first frame is on screen), then creates the clients
# made so far (an `AsyncOpenAI` costs tens of ms: its SSL context). A request that comes
# first waits for the import without blocking the event loop.
_sdk_lock = threading.Lock()
_sdk_import: concurrent.futures.Future[None] | None = None
_waiting: weakref.WeakSet[ChatClient] = weakref.WeakSet()  # clients to create after import


def _import_sdk() -> None:
    import openai  # noqa: F401  (the import is the point: it lands in sys.modules)

    with _sdk_lock:
        clients = list(_waiting)
        _waiting.clear()
    for client in clients:
        try:
            # The SDK imports its chat resources on first access (~25 ms, more on a busy
            # machine): here rather than in the first request.
            _ = client._create().chat.completions.with_streaming_response
        except Exception:  # made again on first use, where a failure is reported
            pass


def prepare_sdk() -> concurrent.futures.Future[None]:
    """Import `openai` in a background thread, once; later calls return the same future.

    Returns:
        A future that is done when the SDK is imported (or failed to import).
    """
    global _sdk_import
    with _sdk_lock:
        if _sdk_import is None:
            future: concurrent.futures.Future[None] = concurrent.futures.Future()
            if "openai" in sys.modules:
                future.set_result(None)
            else:

                def run() -> None:
                    try:
                        _import_sdk()
                    except BaseException as error:  # surfaces where the SDK is needed
                        future.set_exception(error)
                    else:
                        future.set_result(None)

                threading.Thread(target=run, name="tuichat-import-openai", daemon=True).start()
            _sdk_import = future
        return _sdk_import


async def _sdk_ready() -> None:
    """Wait (without blocking the event loop) until `openai` is imported."""
    if _sdk_import is None and "openai" in sys.modules:
        return  # imported already, by someone else
    # Shielded: the future is shared by every client of the process, and a waiter that is
    # cancelled (an app quitting while its first request waits) would cancel it for all.
    await asyncio.shield(asyncio.wrap_future(prepare_sdk()))


def _connection_errors() -> tuple[type[BaseException], ...]:
    """Network errors: the SDK's, and those raised while we read the body ourselves (the SDK
    wraps only its own reads)."""
    import openai

    transport = _http_module()
    return (openai.APIConnectionError, transport.TransportError, transport.StreamError)


def _timeout_errors() -> tuple[type[BaseException], ...]:
    import openai

    return (openai.APITimeoutError, _http_module().TimeoutException)


def _http_module() -> Any:
    """The HTTP library under the SDK: openai 3.x runs on httpx2, earlier releases on httpx."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - depends on the installed SDK
        import httpx  # type: ignore[import-not-found, unused-ignore]

        return httpx


NO_KEY = "no-key"  # AsyncOpenAI insists on a key; local servers ignore this one


def _body_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str) and body:
        return body[:300]
    return ""


def describe_status_error(error: openai.APIStatusError, provider: Provider) -> str:
    """Say what an HTTP error status means and what to do about it.

    Args:
        error: the SDK's exception for a 4xx/5xx answer.
        provider: the endpoint that answered.

    Returns:
        A message for the conversation.
    """
    status = error.status_code
    detail = _body_message(error)
    said = f" The server said: {detail}" if detail else ""
    if status == 401:
        if not provider.api_key_env and not provider.api_key:
            return (
                f"HTTP 401: the server wants an API key and none was sent.{said} "
                "Set api_key_env in this profile (or pass --api-key-env NAME)."
            )
        where = f"${provider.api_key_env}" if provider.api_key_env else "the profile's api_key"
        return (
            f"HTTP 401: the server rejected the API key.{said} "
            f"Check the key in {where} (or choose another with --api-key-env)."
        )
    if status == 403:
        return (
            f"HTTP 403: this key may not use model '{provider.model}'.{said} Check its permissions."
        )
    if status == 404:
        return (
            f"HTTP 404: model '{provider.model}' or the endpoint was not found at "
            f"{provider.base_url}.{said} Check the model ({provider.model_from}) and the "
            f"base URL ({provider.base_url_from}; it usually ends in /v1)."
        )
    if status == 429:
        retry = error.response.headers.get("retry-after")
        wait = f"retry in {retry} s" if retry else "wait a moment and retry"
        return (
            f"HTTP 429: rate limited or out of quota.{said} {wait.capitalize()}, "
            "or check your plan."
        )
    if status >= 500:
        return f"HTTP {status}: the server failed.{said} This is on the server's side: try again."
    return f"HTTP {status}.{said} Check the request options (--model, --base-url)."


Stage = Literal["connecting", "head", "body"]
"""How far a response got: not answered yet, its head in, a byte of its body in."""


def _transport_message(error: BaseException, provider: Provider, stage: Stage) -> StreamError:
    cause = error.__cause__ or error
    detail = str(cause) or str(error) or type(error).__name__
    timeouts = _timeout_errors()
    if isinstance(error, timeouts) or isinstance(cause, timeouts):
        return _no_answer(provider, detail)
    if stage == "body":
        return StreamError(
            "connection",
            f"The connection dropped in the middle of the answer ({detail}). "
            "The partial answer is kept.",
        )
    if stage == "head":
        return StreamError(
            "connection",
            f"The connection dropped after the server answered, before any of the answer "
            f"came ({detail}).",
        )
    return StreamError(
        "connection",
        f"Could not connect to {provider.base_url} ({detail}). "
        f"Is the server running? Check the base URL ({provider.base_url_from}).",
    )


def _no_answer(provider: Provider, detail: str = "") -> StreamError:
    said = f" ({detail})" if detail else ""
    return StreamError(
        "timeout",
        f"No answer from {provider.base_url} within {provider.timeout:g} s{said}. "
        f"The server may be busy: try again (or raise timeout in {provider.settings_source}).",
    )


def _stalled(provider: Provider, answered: bool) -> StreamError:
    """The body stayed silent for `stall_timeout` seconds (the watchdog ended it)."""
    wait = f"{provider.stall_timeout:g} s"
    change = "--stall-timeout"
    if provider.profile:
        change = f"stall_timeout in the profile `{provider.profile}`, or {change}"
    if answered:
        return StreamError(
            "timeout",
            f"The server stopped sending: nothing came for {wait} in the middle of the "
            f"answer. The partial answer is kept (the wait is the stall timeout: {change}).",
        )
    return StreamError(
        "timeout",
        f"The server stopped sending: it answered, then sent nothing of the answer for {wait}. "
        f"A model that thinks long before its first token needs a longer stall timeout "
        f"({change}).",
    )


def describe_models_error(error: BaseException, provider: Provider) -> str:
    """Why the server's model list could not be had (F3), and what to do."""
    import openai

    if isinstance(error, openai.APIStatusError):
        if error.status_code in (401, 403):
            return describe_status_error(error, provider) + " Or type a model name."
        return (
            f"This server does not list its models (HTTP {error.status_code}): "
            "type a model name and press Enter."
        )
    if isinstance(error, _connection_errors()) or isinstance(error, _timeout_errors()):
        return _transport_message(error, provider, "connecting").message + " Or type a model name."
    return (
        f"The model list could not be read ({type(error).__name__}): "
        "type a model name and press Enter."
    )


class ChatClient:
    """Sends a conversation to one provider and turns the answer into core events."""

    def __init__(self, provider: Provider, retry_policy: RetryPolicy | None = None) -> None:
        self.provider = provider
        self.retry_policy = retry_policy or RetryPolicy()
        self._sdk_client: openai.AsyncOpenAI | None = None  # see `_openai`
        self._creating = threading.Lock()
        with _sdk_lock:
            if _sdk_import is None or not _sdk_import.done():
                _waiting.add(self)  # created by the thread that imports the SDK

    def _create(self) -> openai.AsyncOpenAI:
        """Create the SDK's client (once; from the event loop or the import thread)."""
        with self._creating:
            if self._sdk_client is None:
                import openai

                provider = self.provider
                self._sdk_client = openai.AsyncOpenAI(
                    base_url=provider.base_url,
                    api_key=provider.api_key or NO_KEY,
                    timeout=provider.timeout,
                    max_retries=0,  # the retries are ours (see `complete`), so they are shown
                    default_headers=provider.extra_headers or None,
                )
            return self._sdk_client

    async def _openai(self) -> openai.AsyncOpenAI:
        """The SDK's client: made by the import thread, or here on first use."""
        client = self._sdk_client
        if client is None:
            await _sdk_ready()
            client = self._create()
        return client

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._sdk_client is not None:
            await self._sdk_client.close()

    def request_body(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        tool_choice: str | None = None,
    ) -> dict[str, Any]:
        """The JSON body of a chat completion request."""
        provider = self.provider
        body: dict[str, Any] = {"model": provider.model, "messages": messages, **provider.params}
        if tools:
            body["tools"] = tools
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        body["stream"] = provider.stream
        if provider.stream and provider.include_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    def describe_request(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request as the inspector shows it, with the key and auth headers redacted."""
        headers = {"Authorization": f"Bearer {self.provider.api_key or NO_KEY}"}
        headers.update(self.provider.extra_headers)
        return {
            "method": "POST",
            "url": self.provider.base_url.rstrip("/") + "/chat/completions",
            "headers": redact_headers(headers),
            "body": body,
        }

    async def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        state: StreamState,
        *,
        tool_choice: str | None = None,
    ) -> AsyncIterator[list[Event]]:
        """Ask for one answer, asking again after a failure that `tuichat.core.retry` retries.

        Yields batches of events, one batch per network read, so that a consumer handles a
        burst of chunks at once. Errors never escape: they end the answer with a StreamError
        and the partial message stays in `state`. Cancellation propagates (the HTTP response
        is closed on the way out).

        What went over the wire comes too (`WireRecord`s, for the inspector and turn files):
        `RequestSent` first; `ResponseHead` once the status and headers are in (also for an
        HTTP error, followed by its body); then each network read as a `BodyRead` with the
        `RawChunk`s and `RawComment`s it completed (a read that completed nothing rides
        with the next batch). An attempt that failed before any byte of the answer, when
        the provider's `max_retries` allows another, is followed by `Retrying` (the wait is
        waited here) and the next attempt's records, from its own `RequestSent`.

        Args:
            messages: the conversation in OpenAI's wire format.
            tools: tool schemas to offer, if any.
            state: the accumulator that keeps the answer.
            tool_choice: e.g. "none": the model may not call the tools it is shown.
        """
        body = self.request_body(messages, tools, tool_choice)
        attempts = max(0, self.provider.max_retries) + 1
        for attempt in range(1, attempts + 1):
            failed = _Failure()
            async for batch in self._attempt(body, messages, state, failed):
                yield batch
            if failed.error is None:
                return
            if failed.retried and attempt < attempts:
                wait = failed.wait
                if wait is None:
                    wait = self.retry_policy.backoff(attempt)
                yield [*failed.records, Retrying(attempt + 1, attempts, wait, failed.reason)]
                await asyncio.sleep(wait)
                continue
            error = failed.error
            if attempt > 1:
                error = replace(error, message=f"{error.message} (tried {attempt} times)")
            yield [*failed.records, *state.fail(error)]
            return

    async def _attempt(
        self,
        body: dict[str, Any],
        messages: list[dict[str, Any]],
        state: StreamState,
        failed: _Failure,
    ) -> AsyncIterator[list[Event]]:
        """One request and its response; a failure is left in `failed` for `complete`."""
        provider = self.provider
        started = time.perf_counter()
        yield [RequestSent(self.describe_request(body))]
        kwargs = {key: value for key, value in body.items() if key not in ("model", "messages")}
        extra = {k: kwargs.pop(k) for k in list(kwargs) if k not in _SDK_PARAMS}
        # Plain dicts in the wire format: the SDK's TypedDicts describe the same shape.
        wire = cast("list[ChatCompletionMessageParam]", messages)
        sdk = await self._openai()
        import openai

        # Connecting and sending are the SDK's (httpx's limits); the wait for the head and
        # each silence of the body are timed here, so the two limits stay apart.
        limits = _http_module().Timeout(provider.timeout, read=None)
        stage: Stage = "connecting"
        answered = False  # a payload of the stream arrived (the answer has begun)
        pieces: list[bytes] = []  # of a whole (not streamed) answer
        try:
            async with contextlib.AsyncExitStack() as stack:
                completions = sdk.chat.completions.with_streaming_response
                request = completions.create(
                    model=provider.model,
                    messages=wire,
                    extra_body=extra or None,
                    timeout=limits,
                    **kwargs,
                )
                try:
                    async with asyncio.timeout(provider.timeout):
                        response = await stack.enter_async_context(request)
                except TimeoutError:
                    failed.fail(_no_answer(provider), retried=True, reason="no answer in time")
                    return
                http = response.http_response
                stage = "head"
                head = head_of(http, time.perf_counter() - started)
                if provider.stream:
                    yield [head]
                    decoder = _SSEBatcher(state, started)
                    reads = await stack.enter_async_context(_reads(http, provider.stall_timeout))
                    async for data in reads:
                        stage = "body"
                        batch = decoder.feed(data)
                        answered = decoder.payloads > 0
                        if batch:
                            yield batch
                        if decoder.done:
                            break  # do not wait for the server to close the body
                    content_type = http.headers.get("content-type", "")
                    yield decoder.finish(
                        not_an_answer(content_type, decoder.head, provider, stream=True)
                    )
                    return
                reads = await stack.enter_async_context(_reads(http, provider.stall_timeout))
                async for data in reads:
                    stage = "body"  # the answer has begun: a failure now is a drop
                    pieces.append(data)
                content = b"".join(pieces)
            text = content.decode("utf-8", "replace")
            now = time.perf_counter() - started
            whole: list[Event] = [head, BodyRead(content, now), RawChunk(text, now, True)]
            try:
                completion = json.loads(text)
            except json.JSONDecodeError:
                completion = None
            if not isinstance(completion, dict) or not (
                "choices" in completion or "error" in completion
            ):
                content_type = http.headers.get("content-type", "")
                failure = not_an_answer(content_type, content, provider, stream=False)
                yield whole + state.fail(failure)
                return
            yield whole + state.feed(completion) + state.finish(done=True)
        except _Stalled:
            if not provider.stream:  # what came of a whole answer: its head, and any bytes
                now = time.perf_counter() - started
                yield [head, *([BodyRead(b"".join(pieces), now)] if pieces else [])]
            failed.fail(_stalled(provider, answered), retried=False, reason="stalled")
        except openai.APIStatusError as error:
            status = error.status_code
            headers = {str(k): str(v) for k, v in error.response.headers.items()}
            failed.fail(
                StreamError("http", describe_status_error(error, provider), status),
                retried=status_is_retried(status, headers),
                reason=f"HTTP {status} ({_status_words(status)})",
                wait=retry_after(headers),
                records=error_records(error.response, time.perf_counter() - started),
            )
        except _connection_errors() as error:
            failure = _transport_message(error, provider, stage)
            timed_out = failure.kind == "timeout"
            reason = "no answer in time" if timed_out else "could not connect"
            if stage != "connecting":
                reason = "the connection dropped"
            failed.fail(failure, retried=stage != "body", reason=reason)

    async def list_models(self) -> list[str]:
        """The model ids the server lists at `/models`, sorted (the SDK retries this one)."""
        sdk = (await self._openai()).with_options(max_retries=self.provider.max_retries)
        page = await sdk.models.list()
        return sorted(model.id for model in page.data)

    async def model_entries(self) -> list[dict[str, Any]]:
        """The `/models` entries as the server sent them, with the fields OpenAI does not
        define (some servers say a model's context window there)."""
        sdk = (await self._openai()).with_options(max_retries=self.provider.max_retries)
        page = await sdk.models.list()
        return [model.model_dump() for model in page.data]


@dataclass(slots=True)
class _Failure:
    """How an attempt failed, for `ChatClient.complete` to retry it or to end the answer.

    Attributes:
        error: what to tell the user if it is not retried (None: the attempt did not fail).
        retried: whether another attempt may follow.
        reason: a few words on what failed, for `Retrying`.
        wait: the seconds the server asked to wait (`Retry-After`), if it did.
        records: the failed response's head and body, recorded before what follows.
    """

    error: StreamError | None = None
    retried: bool = False
    reason: str = ""
    wait: float | None = None
    records: list[Event] = field(default_factory=list)

    def fail(
        self,
        error: StreamError,
        *,
        retried: bool,
        reason: str,
        wait: float | None = None,
        records: list[Any] | None = None,
    ) -> None:
        self.error = error
        self.retried = retried
        self.reason = reason
        self.wait = wait
        self.records = list(records or [])


class _Stalled(Exception):
    """The response's body stayed silent for the stall timeout."""


@contextlib.asynccontextmanager
async def _reads(http: Any, stall_timeout: float) -> AsyncIterator[AsyncIterator[bytes]]:
    """The body's reads as they arrive, each watched: one that takes longer than the stall
    timeout raises `_Stalled`. The reads are closed on the way out of the context (before
    the response is)."""

    async def watched() -> AsyncGenerator[bytes]:
        while True:
            try:
                async with asyncio.timeout(stall_timeout):
                    data = await anext(body)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise _Stalled from None
            yield data

    body = http.aiter_bytes()
    reads = watched()
    try:
        yield reads
    finally:
        await reads.aclose()
        await body.aclose()


def _status_words(status: int) -> str:
    """What an HTTP error status that is retried means, in a word or two."""
    if status == 429:
        return "rate limited"
    if status == 408:
        return "request timeout"
    if status == 409:
        return "conflict"
    if status >= 500:
        return "server error"
    return "error"


# Parameters `chat.completions.create` takes by name; anything else goes in `extra_body`.
_SDK_PARAMS = frozenset(
    {
        "stream",
        "stream_options",
        "tools",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "stop",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning_effort",
        "response_format",
        "user",
        "n",
        "logprobs",
        "top_logprobs",
    }
)


class _SSEBatcher:
    """SSE decoding, JSON parsing and accumulation of one streamed body, a read at a time."""

    def __init__(self, state: StreamState, started: float) -> None:
        self._decoder = SSEDecoder(comments=True)
        self._state = state
        self._started = started
        self._reads: list[Event] = []  # reads that completed nothing yet: the next batch's
        self.done = False
        self.payloads = 0  # `data:` payloads seen: none at the end means not an event stream
        self.head = b""  # the body's first bytes, to show when it was not an event stream

    def feed(self, data: bytes) -> list[Event]:
        now = time.perf_counter() - self._started
        state = self._state
        self._reads.append(BodyRead(data, now))
        if len(self.head) < _HEAD_BYTES:
            self.head += data[: _HEAD_BYTES - len(self.head)]
        events = self._decoder.feed(data)
        if not events:
            return []
        batch, self._reads = self._reads, []
        for sse in events:
            if self.done:
                break
            if sse.comment:
                batch.append(RawComment(sse.data, now))
                continue
            batch.append(RawChunk(sse.data, now, False, sse.event))
            self.payloads += 1
            if sse.data.startswith("[DONE]"):
                self.done = True
                continue
            try:
                chunk = json.loads(sse.data)
            except json.JSONDecodeError as error:
                batch += state.feed_invalid(sse.data, error.msg)
                continue
            batch += state.feed(chunk, sse.event)
        return batch

    def finish(self, not_an_answer: StreamError | None = None) -> list[Event]:
        """The end of the body; `not_an_answer` is the error when no payload came at all."""
        self._decoder.close()
        reads, self._reads = self._reads, []
        if not self.payloads and not_an_answer is not None:
            return reads + self._state.fail(not_an_answer)
        return reads + self._state.finish(done=self.done)


_HEAD_BYTES = 200  # of a body that was not an event stream, shown in the message


def not_an_answer(
    content_type: str, head: bytes, provider: Provider, *, stream: bool
) -> StreamError:
    """The error for a 200 whose body is no answer: no event stream (or, when `stream` is
    off, no chat completion): a proxy's page, a JSON document of another API, nothing."""
    kind = content_type.split(";")[0].strip() or "no content type"
    text = head[:_HEAD_BYTES].decode("utf-8", "replace")
    shown = " ".join(strip_control(text).split())[:120]
    body = f"it began: {shown!r}" if shown else "the body was empty"
    expected = "an event stream" if stream else "a chat completion"
    return StreamError(
        "not_an_answer",
        f"The server answered 200 with {kind}, not {expected}; {body}. Is "
        f"{provider.base_url} the API (it usually ends in /v1)? A proxy or a captive portal "
        "answers with a page of its own.",
    )
