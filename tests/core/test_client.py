"""The client over a real loopback HTTP server, through the real `openai` SDK."""

from __future__ import annotations

import json

import pytest

from tuichat.core.accumulator import StreamState
from tuichat.core.client import ChatClient
from tuichat.core.events import Event, RawChunk, RequestSent, StreamError, TextDelta
from tuichat.core.provider import Provider
from tuichat.demo.replies import DropAfter, HTTPError, RawSSE, text_event
from tuichat.demo.server import ChatServer

from .streams import CASES, STREAMS, assert_reaches_expected


async def collect(
    server: ChatServer, *, stream: bool = True, api_key: str = "sk-test-secret-key-123"
) -> tuple[StreamState, list[Event]]:
    provider = Provider(
        base_url=server.base_url,
        model="m",
        api_key=api_key,
        stream=stream,
        max_retries=0,
        timeout=10,
    )
    return await ask(provider)


async def ask(provider: Provider) -> tuple[StreamState, list[Event]]:
    """One answer from the provider: the accumulator and every event."""
    client = ChatClient(provider)
    state = StreamState()
    events: list[Event] = []
    try:
        async for batch in client.complete([{"role": "user", "content": "hi"}], None, state):
            events += batch
    finally:
        await client.aclose()
    return state, events


@pytest.mark.parametrize("case", CASES)
async def test_every_capture_reaches_expected_through_the_sdk(
    server: ChatServer, case: str
) -> None:
    body = (STREAMS / f"{case}.sse").read_bytes()
    server.enqueue(RawSSE(body, slice_sizes=(1, 7)))
    state, events = await collect(server)
    assert_reaches_expected(state, case)
    raw = [e.data for e in events if isinstance(e, RawChunk)]
    assert raw, "the inspector needs the raw chunks"


async def test_raw_chunks_are_the_payloads_exactly_as_sent(server: ChatServer) -> None:
    body = (STREAMS / "azure_prompt_filter_first_chunk.sse").read_bytes()
    server.enqueue(RawSSE(body))
    _, events = await collect(server)
    sent = [
        line[len("data: ") :]
        for line in body.decode().replace("\r\n", "\n").split("\n")
        if line.startswith("data: ")
    ]
    assert [e.data for e in events if isinstance(e, RawChunk)] == sent


async def test_request_is_shown_with_the_key_redacted(server: ChatServer) -> None:
    _, events = await collect(server)
    request = next(e for e in events if isinstance(e, RequestSent)).request
    shown = json.dumps(request)
    assert "sk-test-secret-key-123" not in shown
    assert request["headers"]["Authorization"] == "Bearer [redacted]"
    assert request["body"]["stream_options"] == {"include_usage": True}
    # ...while the server did get the real key.
    assert server.request_headers[-1]["authorization"] == "Bearer sk-test-secret-key-123"


async def test_non_streaming_gives_the_same_events_from_one_completion(server: ChatServer) -> None:
    state, events = await collect(server, stream=False)
    whole = [e for e in events if isinstance(e, RawChunk)]
    assert len(whole) == 1 and whole[0].whole_response
    assert json.loads(whole[0].data)["object"] == "chat.completion"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text and text == state.content
    assert state.error is None and state.finish_reason == "stop"
    assert server.requests[-1]["stream"] is False


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, ["401", "API key", "OPENAI_API_KEY"]),
        (404, ["404", "model 'm'", "--model"]),
        (429, ["429", "rate limited"]),
        (500, ["500", "server"]),
    ],
)
async def test_http_errors_say_what_happened_and_what_to_do(
    server: ChatServer, status: int, words: list[str]
) -> None:
    server.enqueue(HTTPError(status, "the server's own words"))
    state, events = await collect(server)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "http" and error.status_code == status
    for word in [*words, "the server's own words"]:
        assert word.lower() in error.message.lower()
    assert state.error == error


async def test_dropped_connection_keeps_the_partial_answer(server: ChatServer) -> None:
    server.enqueue(DropAfter(text="one two three four five six seven eight", after=4))
    state, events = await collect(server)
    assert state.content, "the text that arrived before the drop is kept"
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "connection"
    assert "dropped" in error.message


async def test_no_server_is_a_connection_error() -> None:
    provider = Provider(base_url="http://127.0.0.1:9/v1", model="m", max_retries=0, timeout=5)
    _, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "connection"
    assert "Could not connect" in error.message and "--base-url" in error.message


async def test_a_silent_server_is_a_timeout(server: ChatServer) -> None:
    from tuichat.demo.replies import Stall

    server.enqueue(Stall(seconds=3, headers_first=False))
    provider = Provider(base_url=server.base_url, model="m", max_retries=0, timeout=0.5)
    _, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "timeout" and "within 0.5 s" in error.message


