"""Several sessions in one process: each with its own client, tools, recorder and conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tuichat.config.load import parse_settings
from tuichat.core.events import TextDelta
from tuichat.demo.replies import Scripted, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession
from tuichat.storage.store import HistoryStore


async def ask(session: ChatSession, prompt: str) -> str:
    text = ""
    async for batch in session.send(prompt):
        text += "".join(event.text for event in batch if isinstance(event, TextDelta))
    return text


async def test_two_sessions_answer_at_once_and_save_their_own_conversations(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.sqlite3"
    settings = parse_settings('[tools]\ndisabled = ["convert_units"]\n')
    with ChatServer(tokens_per_second=200) as first, ChatServer(tokens_per_second=200) as second:
        first.enqueue(Scripted(text="one " * 30))
        second.enqueue(
            Scripted(tool_calls=[ToolCall("calculate", {"expression": "6*7"}, id="c1")]),
            Scripted(text="forty-two"),
        )
        sessions = [
            build_session(settings, SessionOptions(base_url=s.base_url, model=m, db=db), {})
            for s, m in ((first, "model-one"), (second, "model-two"))
        ]
        a, b = sessions
        try:
            # Nothing is shared: each has its own client, tools, policies and messages.
            assert a.client is not b.client and a.tools is not b.tools
            assert a.policies is not b.policies and a.messages is not b.messages
            for session in sessions:
                await session.open_history()
            answers = await asyncio.gather(ask(a, "first?"), ask(b, "second?"))
            assert answers == ["one " * 30, "forty-two"]
            # A change to one session's tools leaves the other's alone.
            assert a.toggle_tool("calculate") is False
            assert b.tools is not None and b.tools.is_enabled("calculate")
        finally:
            for session in sessions:
                await session.aclose()
        assert [r["model"] for r in first.requests] == ["model-one"]
        assert [r["model"] for r in second.requests] == ["model-two", "model-two"]
    with HistoryStore(db) as store:
        saved = {
            summary.id: [m["role"] for m in store.load_messages(summary.id)]
            for summary in store.list_conversations()
        }
    assert a.conversation_id != b.conversation_id
    assert saved == {
        a.conversation_id: ["user", "assistant"],
        b.conversation_id: ["user", "assistant", "tool", "assistant"],
    }
