"""The turn recorder: checkpoints about once a second, never per token, and errors reported."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tuichat.core.events import (
    Event,
    Finished,
    RawChunk,
    ReasoningDelta,
    TextDelta,
)
from tuichat.session.events import Answer, AnswerStarted, TurnFinished
from tuichat.session.recorder import TurnRecorder
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.errors import StorageError
from tuichat.storage.store import HistoryStore


class FakeClock:
    """Simulated monotonic time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[AsyncHistory]:
    opened = await AsyncHistory.open(tmp_path / "h.sqlite3")
    yield opened
    await opened.aclose()


async def test_the_partial_answer_is_saved_about_once_a_second_not_per_token(
    history: AsyncHistory, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str | None] = []
    real = HistoryStore.checkpoint_answer

    def counting(
        self: HistoryStore, message_id: int, content: str | None, reasoning: str | None
    ) -> None:
        written.append(content)
        real(self, message_id, content, reasoning)

    monkeypatch.setattr(HistoryStore, "checkpoint_answer", counting)
    clock = FakeClock()
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    conversation_id = await history.create_conversation()
    recorder = TurnRecorder(history, conversation_id, messages, clock=clock)
    recorder.start_turn("go")
    recorder.observe([AnswerStarted(Answer(), 1)])
    # 10 simulated seconds of 5,000 batches of 3 tokens each: 15,000 tokens.
    for i in range(5000):
        recorder.observe(
            [RawChunk("{}", clock.now), TextDelta("a "), TextDelta("b "), TextDelta("c ")]
        )
        clock.now += 0.002
        if i % 100 == 99:  # let the worker catch up every 0.2 simulated seconds
            await recorder.flush()
    await recorder.flush()
    assert 9 <= len(written) <= 11, len(written)
    assert recorder.checkpoints == len(written)
    # Each checkpoint holds everything received up to then, growing.
    lengths = [len(text or "") for text in written]
    assert lengths == sorted(set(lengths))
    assert 2990 <= lengths[0] <= 3020  # one simulated second: ~500 batches of 6 characters
    assert all(text == "a b c " * (len(text) // 6) for text in written if text)
    rows = await history.message_rows(conversation_id)
    assert rows[-1].status == "streaming" and rows[-1].message["content"] == written[-1]

    final = {
        "role": "assistant",
        "content": "a b c " * 5000,
        "reasoning": None,
        "finish_reason": "stop",
        "usage": None,
    }
    messages.append(final)
    recorder.observe([Finished("stop"), TurnFinished(messages=[final])])
    assert await recorder.flush() is None
    assert await history.load_messages(conversation_id) == [
        {"role": "user", "content": "go"},
        final,
    ]
    assert len(await history.load_raw_chunks(rows[-1].id)) == 5000


async def test_no_checkpoint_is_queued_while_the_previous_one_is_still_writing(
    history: AsyncHistory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = HistoryStore.checkpoint_answer
    calls: list[float] = []

    def slow(
        self: HistoryStore, message_id: int, content: str | None, reasoning: str | None
    ) -> None:
        calls.append(time.monotonic())
        time.sleep(0.3)  # a slow disk
        real(self, message_id, content, reasoning)

    monkeypatch.setattr(HistoryStore, "checkpoint_answer", slow)
    clock = FakeClock()
    conversation_id = await history.create_conversation()
    recorder = TurnRecorder(history, conversation_id, [], clock=clock)
    recorder.observe([AnswerStarted(Answer(), 1)])
    for _ in range(50):  # 50 simulated seconds arrive in well under 0.3 real seconds
        clock.now += 1.0
        recorder.observe([TextDelta("x")])
    assert recorder.checkpoints == 1
    await recorder.flush()
    assert len(calls) == 1


async def test_observing_a_batch_is_cheap(history: AsyncHistory) -> None:
    conversation_id = await history.create_conversation()
    recorder = TurnRecorder(history, conversation_id, [])
    recorder.observe([AnswerStarted(Answer(), 1)])
    batch: list[Event] = [RawChunk("{}", 0.0), TextDelta("word "), ReasoningDelta("hm ")]
    started = time.perf_counter()
    for _ in range(20_000):
        recorder.observe(batch)
    elapsed = time.perf_counter() - started
    await recorder.flush()
    assert elapsed < 0.5, f"{elapsed:.3f} s for 20,000 batches"
    assert recorder.checkpoints <= 2


async def test_a_turn_without_raw_chunk_saving_keeps_none(history: AsyncHistory) -> None:
    conversation_id = await history.create_conversation()
    messages: list[dict[str, Any]] = []
    recorder = TurnRecorder(history, conversation_id, messages, save_raw_chunks=False)
    recorder.observe([AnswerStarted(Answer(), 1), RawChunk("{}", 0.0), TextDelta("hi")])
    messages.append({"role": "assistant", "content": "hi"})
    recorder.observe([Finished("stop"), TurnFinished(messages=list(messages))])
    assert await recorder.flush() is None
    row = (await history.message_rows(conversation_id))[0]
    assert row.status == "complete" and await history.load_raw_chunks(row.id) == []


async def test_an_answer_the_conversation_never_kept_is_saved_as_cancelled(
    history: AsyncHistory,
) -> None:
    conversation_id = await history.create_conversation()
    recorder = TurnRecorder(history, conversation_id, [])
    recorder.start_turn({"role": "user", "content": "tell me"})
    recorder.observe([AnswerStarted(Answer(), 1), ReasoningDelta("so"), TextDelta("Well, ")])
    recorder.end()
    recorder.end()  # idempotent
    assert await recorder.flush() is None
    loaded = await history.load_messages(conversation_id)
    assert loaded[-1]["content"] == "Well, " and loaded[-1]["reasoning"] == "so"
    assert loaded[-1]["cancelled"] is True


async def test_a_write_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history = await AsyncHistory.open(path, timeout=0.05)
    conversation_id = await history.create_conversation()
    reported: list[StorageError] = []
    recorder = TurnRecorder(history, conversation_id, [], on_error=reported.append)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        recorder.start_turn("hello")
        # The answer keeps streaming.
        recorder.observe([AnswerStarted(Answer(), 1), TextDelta("hi")])
        error = await recorder.flush()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert isinstance(error, StorageError) and error.kind == "locked"
    assert reported == [error]  # reported once, the first failure
    await history.aclose()