async def test_a_server_silent_after_its_head_stalls_after_the_stall_timeout(
    server: ChatServer,
) -> None:
    from tuichat.demo.replies import Stall

    server.enqueue(Stall(seconds=3, headers_first=True))
    provider = Provider(
        base_url=server.base_url, model="m", max_retries=0, timeout=10, stall_timeout=0.5
    )
    _, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "timeout"
    assert "sent nothing of the answer for 0.5 s" in error.message
    assert "--stall-timeout" in error.message and "No answer from" not in error.message


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (b"<html><body>Sign in to the Wi-Fi</body></html>", "text/html", ["text/html", "Wi-Fi"]),
        (b'{"object":"list","data":[]}', "application/json", ["application/json", "object"]),
        (b"", "text/plain", ["text/plain", "body was empty"]),
    ],
)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
async def test_a_200_that_is_not_an_answer_says_what_came(
    server: ChatServer, body: bytes, content_type: str, words: list[str], stream: bool
) -> None:
    from tuichat.demo.replies import Page

    server.enqueue(Page(body, content_type))
    state, events = await collect(server, stream=stream)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "not_an_answer"
    expected = "not an event stream" if stream else "not a chat completion"
    for word in [*words, expected, server.base_url, "proxy"]:
        assert word in error.message
    assert state.error == error


async def test_a_stream_cut_short_is_still_truncated_not_a_page(server: ChatServer) -> None:
    body = text_event("half")
    server.enqueue(RawSSE(body))
    state, events = await collect(server)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind != "not_an_answer"
    assert state.content == "half"


async def test_a_drop_during_a_whole_answer_says_it_dropped(server: ChatServer) -> None:
    server.enqueue(DropAfter(text="one two three four five six seven eight", after=4))
    _, events = await collect(server, stream=False)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "connection"
    assert "dropped" in error.message and "Is the server running" not in error.message


async def test_a_stall_in_the_middle_says_the_server_stopped_sending(server: ChatServer) -> None:
    from tuichat.demo.replies import Recorded

    server.enqueue(Recorded([(0.0, text_event("so far")), (3.0, b"data: [DONE]\n\n")]))
    provider = Provider(
        base_url=server.base_url, model="m", max_retries=0, timeout=10, stall_timeout=0.5
    )
    state, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "timeout"
    assert "stopped sending" in error.message and "0.5 s" in error.message
    assert "the stall timeout: --stall-timeout" in error.message
    assert "No answer from" not in error.message
    assert state.content == "so far", "the partial answer is kept"


async def test_the_connect_timeout_does_not_cut_a_slow_stream(server: ChatServer) -> None:
    from tuichat.demo.replies import Recorded

    reads = [(0.0, text_event("slow ")), (1.2, text_event("words")), (1.3, b"data: [DONE]\n\n")]
    server.enqueue(Recorded(reads))
    provider = Provider(
        base_url=server.base_url, model="m", max_retries=0, timeout=0.5, stall_timeout=5
    )
    state, _ = await ask(provider)
    assert state.error is None
    assert state.content == "slow words"


async def test_hints_name_the_profile_a_setting_came_from() -> None:
    provider = Provider(
        base_url="http://127.0.0.1:9/v1",
        model="m",
        max_retries=0,
        timeout=5,
        profile="local",
        base_url_from="the profile `local`",
    )
    _, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert "the profile `local`" in error.message and "--base-url" not in error.message


async def test_the_model_list_of_an_unreachable_server_says_it_could_not_connect() -> None:
    from tuichat.core.client import describe_models_error
    from tuichat.core.provider import Provider

    provider = Provider(base_url="http://127.0.0.1:9/v1", model="m", max_retries=0, timeout=5)
    client = ChatClient(provider)
    try:
        await client.list_models()
    except Exception as error:
        message = describe_models_error(error, provider)
    else:
        raise AssertionError("an unreachable server listed its models")
    finally:
        await client.aclose()
    assert "Could not connect" in message and "does not list" not in message


async def test_a_stall_names_the_profile_whose_stall_timeout_it_was(server: ChatServer) -> None:
    from tuichat.demo.replies import Recorded

    server.enqueue(Recorded([(0.0, text_event("so far")), (3.0, b"data: [DONE]\n\n")]))
    provider = Provider(
        base_url=server.base_url, model="m", max_retries=0, stall_timeout=0.3, profile="local"
    )
    _, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert "stall_timeout in the profile `local`, or --stall-timeout" in error.message


async def test_a_whole_answer_that_does_not_come_in_time_is_a_timeout(server: ChatServer) -> None:
    from tuichat.demo.replies import Stall

    server.enqueue(Stall(seconds=3, text="too late"))
    provider = Provider(
        base_url=server.base_url, model="m", stream=False, max_retries=0, timeout=0.5
    )
    state, events = await ask(provider)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "timeout" and "within 0.5 s" in error.message
    assert state.error == error


def test_a_cancelled_wait_for_the_sdk_does_not_cancel_it_for_every_client() -> None:
    """In a fresh process (openai not imported yet): the first waiter is cancelled (an app
    quitting while its first request waits for the import); the next one still gets it."""
    import subprocess
    import sys

    script = """
import asyncio, sys
from tuichat.core import client

async def main():
    first = asyncio.ensure_future(client._sdk_ready())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await client._sdk_ready()
    print("openai" in sys.modules)

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
