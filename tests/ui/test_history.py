"""Conversations are saved as they stream and come back when reopened."""

from __future__ import annotations

from pathlib import Path

from tuichat.config.load import parse_settings
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.session.events import Answer
from tuichat.session.options import Resume
from tuichat.storage.store import HistoryStore
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.chat_message import (
    AssistantMessage,
    ToolCallView,
    UserMessage,
    answer_widget,
)

from .conftest import loopback_app
from .pilot_helpers import Notices, finish_turn, send


def history_app(server: ChatServer, db: Path, resume: Resume = None) -> TuichatApp:
    return loopback_app(server, db=db, resume=resume)


async def test_a_turn_is_saved_and_reopens_with_its_tool_calls(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    app = history_app(server, db)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "what time is it in Seoul and New York?")
        await finish_turn(pilot)
        saved = list(app.session.messages)
    store = HistoryStore(db)
    [summary] = store.list_conversations()
    assert store.load_messages(summary.id) == saved
    store.close()

    again = history_app(server, db, resume="last")
    async with again.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = again.screen
        assert again.session.messages == saved
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
        cid = app.session.conversation_id

    again = history_app(server, db, resume="last")
    async with again.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert again.session.conversation_id == cid
        await pilot.press("ctrl+r")
        screen = await finish_turn(pilot)
        assert [a.body.text for a in screen.query(AssistantMessage)] == ["New answer."]
        kept = list(again.session.messages)
    assert cid is not None
    store = HistoryStore(db)
    assert store.load_messages(cid) == kept
    assert [r.message["content"] for r in store.message_rows(cid) if r.replaced] == ["Old answer."]
    store.close()


async def test_the_inspector_shows_a_saved_answers_raw_chunks(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="First answer."), Scripted(text="Second answer."))
    app = history_app(server, db)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "one")
        await finish_turn(pilot)
        await send(pilot, "two")
        await finish_turn(pilot)
        live = app.screen.inspector.raw_texts()
        # This session's answers know their rows. The live feed shows the second answer's
        # chunks, so one Alt+Up goes to the first one's, saved.
        await pilot.press("f2", "alt+up")
        await app.workers.wait_for_complete()
        await pilot.pause()
        inspector = app.screen.inspector
        assert inspector.saved_title is not None and "answer 1" in inspector.saved_title
        assert any('"First' in line for line in inspector.raw_texts())
        assert not any("Second" in line for line in inspector.raw_texts())
        # Past the last answer: the live feed of this session's turn again.
        await pilot.press("alt+down", "alt+down")
        assert inspector.saved_title is None and inspector.raw_texts() == live

    again = history_app(server, db, resume="last")
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # A reopened conversation has no live turn: F2 shows its last answer as saved.
        await pilot.press("f2")
        await again.workers.wait_for_complete()
        await pilot.pause()
        inspector = again.screen.inspector
        assert inspector.display and inspector.saved_title is not None
        assert "answer 2" in inspector.saved_title
        rows = inspector.turn.rows
        chunk_rows = [row.raw_text() for row in rows if row.kind == "chunk"]
        assert any('"Second' in line for line in chunk_rows)
        assert inspector.chunk_count == len(chunk_rows)
        assert [row.kind for row in rows[:2]] == ["request", "head"]  # saved too
        assert rows[0].raw_text().startswith("POST ")
        assert "ttfc" in inspector.header_text() and "rate " in inspector.header_text()
        assert inspector.chunk_list.selected == len(rows) - 1, "the newest row is selected"
        # Clicking an answer while the panel is open shows that answer's chunks.
        first = again.screen.query(AssistantMessage).first()
        await pilot.click(first)
        await again.workers.wait_for_complete()
        await pilot.pause()
        assert any('"First' in line for line in inspector.raw_texts())
        assert "answer 1" in (inspector.saved_title or "")
        # A new conversation: the panel no longer shows the old one's chunks.
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert inspector.saved_title is None and inspector.raw_texts() == []


async def test_without_saved_chunks_the_inspector_says_so(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    settings = parse_settings("[history]\nsave_raw_chunks = false\n")
    app = loopback_app(server, db=db, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        await pilot.press("f2", "alt+up")
        await app.workers.wait_for_complete()
        await pilot.pause()
        inspector = app.screen.inspector
        assert inspector.raw_texts() == []
        assert "save_raw_chunks" in inspector.header_text()


def test_a_reopened_tool_result_shows_whole_and_its_state() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "big", "arguments": "{}"}}
    denied = {"id": "c2", "type": "function", "function": {"name": "big", "arguments": "{}"}}
    answer = answer_widget(
        Answer(
            [
                {"role": "assistant", "content": None, "tool_calls": [call, denied]},
                {
                    "role": "tool",
                    "tool_call_id": "c1",
                    "content": "x [cut]",
                    "full_content": "x" * 50,
                    "status": "done",
                },
                {
                    "role": "tool",
                    "tool_call_id": "c2",
                    "content": "Denied by the user: do not retry this call unless asked to.",
                    "status": "denied",
                },
            ]
        )
    )
    first, second = answer.tool_calls.values()
    assert (first.state, first.result) == ("done", "x" * 50)
    assert second.state == "denied"


async def test_f2_on_a_fresh_session_just_opens_the_panel(
    server: ChatServer, tmp_path: Path
) -> None:
    app = history_app(server, tmp_path / "history.sqlite3")
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await pilot.press("f2")
        inspector = app.screen.inspector
        assert inspector.display and inspector.header_text() == "no request yet"
        assert not notices.messages  # no "nothing to inspect" warning for opening a panel
