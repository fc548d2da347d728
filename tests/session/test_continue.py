"""Continuing an answer that was cut short (a stall, a drop, the length limit, a cancel):
the partial text goes back as the assistant's message with an instruction to continue, and
what comes is appended to the same answer, in the conversation and in its saved row."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tuichat.config.settings import Settings
from tuichat.core.events import RequestSent, TextDelta
from tuichat.demo.replies import (
    DropAfter,
    HTTPError,
    Scripted,
    Slow,
    stalled_after,
)
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.conversation import CONTINUE_INSTRUCTION
from tuichat.session.events import AnswerStarted
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession


def session_for(server: ChatServer, db: Path | None = None) -> ChatSession:
    options = SessionOptions(
        base_url=server.base_url,
        model="m",
        max_retries=0,
        stall_timeout=0.4,
        history=db is not None,
        db=db,
        tools=False,
    )
    return build_session(Settings(), options, {})


async def run(turn: object) -> list[object]:
    assert turn is not None
    events: list[object] = []
    async for batch in turn:  # type: ignore[attr-defined]
        events += batch
    return events


async def test_a_stalled_answer_is_continued_in_the_same_message(server: ChatServer) -> None:
    server.enqueue(stalled_after("The first half, ", 5), Scripted(text="and the second half."))
    session = session_for(server)
    try:
        await run(session.send("tell me"))
        assert session.cut_answer() == "stalled"
        events = await run(session.continue_answer())
    finally:
        await session.aclose()
    started = next(e for e in events if isinstance(e, AnswerStarted))
    assert started.continues
    # The request: the conversation, the partial answer as the assistant's, the instruction.
    sent = server.requests[-1]["messages"]
    assert sent[-2:] == [
        {"role": "assistant", "content": "The first half, "},
        {"role": "user", "content": CONTINUE_INSTRUCTION},
    ]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "and the second half."
    assert [m["role"] for m in session.messages] == ["user", "assistant"]
    answer = session.messages[-1]
    assert answer["content"] == "The first half, and the second half."
    assert "error" not in answer and answer["finish_reason"] == "stop"
    assert answer["continued"] == [{"at": len("The first half, "), "after": "stalled"}]
    assert session.cut_answer() is None
    # The instruction was in the request only.
    assert all(m.get("content") != CONTINUE_INSTRUCTION for m in session.messages)


async def test_the_continued_answer_is_one_saved_row_with_both_wires(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(stalled_after("Saved so far, ", 5), Scripted(text="saved whole."))
    session = session_for(server, db)
    try:
        await session.open_history()
        await run(session.send("save it"))
        await run(session.continue_answer())
        conversation_id = session.conversation_id
    finally:
        await session.aclose()
    again = session_for(server, db)
    try:
        await again.open_history()
        assert again.history is not None and conversation_id is not None
        rows = await again.history.message_rows(conversation_id, include_replaced=True)
        assert [row.message["role"] for row in rows] == ["user", "assistant"]
        saved = rows[-1]
        assert saved.message["content"] == "Saved so far, saved whole."
        assert saved.message["continued"] == [{"at": len("Saved so far, "), "after": "stalled"}]
        assert "error" not in saved.message
        wire = await again.history.load_wire_records(saved.id)
        requests = [record for record in wire if isinstance(record, RequestSent)]
        assert len(requests) == 2, "the cut answer's request, then the continuation's"
        last_sent = requests[-1].request["body"]["messages"]
        assert last_sent[-1]["content"] == CONTINUE_INSTRUCTION
    finally:
        await again.aclose()


async def test_a_reopened_cut_answer_is_continued_in_its_row(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(DropAfter(text="one two three four five six", after=3))
    first = session_for(server, db)
    try:
        await first.open_history()
        await run(first.send("count"))
        partial = first.messages[-1]["content"]
    finally:
        await first.aclose()
    server.enqueue(Scripted(text=" and so on."))
    later = session_for(server, db)
    try:
        await later.open_history()
        rows = await later.reopen("last")
        assert rows is not None
        assert later.cut_answer() == "dropped"
        await run(later.continue_answer())
        assert later.history is not None and later.conversation_id is not None
        saved = await later.history.message_rows(later.conversation_id, include_replaced=True)
    finally:
        await later.aclose()
    assert [row.message["role"] for row in saved] == ["user", "assistant"]
    assert saved[-1].id == rows[-1].id
    assert saved[-1].message["content"] == partial + " and so on."


async def test_an_answer_at_the_length_limit_is_continued(server: ChatServer) -> None:
    server.enqueue(
        Scripted(text="A long answer that", finish_reason="length"), Scripted(text=" ends here.")
    )
    session = session_for(server)
    try:
        await run(session.send("go on"))
        assert session.cut_answer() == "too long"
        await run(session.continue_answer())
    finally:
        await session.aclose()
    answer = session.messages[-1]
    assert answer["content"] == "A long answer that ends here."
    assert answer["continued"][0]["after"] == "too long"


async def test_usage_and_duration_add_up(server: ChatServer) -> None:
    server.enqueue(
        Scripted(text="First part", finish_reason="length"), Scripted(text=" second part")
    )
    session = session_for(server)
    try:
        await run(session.send("go"))
        first = dict(session.messages[-1]["usage"])
        await run(session.continue_answer())
    finally:
        await session.aclose()
    usage = session.messages[-1]["usage"]
    assert usage["completion_tokens"] > first["completion_tokens"]
    assert usage["prompt_tokens"] > first["prompt_tokens"]


@pytest.mark.parametrize(
    "reply",
    [Scripted(text="A whole answer."), HTTPError(500, "no text at all")],
    ids=["whole", "failed-before-any-text"],
)
async def test_nothing_is_continued_when_nothing_was_cut(
    server: ChatServer, reply: Scripted | HTTPError
) -> None:
    server.enqueue(reply)
    session = session_for(server)
    try:
        await run(session.send("hi"))
        assert session.cut_answer() is None
        assert session.continue_answer() is None
    finally:
        await session.aclose()


async def test_a_continuation_that_fails_at_once_leaves_the_answer_cut(
    server: ChatServer,
) -> None:
    server.enqueue(stalled_after("Half ", 5), HTTPError(503, "down"), Scripted(text="rest."))
    session = session_for(server)
    try:
        await run(session.send("go"))
        await run(session.continue_answer())
        assert session.messages[-1]["content"] == "Half "
        assert session.cut_answer() == "stalled", "it can be continued again"
        await run(session.continue_answer())
    finally:
        await session.aclose()
    assert session.messages[-1]["content"] == "Half rest."


async def test_a_cancelled_continuation_keeps_what_came_marked_cancelled(
    server: ChatServer,
) -> None:
    words = " ".join(f"w{i}" for i in range(200))
    server.enqueue(stalled_after("Begun, ", 5), Slow(words, tokens_per_second=50))
    session = session_for(server)
    try:
        await run(session.send("go"))
        turn = session.continue_answer()
        assert turn is not None
        arriving = asyncio.Event()

        async def consume() -> None:
            async for batch in turn:
                if any(isinstance(e, TextDelta) and "w3" in e.text for e in batch):
                    arriving.set()

        task = asyncio.create_task(consume())
        await arriving.wait()
        task.cancel()  # as Esc does: the worker is cancelled while it awaits the next read
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await session.aclose()
    answer = session.messages[-1]
    assert answer["content"].startswith("Begun, w0 w1 w2 w3")
    assert answer.get("cancelled") is True and "error" not in answer
    assert session.cut_answer() == "cancelled"
