"""The phases of an awaited answer and the words of its status line, from its events and
given times (no clock is read: each line is asked for at a stated moment)."""

from __future__ import annotations

from tuichat.core.events import (
    BodyRead,
    RawComment,
    RequestSent,
    ResponseHead,
    Retrying,
    StreamError,
    TextDelta,
)
from tuichat.ui.answer_progress import AnswerProgress

HEAD = ResponseHead(200, {}, 0.1)


def progress(stall_timeout: float = 60.0, stream: bool = True) -> AnswerProgress:
    return AnswerProgress("http://h/v1", stall_timeout=stall_timeout, stream=stream, now=0.0)


def test_connecting_then_waiting_for_the_first_token_then_streaming() -> None:
    answer = progress()
    answer.observe(RequestSent({}), 0.0)
    assert answer.line(0.5) == "connecting to http://h/v1…"
    assert answer.line(2.2) == "connecting to http://h/v1… · 2 s"
    assert answer.observe(HEAD, 2.5)
    assert answer.line(3.0) == "waiting for the first token · 3 s"
    answer.observe(RawComment(": keep-alive", 4.0), 4.0)
    answer.observe(BodyRead(b": keep-alive\n\n", 4.0), 4.0)
    assert answer.line(4.5) == "waiting for the first token · 4 s · the server sends keep-alives"
    assert answer.observe(TextDelta("Hi"), 5.0)
    assert answer.line(5.1) == ""


def test_a_retry_counts_its_wait_down_and_the_next_attempt_says_which_it_is() -> None:
    answer = progress()
    answer.observe(RequestSent({}), 0.0)
    answer.observe(ResponseHead(429, {}, 0.1), 0.1)
    assert answer.observe(Retrying(2, 3, 4.0, "HTTP 429 (rate limited)"), 0.2)
    assert answer.line(0.2) == "HTTP 429 (rate limited): retrying in 4 s (attempt 2 of 3)"
    assert answer.line(3.0) == "HTTP 429 (rate limited): retrying in 2 s (attempt 2 of 3)"
    assert answer.line(4.5) == "HTTP 429 (rate limited): retrying in 1 s (attempt 2 of 3)"
    answer.observe(RequestSent({}), 4.2)
    assert answer.line(4.3) == "connecting to http://h/v1… · attempt 2 of 3"
    answer.observe(HEAD, 4.4)
    assert answer.line(5.5) == "waiting for the first token · 1 s · attempt 2 of 3"


def test_silence_in_the_middle_says_so_after_a_while_and_clears_with_data() -> None:
    answer = progress(stall_timeout=60.0)
    answer.observe(RequestSent({}), 0.0)
    answer.observe(HEAD, 0.1)
    answer.observe(BodyRead(b"data: {}\n\n", 0.2), 0.2)
    answer.observe(TextDelta("Hi"), 0.2)
    assert answer.line(5.0) == ""  # 4.8 s of silence: not yet
    assert answer.line(7.9) == "no data for 7 s (gives up at 60 s)"
    answer.observe(BodyRead(b"data: {}\n\n", 8.0), 8.0)
    assert answer.line(8.5) == ""


def test_a_short_stall_timeout_says_no_data_sooner() -> None:
    answer = progress(stall_timeout=4.0)
    answer.observe(RequestSent({}), 0.0)
    answer.observe(HEAD, 0.0)
    answer.observe(TextDelta("Hi"), 0.0)
    assert answer.line(1.9) == ""
    assert answer.line(2.1) == "no data for 2 s (gives up at 4 s)"


def test_an_answer_not_streamed_waits_for_the_whole_of_it() -> None:
    answer = progress(stream=False)
    answer.observe(RequestSent({}), 0.0)
    assert answer.line(3.0).startswith("waiting for http://h/v1 (not streamed")
    answer.observe(HEAD, 3.5)
    assert answer.phase == "connecting"  # the head comes with the whole answer


def test_an_error_ends_it_but_a_malformed_chunk_does_not() -> None:
    answer = progress()
    answer.observe(TextDelta("Hi"), 0.0)
    assert not answer.observe(StreamError("malformed", "a bad chunk"), 1.0)
    assert answer.observe(StreamError("timeout", "stopped"), 2.0)
    assert answer.ended and answer.line(99.0) == ""
