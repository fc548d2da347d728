"""Conversations are saved as they stream and come back when reopened."""

from __future__ import annotations

from pathlib import Path

from tuichat.core.client import ChatClient, Provider
from tuichat.core.conversation import Conversation
from tuichat.demo.server import ChatServer, Scripted
from tuichat.storage.history import HistoryStore
from tuichat.tools.registry import default_registry
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.chat_message import AssistantMessage, ToolCallView, UserMessage

from .pilot_helpers import finish_turn, send


def history_app(server: ChatServer, db: Path, resume: int | str | None = None) -> TuichatApp:
    provider = Provider(base_url=server.base_url, model="tuichat-demo", max_retries=0)
    conversation = Conversation(ChatClient(provider), default_registry())
    return TuichatApp(conversation, subtitle="test", history_path=db, resume=resume)  # type: ignore[arg-type]


async def test_a_turn_is_saved_and_reopens_with_its_tool_calls(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    app = history_app(server, db)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "what time is it in Seoul and New York?")
        await finish_turn(pilot)
        saved = list(app.conversation.messages)
    store = HistoryStore(db)
    [summary] = store.list_conversations()
    assert store.load_messages(summary.id) == saved
    store.close()

    again = history_app(server, db, resume="last")
    async with again.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = again.screen
        assert again.conversation.messages == saved
        assert [w.tool_name for w in screen.query(ToolCallView)] == ["get_current_time"] * 2
        assert all(w.state == "done" for w in screen.query(ToolCallView))
        assert screen.query_one(UserMessage)
        answers = list(screen.query(AssistantMessage))
        assert "Seoul" in answers[-1].body.text and answers[-1].ended
        # The conversation goes on where it was: the next request carries the history.
        await send(pilot, "hello")
        await finish_turn(pilot)
        assert len(server.requests[-1]["messages"]) == len(saved) + 1


async def test_a_reopened_conversation_regenerates_its_last_answer(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="Old answer."), Scripted(text="New answer."))
    app = history_app(server, db)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        cid = app.conversation_id

    again = history_app(server, db, resume="last")
    async with again.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert again.conversation_id == cid
        await pilot.press("ctrl+r")
        screen = await finish_turn(pilot)
        assert [a.body.text for a in screen.query(AssistantMessage)] == ["New answer."]
        kept = list(again.conversation.messages)
    assert cid is not None
    store = HistoryStore(db)
    assert store.load_messages(cid) == kept
    assert [r.message["content"] for r in store.message_rows(cid) if r.replaced] == ["Old answer."]
    store.close()
