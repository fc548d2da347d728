"""Turn files: written from what the client recorded, read back exactly; bare captures."""

from __future__ import annotations

import json

import pytest

from tuichat.core.chunk_reading import read_chunks
from tuichat.core.events import BodyRead, RawChunk, RawComment, RequestSent, ResponseHead
from tuichat.core.turn_file import (
    BARE_INTERVAL,
    Turn,
    TurnFileError,
    dump_turn,
    parse_turn,
    turn_from_records,
)
from tuichat.core.wire import decode_reads
from tuichat.demo.replies import RawSSE
from tuichat.demo.server import ChatServer

from .streams import CASES, STREAMS, assert_reaches_expected
from .test_wire import answer, wire


async def test_a_recorded_answer_round_trips_through_its_file(server: ChatServer) -> None:
    body = (STREAMS / "openai_text_korean_usage.sse").read_bytes()
    server.enqueue(RawSSE(body, slice_sizes=(1, 5), delay=0.001))
    live = wire(await answer(server))
    turn = turn_from_records(live)
    assert turn.body == body and not turn.reconstructed and turn.streamed
    text = dump_turn(turn)
    document = json.loads(text)
    assert document["tuichat_turn"] == 1
    assert document["request"]["headers"]["Authorization"] == "Bearer [redacted]"
    assert "sk-secret" not in text
    assert any("base64" in read for read in document["body"])  # a read split a character
    assert any("text" in read for read in document["body"])
    assert text.count("\n") > len(document["body"])  # one line per read: readable
    again = parse_turn(text.encode())
    assert dump_turn(again) == text and again.body == turn.body
    # The same records (offsets kept to the microsecond).
    remade = again.records()
    assert [type(r) for r in remade] == [type(r) for r in live]
    for mine, theirs in zip(remade, live, strict=True):
        if isinstance(mine, RawChunk | BodyRead) and isinstance(theirs, RawChunk | BodyRead):
            assert mine.data == theirs.data
            assert mine.offset == pytest.approx(theirs.offset, abs=1e-6)
    assert again.prompt == "hi"


@pytest.mark.parametrize("case", CASES)
def test_a_bare_capture_is_a_turn_of_its_exact_bytes_evenly_paced(case: str) -> None:
    body = (STREAMS / f"{case}.sse").read_bytes()
    turn = parse_turn(body)
    assert turn.bare and turn.request is None and turn.head is None and turn.status == 200
    assert turn.body == body
    offsets = [read.offset for read in turn.reads]
    assert offsets == pytest.approx([BARE_INTERVAL * (i + 1) for i in range(len(offsets))])
    whole = decode_reads([BodyRead(body, 0.0)])
    assert [(type(r), getattr(r, "data", None)) for r in decode_reads(turn.reads)] == [
        (type(r), getattr(r, "data", None)) for r in whole
    ]
    assert_reaches_expected(read_chunks(turn.records()).state, case)


def test_an_answer_saved_without_its_reads_is_rebuilt_from_its_payloads() -> None:
    records = [
        RequestSent({"body": {"messages": [{"role": "user", "content": "q"}]}}),
        RawComment(": keep-alive", 0.1),
        RawChunk('{"choices":[{"index":0,"delta":{"content":"a\\nb"}}]}', 0.2),
        RawChunk('{"error":{"message":"x"}}', 0.3, False, "error"),
        RawChunk("[DONE]", 0.4),
    ]
    turn = turn_from_records(records)
    assert turn.reconstructed and turn.prompt == "q"
    assert decode_reads(turn.reads) == records[1:]
    assert parse_turn(dump_turn(turn).encode()) == turn


def test_the_last_answer_of_a_turn_with_tool_calls_is_saved() -> None:
    first = [RequestSent({"n": 1}), RawChunk("[DONE]", 0.1)]
    second = [RequestSent({"n": 2}), RawChunk("[DONE]", 0.2)]
    assert turn_from_records(first + second).request == RequestSent({"n": 2})


def test_a_whole_answer_and_an_http_error() -> None:
    head = ResponseHead(200, {"content-type": "application/json"}, 0.3, "OK", "HTTP/1.1")
    whole = Turn(None, head, (BodyRead(b'{"choices": []}', 0.3),), streamed=False)
    back = parse_turn(dump_turn(whole).encode())
    assert back == whole and isinstance(back.records()[-1], RawChunk)
    failed = Turn(None, ResponseHead(500, {}, 0.1), (BodyRead(b"oops", 0.1),))
    assert parse_turn(dump_turn(failed).encode()).status == 500


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"tuichat_turn": 2, "body": []}', "newer tuichat"),
        ('{"tuichat_turn": 1, "body": [{"offset": 0, "base64": "!!"}]}', "not valid base64"),
        ('{"tuichat_turn": 1, "body": [{"offset": "soon", "text": ""}]}', "offset must be"),
        ('{"tuichat_turn": 1, "body": {}}', "body must be a list"),
        ('{"tuichat_turn": 1, "body": [', "not valid JSON"),
        ("", "empty"),
    ],
)
def test_a_broken_file_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(TurnFileError, match=words):
        parse_turn(text.encode())
