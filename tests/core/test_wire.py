"""What went over the wire, recorded exactly: the client's wire records over a real loopback
server, and `tuichat.core.wire` remaking them from the recorded reads."""

from __future__ import annotations

import pytest

from tuichat.core.accumulator import StreamState
from tuichat.core.client import ChatClient
from tuichat.core.events import (
    WIRE_RECORD_TYPES,
    BodyRead,
    Event,
    RawChunk,
    RawComment,
    RequestSent,
    ResponseHead,
    StreamError,
    WireRecord,
)
from tuichat.core.provider import Provider
from tuichat.core.sse import SSEDecoder
from tuichat.core.wire import decode_reads, records_from_reads
from tuichat.demo.replies import HTTPError, RawSSE
from tuichat.demo.server import ChatServer

from .streams import CASES, STREAMS


async def answer(server: ChatServer, *, stream: bool = True) -> list[Event]:
    provider = Provider(
        base_url=server.base_url, model="m", api_key="sk-secret", stream=stream, max_retries=0
    )
    client = ChatClient(provider)
    events: list[Event] = []
    try:
        async for batch in client.complete(
            [{"role": "user", "content": "hi"}], None, StreamState()
        ):
            events += batch
    finally:
        await client.aclose()
    return events


def wire(events: list[Event]) -> list[WireRecord]:
    return [event for event in events if isinstance(event, WIRE_RECORD_TYPES)]


@pytest.mark.parametrize("case", CASES)
async def test_the_reads_are_the_body_and_remake_every_record(
    server: ChatServer, case: str
) -> None:
    body = (STREAMS / f"{case}.sse").read_bytes()
    server.enqueue(RawSSE(body, slice_sizes=(1, 7), delay=0.0005))
    live = wire(await answer(server))
    reads = [r for r in live if isinstance(r, BodyRead)]
    joined = b"".join(read.data for read in reads)
    # Byte for byte what was sent (up to where the client stops reading: `[DONE]`).
    assert body.startswith(joined) and b"[DONE]" not in body[len(joined) :].split(b"\n\n")[0]
    request = next(r for r in live if isinstance(r, RequestSent))
    head = next(r for r in live if isinstance(r, ResponseHead))
    assert records_from_reads(request, head, reads) == live
    offsets = [r.offset for r in live if isinstance(r, BodyRead | RawChunk | RawComment)]
    assert offsets == sorted(offsets)


async def test_comment_lines_come_as_records_where_they_stood(server: ChatServer) -> None:
    body = (STREAMS / "deepseek_reasoner_tool_call_keepalive.sse").read_bytes()
    server.enqueue(RawSSE(body))
    live = wire(await answer(server))
    kinds = [type(r).__name__ for r in live if isinstance(r, RawChunk | RawComment)]
    assert kinds[:4] == ["RawComment"] * 3 + ["RawChunk"]
    assert [r.text for r in live if isinstance(r, RawComment)] == [": keep-alive"] * 3


async def test_the_head_is_recorded_with_secrets_redacted(server: ChatServer) -> None:
    live = wire(await answer(server))
    head = next(r for r in live if isinstance(r, ResponseHead))
    assert head.status == 200 and head.reason == "OK" and head.http_version == "HTTP/1.1"
    assert head.headers["content-type"].startswith("text/event-stream")
    assert head.offset > 0
    order = [type(r) for r in live[:3]]
    assert order == [RequestSent, ResponseHead, BodyRead]


async def test_an_http_error_keeps_its_head_and_body(server: ChatServer) -> None:
    server.enqueue(
        HTTPError(429, "slow down", headers={"retry-after": "1", "set-cookie": "session=abc"})
    )
    events = await answer(server)
    live = wire(events)
    head = next(r for r in live if isinstance(r, ResponseHead))
    assert head.status == 429 and head.headers["retry-after"] == "1"
    assert head.headers["set-cookie"] == "[redacted]"
    body = next(r for r in live if isinstance(r, BodyRead))
    assert b'"message":"slow down"' in body.data
    assert any(isinstance(e, StreamError) and e.kind == "http" for e in events)
    request = live[0]
    assert isinstance(request, RequestSent)
    assert records_from_reads(request, head, [body]) == live


async def test_a_whole_answer_is_one_read_and_one_whole_chunk(server: ChatServer) -> None:
    live = wire(await answer(server, stream=False))
    assert [type(r) for r in live] == [RequestSent, ResponseHead, BodyRead, RawChunk]
    request, head, read, whole = live
    assert isinstance(request, RequestSent) and isinstance(head, ResponseHead)
    assert isinstance(read, BodyRead) and isinstance(whole, RawChunk) and whole.whole_response
    assert read.data.decode() == whole.data
    assert records_from_reads(request, head, [read], streamed=False) == live


def test_decode_reads_stops_at_done_and_drops_an_unterminated_event() -> None:
    reads = [
        BodyRead(b': hi\ndata: {"a"', 0.1),
        BodyRead(b": 1}\n\nevent: error\ndata: {}\n\ndata: [DONE]\n\ndata: {}\n\n", 0.2),
    ]
    assert decode_reads(reads) == [
        RawComment(": hi", 0.1),
        RawChunk('{"a": 1}', 0.2),
        RawChunk("{}", 0.2, False, "error"),
        RawChunk("[DONE]", 0.2),
    ]
    assert decode_reads([BodyRead(b'data: {"cut', 0.1)]) == []


def test_the_decoder_returns_comments_only_when_asked() -> None:
    body = b": keep-alive\r\ndata: x\r\n\r\n"
    assert [e.data for e in SSEDecoder().feed(body)] == ["x"]
    got = SSEDecoder(comments=True).feed(body)
    assert [(e.comment, e.data) for e in got] == [(True, ": keep-alive"), (False, "x")]
