"""Saved answers keep their whole wire: request, response head, body reads, payloads, comment
lines; databases written before that still read."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from tuichat.core.events import (
    BodyRead,
    RawChunk,
    RawComment,
    RequestSent,
    ResponseHead,
    WireRecord,
)
from tuichat.storage.rows import decode_raw_chunks, decode_wire_records, encode_raw_chunks
from tuichat.storage.store import HistoryStore

RECORDS: list[WireRecord] = [
    RequestSent({"method": "POST", "url": "http://x/v1/chat/completions", "body": {"a": 1}}),
    ResponseHead(200, {"content-type": "text/event-stream"}, 0.05, "OK", "HTTP/1.1"),
    BodyRead(b': keep-alive\n\ndata: {"x": "\xec\x95', 0.1),  # ends inside a character
    RawComment(": keep-alive", 0.1),
    BodyRead(b'\x88"}\n\nevent: error\ndata: {}\n\n', 0.2),
    RawChunk('{"x": "안"}', 0.2),
    RawChunk("{}", 0.2, False, "error"),
    BodyRead(b"data: [DONE]\n\n", 0.3),
    RawChunk("[DONE]", 0.3),
]


def test_every_kind_of_record_round_trips_exactly() -> None:
    count, data = encode_raw_chunks(RECORDS)
    assert count == 3  # payloads only, as before
    assert decode_wire_records(data) == RECORDS
    lines = [json.loads(line) for line in zlib.decompress(data).decode().split("\n")]
    # Reads that end or start inside a character are base64; whole ones stay readable.
    assert "read_base64" in lines[2] and "read_base64" in lines[4]
    assert lines[7] == {"offset": 0.3, "read": "data: [DONE]\n\n"}
    assert lines[6] == {"offset": 0.2, "data": "{}", "whole_response": False, "event": "error"}


def test_the_inspectors_old_reader_gets_requests_and_chunks_only() -> None:
    _, data = encode_raw_chunks(RECORDS)
    assert decode_raw_chunks(data) == [RECORDS[0], RECORDS[5], RECORDS[6], RECORDS[8]]


def test_an_old_database_blob_still_reads_and_unknown_kinds_are_skipped() -> None:
    old = "\n".join(
        [
            json.dumps({"request": {"method": "POST"}}),
            json.dumps({"offset": 0.1, "data": "{}", "whole_response": False}),
            json.dumps({"offset": 0.2, "something_later": True}),
            json.dumps({"offset": 0.3, "data": "[DONE]", "whole_response": False}),
        ]
    )
    data = zlib.compress(old.encode())
    assert decode_wire_records(data) == [
        RequestSent({"method": "POST"}),
        RawChunk("{}", 0.1),
        RawChunk("[DONE]", 0.3),
    ]


def test_the_store_keeps_and_loads_them(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        conversation = store.create_conversation()
        answer = store.start_answer(conversation)
        store.finish_answer(
            answer,
            {"role": "assistant", "content": "안", "finish_reason": None},
            raw_chunks=RECORDS,
        )
        assert store.load_wire_records(answer) == RECORDS
        assert store.load_raw_chunks(answer) == [RECORDS[0], RECORDS[5], RECORDS[6], RECORDS[8]]
        assert store.load_wire_records(answer + 1) == []
