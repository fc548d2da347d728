"""Leaving messages out of what is sent, putting them back, and summaries in their place:
what the loopback server receives, what the history keeps, what reopening brings back."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest

from tuichat.config.settings import Settings
from tuichat.demo.replies import HTTPError, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.context import ContextError
from tuichat.session.context_budget import measure
from tuichat.session.context_summary import SUMMARY_INSTRUCTION, write_summary
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession
from tuichat.storage.store import HistoryStore

SUMMARY_LABEL = "[Summary of 2 earlier messages of this conversation, written by m and sent in"


def session_for(server: ChatServer, db: Path, *, tools: bool = False) -> ChatSession:
    options = SessionOptions(
        base_url=server.base_url, model="m", max_retries=0, history=True, db=db, tools=tools
    )
    return build_session(Settings(), options, {})


async def send(session: ChatSession, text: str) -> None:
    async for _ in session.send(text):
        pass


async def opened(server: ChatServer, db: Path, **options: bool) -> ChatSession:
    session = session_for(server, db, **options)
    await session.open_history()
    return session


async def test_the_request_leaves_out_an_answer_with_its_tool_calls_and_results(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(
        Scripted(text="A1"),
        Scripted(tool_calls=[ToolCall("get_current_time", {"timezone": "UTC"}, id="c1")]),
        Scripted(text="It is noon."),
        Scripted(text="A3"),
        Scripted(text="A4"),
    )
    session = await opened(server, db, tools=True)
    try:
        await send(session, "Q1")
        await send(session, "Q2")
        items = await session.context.items()
        assert [(item.kind, len(item.messages)) for item in items] == [
            ("user", 1), ("answer", 1), ("user", 1), ("answer", 2), ("answer", 1),
        ]  # fmt: skip
        assert all(item.ids for item in items)  # each saved, each known
        await session.context.set_left_out([items[1], items[3]], True)
        await send(session, "Q3")
    finally:
        await session.aclose()
    assert server.requests[-1]["messages"] == [
        {"role": "user", "content": "Q1"},
        {"role": "user", "content": "Q2"},
        {"role": "assistant", "content": "It is noon."},
        {"role": "user", "content": "Q3"},
    ]
    # Reopened (`--continue`), the same is left out; the history kept every message.
    again = await opened(server, db, tools=True)
    try:
        await again.reopen("last")
        await send(again, "Q4")
    finally:
        await again.aclose()
    assert [m["content"] for m in server.requests[-1]["messages"]] == [
        "Q1", "Q2", "It is noon.", "Q3", "A3", "Q4",
    ]  # fmt: skip
    with HistoryStore(db) as store:
        [conversation] = store.list_conversations()
        kept = store.load_messages(conversation.id)
    assert len(kept) == 10
    assert [m.get("role") for m in kept if m.get("left_out")] == ["assistant", "assistant", "tool"]


async def test_putting_back_sends_it_again(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(Scripted(text="A1"), Scripted(text="A2"))
    session = await opened(server, tmp_path / "h.sqlite3")
    try:
        await send(session, "Q1")
        items = await session.context.items()
        await session.context.set_left_out(items, True)
        assert session.conversation.wire_messages() == []
        await session.context.set_left_out(items, False)
        await send(session, "Q2")
    finally:
        await session.aclose()
    assert [m["content"] for m in server.requests[-1]["messages"]] == ["Q1", "A1", "Q2"]


async def test_a_summary_is_asked_of_the_model_and_sent_in_place_of_its_messages(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(
        Scripted(text="Use `json.loads`."),
        Scripted(text="A2"),
        Scripted(text="The user asked how to parse JSON: `json.loads`."),
        Scripted(text="A3"),
    )
    session = await opened(server, db)
    try:
        await send(session, "How do I parse JSON?")
        await send(session, "Q2")
        items = await session.context.items()
        arrived: list[int] = []
        summary = await write_summary(session.context, items[:2], arrived.append)
        asked = server.requests[-1]
        await send(session, "Q3")
    finally:
        await session.aclose()
    # What the model was asked: the instruction, then the messages as a transcript; no tools.
    assert asked["messages"] == [
        {"role": "system", "content": SUMMARY_INSTRUCTION},
        {
            "role": "user",
            "content": (
                "Summarise these 2 messages of the conversation:\n\n<messages>\n"
                '<message role="user">\nHow do I parse JSON?\n</message>\n'
                '<message role="assistant">\nUse `json.loads`.\n</message>\n</messages>'
            ),
        },
    ]
    assert "tools" not in asked and asked["model"] == "m"
    for words in ("faithful, dense summary", "code identifiers", "still open"):
        assert words in SUMMARY_INSTRUCTION
    assert arrived and arrived[-1] == len("The user asked how to parse JSON: `json.loads`.")
    expected = f"{SUMMARY_LABEL} their place.]\n\nThe user asked how to parse JSON: `json.loads`."
    assert summary.message["content"] == expected
    assert server.requests[-1]["messages"] == [
        {"role": "user", "content": expected},
        {"role": "user", "content": "Q2"},
        {"role": "assistant", "content": "A2"},
        {"role": "user", "content": "Q3"},
    ]
    # Reopened: the summary in its place, its messages left out; leaving it out puts them back.
    server.enqueue(Scripted(text="A4"))
    again = await opened(server, db)
    try:
        await again.reopen("last")
        items = await again.context.items()
        assert [(item.kind, item.left_out) for item in items] == [
            ("user", True), ("answer", True), ("summary", False),
            ("user", False), ("answer", False), ("user", False), ("answer", False),
        ]  # fmt: skip
        assert items[2].summary is not None and items[2].summary["count"] == 2
        await again.context.set_left_out([items[2]], True)
        await send(again, "Q4")
    finally:
        await again.aclose()
    assert [m["content"] for m in server.requests[-1]["messages"]] == [
        "How do I parse JSON?", "Use `json.loads`.", "Q2", "A2", "Q3", "A3", "Q4",
    ]  # fmt: skip
    with HistoryStore(db) as store:
        [conversation] = store.list_conversations()
        rows = store.message_rows(conversation.id, include_replaced=False)
    assert [bool(row.message.get("left_out")) for row in rows[:3]] == [False, False, True]


async def test_a_summary_the_server_refuses_changes_nothing(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(Scripted(text="A1"), HTTPError(500, "the summariser is down"))
    session = await opened(server, db)
    try:
        await send(session, "Q1")
        before = copy.deepcopy(session.messages)
        items = await session.context.items()
        with pytest.raises(ContextError, match=r"the summariser is down.*Nothing changed"):
            await write_summary(session.context, items)
        assert session.messages == before
    finally:
        await session.aclose()
    with HistoryStore(db) as store:
        [conversation] = store.list_conversations()
        assert store.summaries(conversation.id) == []
        assert not any(m.get("left_out") for m in store.load_messages(conversation.id))


async def test_a_cancelled_summary_changes_nothing(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(Scripted(text="A1"), Slow("a summary that takes its time " * 20, 20.0))
    session = await opened(server, tmp_path / "h.sqlite3")
    try:
        await send(session, "Q1")
        before = copy.deepcopy(session.messages)
        items = await session.context.items()
        arrived: list[int] = []
        task = asyncio.create_task(write_summary(session.context, items, arrived.append))
        while not arrived or not arrived[-1]:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert session.messages == before
    finally:
        await session.aclose()


async def test_the_budget_is_an_estimate_once_something_before_the_count_changes(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="A1 " * 40), Scripted(text="A2"))
    session = await opened(server, tmp_path / "h.sqlite3")
    try:
        await send(session, "Q1")
        await send(session, "Q2")
        exact = measure(session.messages, "", 10_000, session.context.changes)
        assert exact.exact and not exact.label().startswith("~")
        items = await session.context.items()
        assert items[1].counted  # the answer's completion, as the server counted it
        await session.context.set_left_out([items[1]], True)
        rough = measure(session.messages, "", 10_000, session.context.changes)
        assert not rough.exact and rough.label().startswith("~")
        assert rough.tokens == exact.tokens - items[1].tokens
        await session.context.set_left_out([items[1]], False)
        back = measure(session.messages, "", 10_000, session.context.changes)
        assert back.tokens == exact.tokens
    finally:
        await session.aclose()
