"""The client's own retry loop, over a real loopback server through the real SDK: which
failures are asked again, how long it waits, and what it says about each attempt."""

from __future__ import annotations

import pytest

from tuichat.core.accumulator import StreamState
from tuichat.core.client import ChatClient
from tuichat.core.events import Event, RequestSent, Retrying, StreamError
from tuichat.core.provider import Provider
from tuichat.core.retry import MAX_RETRY_AFTER, RetryPolicy, retry_after, status_is_retried
from tuichat.demo.replies import DropAfter, HTTPError, Scripted, Stall
from tuichat.demo.server import ChatServer

QUICK = RetryPolicy(initial_delay=0.01, max_delay=0.05)  # backoff waits too short to notice


async def ask(
    base_url: str, *, max_retries: int = 2, policy: RetryPolicy = QUICK, **more: float
) -> tuple[StreamState, list[Event]]:
    provider = Provider(
        base_url=base_url,
        model="m",
        max_retries=max_retries,
        timeout=more.get("timeout", 10.0),
        stall_timeout=more.get("stall_timeout", 10.0),
    )
    client = ChatClient(provider, policy)
    state = StreamState()
    events: list[Event] = []
    try:
        async for batch in client.complete([{"role": "user", "content": "hi"}], None, state):
            events += batch
    finally:
        await client.aclose()
    return state, events


def retries(events: list[Event]) -> list[Retrying]:
    return [event for event in events if isinstance(event, Retrying)]


async def test_a_429_is_asked_again_after_the_wait_the_server_asks_for(
    server: ChatServer,
) -> None:
    server.enqueue(
        HTTPError(429, "slow down", headers={"Retry-After": "0.2"}), Scripted(text="at last")
    )
    state, events = await ask(server.base_url)
    assert state.error is None and state.content == "at last"
    assert retries(events) == [Retrying(2, 3, 0.2, "HTTP 429 (rate limited)")]
    assert len(server.requests) == 2
    # Each attempt is a request of its own on the wire: the inspector lists both.
    assert sum(isinstance(event, RequestSent) for event in events) == 2


async def test_server_errors_are_retried_max_retries_times_then_reported(
    server: ChatServer,
) -> None:
    server.enqueue(*[HTTPError(503, "overloaded")] * 3)
    state, events = await ask(server.base_url, max_retries=2)
    assert [(r.attempt, r.of) for r in retries(events)] == [(2, 3), (3, 3)]
    assert all(r.reason == "HTTP 503 (server error)" for r in retries(events))
    error = next(event for event in events if isinstance(event, StreamError))
    assert error.kind == "http" and error.status_code == 503
    assert "overloaded" in error.message and "(tried 3 times)" in error.message
    assert state.error == error
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [408, 409])
async def test_request_timeouts_and_conflicts_are_retried(server: ChatServer, status: int) -> None:
    server.enqueue(HTTPError(status, "again"), Scripted(text="ok"))
    state, events = await ask(server.base_url)
    assert state.content == "ok" and len(retries(events)) == 1


@pytest.mark.parametrize(
    "reply",
    [
        HTTPError(400, "bad request"),
        HTTPError(401, "bad key"),
        HTTPError(500, "do not", headers={"x-should-retry": "false"}),
        HTTPError(429, "come back tomorrow", headers={"retry-after": "86400"}),
    ],
    ids=["400", "401", "x-should-retry-false", "retry-after-too-long"],
)
async def test_what_is_not_retried_fails_at_once(server: ChatServer, reply: HTTPError) -> None:
    server.enqueue(reply, Scripted(text="never asked"))
    state, events = await ask(server.base_url)
    assert not retries(events)
    assert len(server.requests) == 1
    assert state.error is not None and state.error.kind == "http"
    assert "tried" not in state.error.message


async def test_a_refused_connection_is_retried_with_backoff() -> None:
    state, events = await ask("http://127.0.0.1:9/v1", max_retries=1)
    (retry,) = retries(events)
    assert retry.attempt == 2 and retry.of == 2 and retry.reason == "could not connect"
    assert 0 < retry.wait <= QUICK.initial_delay
    assert state.error is not None and state.error.kind == "connection"
    assert "Could not connect" in state.error.message
    assert "(tried 2 times)" in state.error.message


async def test_no_answer_within_the_timeout_is_retried(server: ChatServer) -> None:
    server.enqueue(Stall(seconds=3, headers_first=False), Scripted(text="second try"))
    state, events = await ask(server.base_url, max_retries=1, timeout=0.5)
    assert state.error is None and state.content == "second try"
    assert [r.reason for r in retries(events)] == ["no answer in time"]


async def test_a_drop_in_the_middle_of_the_answer_is_not_retried(server: ChatServer) -> None:
    server.enqueue(DropAfter(text="one two three four", after=2), Scripted(text="never"))
    state, events = await ask(server.base_url)
    assert not retries(events)
    assert state.error is not None and state.error.kind == "connection"
    assert state.content, "the partial answer is kept"
    assert len(server.requests) == 1


async def test_a_stall_is_not_retried_by_the_client(server: ChatServer) -> None:
    server.enqueue(Stall(seconds=3, headers_first=True), Scripted(text="never"))
    state, events = await ask(server.base_url, stall_timeout=0.3)
    assert not retries(events)
    assert state.error is not None and state.error.kind == "timeout"
    assert len(server.requests) == 1


async def test_max_retries_zero_asks_once(server: ChatServer) -> None:
    server.enqueue(HTTPError(503, "down"), Scripted(text="never"))
    state, events = await ask(server.base_url, max_retries=0)
    assert not retries(events) and len(server.requests) == 1
    assert state.error is not None and "tried" not in state.error.message


def test_retry_after_reads_seconds_milliseconds_and_dates() -> None:
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = {"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}
    assert retry_after(date, now=lambda: 1445412480) == 10
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_which_statuses_are_retried() -> None:
    assert status_is_retried(429, {}) and status_is_retried(502, {}) and status_is_retried(408, {})
    assert not status_is_retried(400, {}) and not status_is_retried(404, {})
    assert status_is_retried(400, {"x-should-retry": "true"})
    assert not status_is_retried(429, {"retry-after": str(MAX_RETRY_AFTER + 1)})


def test_backoff_doubles_up_to_the_limit_less_the_jitter() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n, rand=lambda: 0.0) for n in (1, 2, 3, 4, 5, 6)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    assert policy.backoff(1, rand=lambda: 1.0) == 0.375
