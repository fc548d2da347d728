"""`Recorded`: the demo server sends a recorded response again, read by read, at its pace."""

from __future__ import annotations

from tuichat.core.accumulator import StreamState
from tuichat.core.client import ChatClient
from tuichat.core.events import BodyRead, Event, ResponseHead, StreamError
from tuichat.core.provider import Provider
from tuichat.demo.replies import Recorded
from tuichat.demo.server import ChatServer

READS = [
    (0.05, b": keep-alive\n\n"),
    (0.15, b'data: {"choices":[{"index":0,"delta":{"content":"\xec\x95'),
    (0.25, b'\x88"}}]}\n\ndata: [DONE]\n\n'),
]


async def answer(server: ChatServer, *, stream: bool = True) -> list[Event]:
    client = ChatClient(Provider(base_url=server.base_url, model="m", max_retries=0, stream=stream))
    events: list[Event] = []
    try:
        async for batch in client.complete(
            [{"role": "user", "content": "hi"}], None, StreamState()
        ):
            events += batch
    finally:
        await client.aclose()
    return events


async def test_the_reads_arrive_as_recorded_no_earlier_than_their_time(server: ChatServer) -> None:
    server.enqueue(Recorded(READS, headers={"x-upstream": "ollama", "Content-Length": "9"}))
    events = await answer(server)
    reads = [e for e in events if isinstance(e, BodyRead)]
    assert b"".join(r.data for r in reads) == b"".join(data for _, data in READS)
    assert reads[0].offset >= 0.05 and reads[-1].offset >= 0.25
    head = next(e for e in events if isinstance(e, ResponseHead))
    assert head.headers["x-upstream"] == "ollama" and "content-length" not in head.headers
    assert head.headers["content-type"].startswith("text/event-stream")
    assert not any(isinstance(e, StreamError) for e in events)


async def test_twice_as_fast_and_at_once(server: ChatServer) -> None:
    server.enqueue(Recorded(READS, speed=2.0))
    reads = [e for e in await answer(server) if isinstance(e, BodyRead)]
    assert reads[-1].offset >= 0.125
    slow = [(offset * 100, data) for offset, data in READS]  # 25 s if it waited
    server.enqueue(Recorded(slow, speed=None))
    reads = [e for e in await answer(server) if isinstance(e, BodyRead)]
    assert reads[-1].offset < 10


async def test_an_error_status_and_a_whole_body_are_sent_whole(server: ChatServer) -> None:
    body = b'{"error": {"message": "no such model", "type": "invalid_request_error"}}'
    server.enqueue(
        Recorded([(0.01, body)], status=404, headers={"content-type": "application/json"})
    )
    events = await answer(server)
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "http" and error.status_code == 404 and "no such model" in error.message
    whole = b'{"object":"chat.completion","choices":[{"index":0,"message":{"content":"ok"}}]}'
    server.enqueue(Recorded([(0.0, whole[:20]), (0.01, whole[20:])], streamed=False))
    events = await answer(server, stream=False)
    assert b"".join(e.data for e in events if isinstance(e, BodyRead)) == whole
