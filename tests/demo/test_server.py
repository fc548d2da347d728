"""The demo server, through the real `openai` SDK over 127.0.0.1 (no mocks)."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion

from tests.demo.prompts import TIME_TOOL, user
from tuichat.demo import DEMO_MODELS
from tuichat.demo.replies import DropAfter, Flood, HTTPError, RawSSE, Scripted, Slow, Stall
from tuichat.demo.server import ChatServer
from tuichat.demo.tokens import split_tokens

STREAMS = Path(__file__).parent.parent / "fixtures" / "streams"
SSE_FILES = sorted(STREAMS.glob("*.sse"))


@pytest.fixture
async def client(server: ChatServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """An SDK client on the demo server: no retries, so errors surface at once."""
    async with openai.AsyncOpenAI(
        base_url=server.base_url, api_key="test", max_retries=0, timeout=10
    ) as sdk:
        yield sdk


async def stream_chunks(
    client: openai.AsyncOpenAI, messages: list[dict[str, Any]], **kwargs: Any
) -> list[Any]:
    stream = await client.chat.completions.create(
        model="tuichat-demo", messages=messages, stream=True, **kwargs
    )
    return [chunk async for chunk in stream]


def accumulate_tool_calls(chunks: list[Any]) -> dict[int, dict[str, Any]]:
    """Merge tool-call fragments by index, the way a client must."""
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for fragment in choice.delta.tool_calls or []:
                call = calls.setdefault(fragment.index, {"id": "", "name": "", "args": []})
                call["id"] = call["id"] or fragment.id or ""
                if fragment.function and fragment.function.name:
                    call["name"] = fragment.function.name
                if fragment.function and fragment.function.arguments:
                    call["args"].append(fragment.function.arguments)
    return calls


# ---- streaming through the SDK ----------------------------------------------------------


async def test_korean_greeting_streams_in_many_chunks_with_usage(
    server: ChatServer, client: openai.AsyncOpenAI
) -> None:
    chunks = await stream_chunks(client, user("안녕하세요"), stream_options={"include_usage": True})
    deltas = [c.choices[0].delta.content for c in chunks if c.choices]
    text = "".join(d for d in deltas if d)
    assert text.startswith("안녕하세요!")
    assert len([d for d in deltas if d]) > 20
    # OpenAI's shape: role first, finish on an empty delta, then a usage chunk with no choices.
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len([d for d in deltas if d])
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1
    assert server.requests[-1]["messages"] == user("안녕하세요")
    assert server.request_headers[-1]["authorization"] == "Bearer test"


async def test_no_usage_chunk_unless_asked(client: openai.AsyncOpenAI) -> None:
    chunks = await stream_chunks(client, user("hello"))
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


@pytest.mark.parametrize(
    "question", ["What time is it in Seoul and New York?", "서울과 뉴욕의 현재 시간은?"]
)
async def test_time_question_streams_two_parallel_tool_calls(
    client: openai.AsyncOpenAI, question: str
) -> None:
    chunks = await stream_chunks(client, user(question), tools=TIME_TOOL)
    calls = accumulate_tool_calls(chunks)
    assert sorted(calls) == [0, 1]
    zones = []
    for call in calls.values():
        assert call["id"].startswith("call_") and call["name"] == "get_current_time"
        assert 3 <= len(call["args"]) <= 6, "arguments arrive in several fragments"
        zones.append(json.loads("".join(call["args"]))["timezone"])
    assert zones == ["Asia/Seoul", "America/New_York"]
    assert calls[0]["id"] != calls[1]["id"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    # Only the first fragment of a call names it; the others carry index + arguments.
    fragments = [f for c in chunks for f in (c.choices[0].delta.tool_calls or [])]
    assert [f.function.arguments for f in fragments if f.id] == ["", ""]
    assert all(f.function.name is None for f in fragments if not f.id)


async def test_tool_results_are_answered(client: openai.AsyncOpenAI) -> None:
    messages = [
        *user("What time is it in Seoul and New York?"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {
                        "name": "get_current_time",
                        "arguments": '{"timezone": "Asia/Seoul"}',
                    },
                },
                {
                    "id": "call_b",
                    "type": "function",
                    "function": {
                        "name": "get_current_time",
                        "arguments": '{"timezone": "America/New_York"}',
                    },
                },
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_a",
            "content": json.dumps(
                {
                    "timezone": "Asia/Seoul",
                    "datetime": "2025-01-07T14:03:09+09:00",
                    "weekday": "Tuesday",
                }
            ),
        },
        {
            "role": "tool",
            "tool_call_id": "call_b",
            "content": json.dumps(
                {"timezone": "America/New_York", "datetime": "2025-01-07T00:03:09-05:00"}
            ),
        },
    ]
    chunks = await stream_chunks(client, messages, tools=TIME_TOOL)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "In Seoul it is 14:03 (Tuesday); in New York it is 00:03 (Tuesday)."


async def test_thinking_streams_reasoning_before_the_answer(client: openai.AsyncOpenAI) -> None:
    chunks = await stream_chunks(client, user("think step by step: what is tuichat?"))
    kinds = []
    for chunk in chunks:
        delta = chunk.choices[0].delta
        if getattr(delta, "reasoning_content", None):
            kinds.append("reasoning")
        elif delta.content:
            kinds.append("content")
    assert kinds[0] == "reasoning" and kinds[-1] == "content"
    assert kinds == sorted(kinds, reverse=True), "all reasoning comes before the answer"


async def test_non_streaming_returns_a_chat_completion(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="my-model", messages=user("show me some markdown")
    )
    assert isinstance(completion, ChatCompletion)
    assert completion.model == "my-model"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert "```python" in (choice.message.content or "")
    assert completion.usage is not None and completion.usage.total_tokens > 0


async def test_non_streaming_tool_calls(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="m", messages=user("what time is it in Seoul?"), tools=TIME_TOOL
    )
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls is not None
    assert [json.loads(c.function.arguments) for c in message.tool_calls] == [  # type: ignore[union-attr]
        {"timezone": "Asia/Seoul"}
    ]


async def test_models_lists_the_demo_models(client: openai.AsyncOpenAI) -> None:
    page = await client.models.list()
    assert [model.id for model in page.data] == ["tuichat-demo", "demo-fast", "demo-slow"]
    assert (await client.models.retrieve("tuichat-demo")).id == "tuichat-demo"
    assert (await client.models.retrieve("demo-slow")).id == "demo-slow"
    with pytest.raises(openai.NotFoundError):
        await client.models.retrieve("gpt-nothing")


async def test_each_demo_model_answers_at_its_own_pace(client: openai.AsyncOpenAI) -> None:
    # The same scripted answer (a short one); demo-slow waits before its first token and
    # writes slower.
    async def first_and_last(model: str) -> tuple[float, float, str]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first: float | None = None
        text: list[str] = []
        stream = await client.chat.completions.create(
            model=model, messages=user("call nothing"), stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first = loop.time() - start if first is None else first
                text.append(chunk.choices[0].delta.content)
        assert first is not None
        return first, loop.time() - start, "".join(text)

    (_, _, fast_text), (slow_first, slow_end, slow_text) = await asyncio.gather(
        first_and_last("demo-fast"), first_and_last("demo-slow")
    )
    assert fast_text == slow_text
    slow = DEMO_MODELS[2]
    assert slow.name == "demo-slow" and slow.tokens_per_second is not None
    # Lower bounds only (a sleep is never shorter): its delay, then one token per interval.
    tokens = len(split_tokens(slow_text))
    assert slow_first >= slow.first_token_delay
    assert slow_end - slow_first >= (tokens - 2) / slow.tokens_per_second


# ---- scripted failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "exception", "code"),
    [
        (HTTPError.invalid_api_key(), openai.AuthenticationError, "invalid_api_key"),
        (HTTPError.model_not_found("m"), openai.NotFoundError, "model_not_found"),
        (HTTPError.rate_limited(retry_after=2), openai.RateLimitError, "rate_limit_exceeded"),
        (HTTPError.server_error(), openai.InternalServerError, None),
    ],
)
async def test_http_errors_raise_the_sdk_exceptions(
    server: ChatServer,
    client: openai.AsyncOpenAI,
    reply: HTTPError,
    exception: type[openai.APIStatusError],
    code: str | None,
) -> None:
    server.enqueue(reply)
    with pytest.raises(exception) as caught:
        await stream_chunks(client, user("hi"))
    assert caught.value.status_code == reply.status
    assert caught.value.code == code
    assert caught.value.message.endswith(reply.message)
    if reply.status == 429:
        assert caught.value.response.headers["retry-after"] == "2"
    # The queue is consumed: the next request gets the demo model again.
    assert await stream_chunks(client, user("hi"))


async def test_default_reply_answers_every_request(
    server: ChatServer, client: openai.AsyncOpenAI
) -> None:
    server.default_reply = HTTPError.server_error()
    server.enqueue(Scripted(text="queued first"))
    chunks = await stream_chunks(client, user("x"))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "queued first"
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="m", messages=user("x"))


async def test_unknown_path_is_a_404_in_openai_shape(server: ChatServer) -> None:
    def fetch() -> tuple[int, dict[str, Any]]:
        try:
            urllib.request.urlopen(f"{server.base_url}/nothing/here", timeout=5)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())
        raise AssertionError("expected a 404")

    status, body = await asyncio.to_thread(fetch)
    assert status == 404
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert "/v1/nothing/here" in body["error"]["message"]


async def test_drop_after_raises_a_connection_error_after_some_chunks(
    server: ChatServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(DropAfter(text="one two three four five six seven", after=3))
    received: list[str] = []
    stream = await client.chat.completions.create(model="m", messages=user("x"), stream=True)
    with pytest.raises(openai.APIConnectionError):
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "one two three"


@pytest.mark.parametrize("path", SSE_FILES, ids=[p.stem for p in SSE_FILES])
async def test_raw_sse_slices_arrive_byte_for_byte(
    server: ChatServer, client: openai.AsyncOpenAI, path: Path
) -> None:
    body = path.read_bytes()
    server.enqueue(RawSSE(body, slice_sizes=(1, 7), seed=len(body)))
    async with client.chat.completions.with_streaming_response.create(
        model="m", messages=user("x"), stream=True
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["transfer-encoding"] == "chunked"
        received = b"".join([piece async for piece in response.iter_bytes()])
    assert received == body


async def test_stall_lets_a_read_timeout_fire(server: ChatServer) -> None:
    server.enqueue(Stall(30))
    async with openai.AsyncOpenAI(
        base_url=server.base_url, api_key="test", max_retries=0, timeout=0.3
    ) as impatient:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await stream_chunks(impatient, user("x"))
    assert time.monotonic() - started < 5


async def test_flood_of_20000_chunks_arrives_fast(
    server: ChatServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(Flood(20_000))
    started = time.monotonic()
    async with client.chat.completions.with_streaming_response.create(
        model="m", messages=user("x"), stream=True
    ) as response:
        raw = b"".join([piece async for piece in response.iter_bytes()])
    elapsed = time.monotonic() - started
    events = [line[6:] for line in raw.decode().split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    contents = [json.loads(e)["choices"][0]["delta"].get("content") for e in events[1:-2]]
    assert len(contents) == 20_000
    text = "".join(contents)
    assert text.count("\n\n") == 20_000 // 40 - 1, "a new paragraph every 40 chunks"
    assert elapsed < 3.0


# ---- robustness -----------------------------------------------------------------------


async def test_client_leaving_mid_stream_does_not_hurt_the_server(
    server: ChatServer, client: openai.AsyncOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tuichat.demo.server")
    server.enqueue(Slow(" ".join(["word"] * 200), tokens_per_second=200))
    stream = await client.chat.completions.create(model="m", messages=user("x"), stream=True)
    seen = 0
    async for _ in stream:
        seen += 1
        if seen == 3:
            break
    await stream.close()
    await asyncio.sleep(0.1)  # let the server hit the closed socket
    chunks = await stream_chunks(client, user("hello"))
    assert "".join(c.choices[0].delta.content or "" for c in chunks).startswith("Hello!")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_concurrent_streams(server: ChatServer, client: openai.AsyncOpenAI) -> None:
    server.enqueue(*(Slow(f"reply {i} " * 10, tokens_per_second=500) for i in range(6)))
    results = await asyncio.gather(*(stream_chunks(client, user(str(i))) for i in range(6)))
    texts = sorted("".join(c.choices[0].delta.content or "" for c in r) for r in results)
    assert texts == sorted(f"reply {i} " * 10 for i in range(6))


def test_stop_closes_open_streams_and_joins_the_thread() -> None:
    server = ChatServer().start()
    server.enqueue(Stall(60))

    outcome: list[BaseException] = []

    def hang() -> None:
        request = urllib.request.Request(
            f"{server.base_url}/chat/completions",
            data=json.dumps({"model": "m", "messages": [], "stream": True}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (OSError, http.client.HTTPException) as error:  # cut short: the point
            outcome.append(error)

    waiter = threading.Thread(target=hang, daemon=True)
    waiter.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert server._thread is not None and not server._thread.is_alive()
    waiter.join(5)
    assert len(outcome) == 1, "the stalled stream was cut off"
    server.stop()  # idempotent


def test_main_prints_the_base_url_first() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tuichat.demo", "--port", "0", "--flood", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        request = urllib.request.Request(
            f"{base_url}/chat/completions",
            data=json.dumps({"model": "m", "messages": [], "stream": True}).encode(),
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
        assert body.count("data: ") == 50 + 3  # role, 50 chunks, finish, [DONE]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0, stderr
