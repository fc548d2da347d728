"""Reading every recorded provider stream chunk by chunk, as the protocol debugger shows it."""

from __future__ import annotations

import itertools
import json

import pytest

from tuichat.core.accumulator import StreamState
from tuichat.core.chunk_reading import ChunkReader, read_chunks
from tuichat.core.events import (
    BodyRead,
    RawChunk,
    RequestSent,
    ResponseHead,
    TextDelta,
)
from tuichat.core.pretty_json import pretty_lines
from tuichat.core.wire import records_from_reads

from .streams import CASES, STREAMS, assert_reaches_expected, expected
from .test_accumulator import random_slices


def reader_of(case: str, seed: int | None = None) -> ChunkReader:
    body = (STREAMS / f"{case}.sse").read_bytes()
    pieces = [body] if seed is None else random_slices(body, seed)
    reads = [BodyRead(piece, 0.1 + i * 0.01) for i, piece in enumerate(pieces)]
    return read_chunks(records_from_reads(None, None, reads))


@pytest.mark.parametrize("case", CASES)
def test_the_reader_reaches_what_the_client_must(case: str) -> None:
    reader = reader_of(case, seed=4)
    assert_reaches_expected(reader.state, case)
    final = reader.final()
    content = expected(case)["content"] or ""
    assert final.content_length == len(content)
    assert final.content_tail == content[-120:]
    assert [(c.id, c.name) for c in final.tool_calls] == [
        (c["id"], c["name"]) for c in expected(case)["tool_calls"]
    ]
    assert final.finish_reason == expected(case)["finish_reason"]
    assert (final.error is None) == (expected(case)["error"] is None)


@pytest.mark.parametrize("case", CASES)
def test_the_state_after_each_chunk_is_the_clients_at_that_point(case: str) -> None:
    reader = reader_of(case)
    shown = ""
    fresh = StreamState()
    for reading in reader.readings:
        record = reading.record
        if isinstance(record, RawChunk) and not record.data.startswith("[DONE]"):
            try:
                chunk = json.loads(record.data)
            except ValueError:
                fresh.feed_invalid(record.data, "")
            else:
                shown += "".join(
                    e.text for e in fresh.feed(chunk, record.event) if isinstance(e, TextDelta)
                )
        after = reader.answer_after(reading.number)
        assert after.chunks == reading.number + 1
        assert after.content_length == len(shown) and shown.endswith(after.content_tail)
        assert [c.arguments for c in after.tool_calls] == [
            c.arguments for c in fresh.calls_in_order
        ]
        assert after.finish_reason == fresh.finish_reason
        assert after.usage == fresh.final_usage


@pytest.mark.parametrize("case", CASES)
def test_pretty_lines_are_json_dumps_lines_with_the_added_fields_marked(case: str) -> None:
    reader = reader_of(case)
    for reading in reader.readings:
        record = reading.record
        if not isinstance(record, RawChunk) or record.data.startswith("[DONE]"):
            continue
        lines = pretty_lines(record.data, reading.added)
        value = json.loads(record.data)
        assert [line.text for line in lines] == json.dumps(
            value, indent=2, ensure_ascii=False
        ).splitlines()
        assert any(line.marked for line in lines) == bool(reading.added)
        for line in lines:
            inside = any(line.path[: len(path)] == path for path in reading.added)
            assert line.marked == inside


def kinds(case: str) -> list[tuple[str, str]]:
    return [(r.kind, r.reading) for r in reader_of(case).readings]


def test_what_each_quirk_reads_like() -> None:
    ollama = kinds("ollama_parallel_index_reused")
    assert ollama[1][0] == "tool" and ollama[1][1].startswith("tool 1 (index 0) file_write id ")
    openrouter = kinds("openrouter_tool_call_comments_duplicate_finish")
    assert openrouter[0] == ("comment", 'comment "OPENROUTER PROCESSING"')
    assert openrouter[5] == ("empty", "nothing new (role assistant) · finish tool_calls (again)")
    deepseek = kinds("deepseek_reasoner_tool_call_keepalive")
    assert deepseek[:3] == [("comment", "keep-alive")] * 3
    assert deepseek[4] == ("reasoning", 'reasoning "The"')
    assert kinds("gemini_tool_call_no_index_stop")[0][1].startswith("tool 0 (no index) read_file")
    assert kinds("groq_x_groq_usage")[8] == ("finish", "finish stop · usage (x_groq) 18 in + 8 out")
    assert kinds("azure_prompt_filter_first_chunk")[0] == ("empty", "nothing new (choices: [])")
    assert kinds("openai_error_event_midstream")[-1][0] == "error"
    assert kinds("openai_text_korean_usage")[-1] == ("done", "[DONE]")
    fireworks = reader_of("fireworks_repeated_tool_metadata").readings
    # The id and name repeated on every fragment add nothing: only the arguments are marked.
    assert fireworks[3].added == (
        ("choices", 0, "delta", "tool_calls", 0, "function", "arguments"),
    )
    groq = reader_of("groq_x_groq_usage").readings[8]
    assert ("x_groq", "usage") in groq.added


def test_gaps_offsets_and_timing_follow_the_reads() -> None:
    reader = reader_of("openai_text_korean_usage", seed=2)
    readings = reader.readings
    assert readings[0].gap is None
    for before, after in itertools.pairwise(readings):
        assert after.gap == pytest.approx(after.offset - before.offset)
    timing = reader.timing.summary()
    assert timing.chunks == len(readings) and timing.first_chunk == readings[0].offset


def test_a_truncated_stream_fails_on_finish_and_an_http_error_reads_its_body() -> None:
    reader = reader_of("truncated_no_done")
    final = reader.final()
    assert final.error is not None and final.error.kind == "truncated"
    assert reader.answer_after(-1).error is None  # the last chunk did not know yet

    body = b'{"error": {"message": "Rate limit reached", "type": "requests"}}'
    records = records_from_reads(
        RequestSent({"url": "u"}), ResponseHead(429, {}, 0.2), [BodyRead(body, 0.2)]
    )
    failed = read_chunks(records)
    assert failed.readings == [] and failed.error_body() == body.decode()
    error = failed.final().error
    assert error is not None and error.kind == "http" and error.status_code == 429
    assert error.message == "HTTP 429: Rate limit reached"


def test_a_whole_response_is_one_chunk_with_all_it_added() -> None:
    body = json.dumps(
        {
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "hi"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
    )
    reader = read_chunks([RawChunk(body, 0.3, True)])
    (reading,) = reader.readings
    assert reading.kind == "whole" and reading.kinds == ("whole", "text", "finish", "usage")
    assert reading.reading == 'whole ChatCompletion · text "hi" · finish stop · usage 3 in + 1 out'
    assert ("choices", 0, "message", "content") in reading.added
    assert reader.final().error is None


def test_not_json_chunks_are_read_and_the_rest_kept() -> None:
    records = [
        RawChunk('{"choices":[{"index":0,"delta":{"content":"a"}}]}', 0.1),
        RawChunk("{not json", 0.2),
        RawChunk("[1]", 0.3),
        RawChunk("[DONE]", 0.4),
    ]
    reader = read_chunks(records)
    assert [r.kind for r in reader.readings] == ["text", "not_json", "not_json", "done"]
    assert reader.readings[1].reading.startswith("not JSON (")
    assert reader.readings[2].reading == "not a JSON object (list)"
    assert pretty_lines("{not json")[0].text == "{not json"
    assert reader.final().content_tail == "a" and reader.final().error is None
