"""The accumulator over every recorded provider stream, fed byte-exact through our SSE decoder."""

from __future__ import annotations

import json
import random

import pytest

from tuichat.core.accumulator import StreamState
from tuichat.core.events import (
    StreamError,
    TextDelta,
    ToolArgsDelta,
    ToolCallReady,
    ToolCallStarted,
)
from tuichat.core.sse import SSEDecoder

from .streams import CASES, STREAMS, assert_reaches_expected


def replay(body: bytes, slices: list[bytes]) -> tuple[StreamState, list[object]]:
    decoder = SSEDecoder()
    state = StreamState()
    events: list[object] = []
    done = False
    for piece in slices:
        for sse in decoder.feed(piece):
            if sse.data.startswith("[DONE]"):
                done = True
                continue
            try:
                chunk = json.loads(sse.data)
            except json.JSONDecodeError as error:
                events += state.feed_invalid(sse.data, error.msg)
                continue
            events += state.feed(chunk, sse.event)
    decoder.close()
    events += state.finish(done=done)
    return state, events


def random_slices(body: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out, at = [], 0
    while at < len(body):
        size = rng.randint(1, 7)
        out.append(body[at : at + size])
        at += size
    return out


def test_the_corpus_is_complete() -> None:
    assert len(CASES) == 13


@pytest.mark.parametrize("case", CASES)
def test_whole_body_reaches_expected(case: str) -> None:
    body = (STREAMS / f"{case}.sse").read_bytes()
    state, _ = replay(body, [body])
    assert_reaches_expected(state, case)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_small_slices_reach_expected(case: str, seed: int) -> None:
    body = (STREAMS / f"{case}.sse").read_bytes()
    state, _ = replay(body, random_slices(body, seed))
    assert_reaches_expected(state, case)


def test_events_announce_each_call_before_its_arguments() -> None:
    body = (STREAMS / "openai_parallel_tool_calls.sse").read_bytes()
    _, events = replay(body, [body])
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [e.index for e in started] == [0, 1]
    first_args = next(i for i, e in enumerate(events) if isinstance(e, ToolArgsDelta))
    assert events.index(started[0]) < first_args
    ready = [e for e in events if isinstance(e, ToolCallReady)]
    assert [r.error for r in ready] == [None, None]
    by_index: dict[int, str] = {}
    for e in events:
        if isinstance(e, ToolArgsDelta):
            by_index[e.index] = by_index.get(e.index, "") + e.delta
    assert [json.loads(by_index[i]) for i in (0, 1)] == [r.arguments for r in ready]


def test_text_deltas_concatenate_to_content() -> None:
    body = (STREAMS / "openai_text_korean_usage.sse").read_bytes()
    state, events = replay(body, random_slices(body, 9))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == state.content == "안녕하세요! 어떻게 도와드릴까요?"
    assert len([e for e in events if isinstance(e, TextDelta)]) > 3


def test_malformed_chunk_is_reported_and_the_rest_kept() -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        b"data: {not json\n\n"
        b"data: [1, 2]\n\n"
        b'data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    state, events = replay(body, [body])
    assert state.content == "Hello"
    assert state.finish_reason == "stop"
    malformed = [e for e in events if isinstance(e, StreamError) and e.kind == "malformed"]
    assert len(malformed) == 2
    assert state.error is None  # a malformed chunk does not fail the answer


def test_bad_tool_arguments_become_a_ready_call_with_an_error() -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1",'
        b'"function":{"name":"f","arguments":"{\\"a\\": "}}]}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    _, events = replay(body, [body])
    ready = [e for e in events if isinstance(e, ToolCallReady)]
    assert len(ready) == 1 and ready[0].arguments is None
    assert ready[0].error is not None and "not valid JSON" in ready[0].error


def test_escape_sequences_are_stripped_once_and_the_content_is_what_was_shown() -> None:
    raw = "red \u001b[31mtext\u001b[0m [bold]x[/bold]"
    chunk = {"choices": [{"index": 0, "delta": {"content": raw}}]}
    state = StreamState()
    events = state.feed(chunk)
    assert events == [TextDelta("red text [bold]x[/bold]")]
    assert state.content == "red text [bold]x[/bold]"  # what is kept is what was shown


def test_an_escape_sequence_split_across_chunks_leaves_nothing() -> None:
    state = StreamState()
    shown: list[str] = []
    for piece in ("before \u001b]0;p", "wned\u0007 after", " and \u001b[3", "1mred", "\u001b"):
        events = state.feed({"choices": [{"index": 0, "delta": {"content": piece}}]})
        shown += [e.text for e in events if isinstance(e, TextDelta)]
    shown += [e.text for e in state.finish(done=True) if isinstance(e, TextDelta)]
    assert "".join(shown) == "before  after and red"
    assert state.final_message()["content"] == "before  after and red"
    assert "ned" not in shown[0]  # the title sequence never showed a piece of itself


def test_reasoning_is_stripped_the_same_way() -> None:
    state = StreamState()
    for piece in ("think \u001b[", "2Jhard"):
        state.feed({"choices": [{"index": 0, "delta": {"reasoning_content": piece}}]})
    state.finish(done=True)
    assert state.reasoning == "think hard"


def test_sse_decoder_handles_cr_line_ends_split_across_slices() -> None:
    decoder = SSEDecoder()
    got = []
    for piece in (
        b"data: a\r",
        b"\ndata: b\r",
        b"\n\r",
        b"\n: comment\r\nevent: error\r\ndata: c\r\n\r\n",
    ):
        got += decoder.feed(piece)
    assert [(e.event, e.data) for e in got] == [(None, "a\nb"), ("error", "c")]
    assert decoder.close() is False


def test_sse_decoder_discards_an_unterminated_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"x": 1}\n\ndata: {"y"') != []
    assert decoder.close() is True
