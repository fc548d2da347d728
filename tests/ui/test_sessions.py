"""Two chat screens in one app, each over a session of its own."""

from __future__ import annotations

from tuichat.config.settings import Settings
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.widgets.chat_message import AssistantMessage

from .conftest import AppFactory, loopback_options
from .pilot_helpers import finish_turn, send


async def test_a_second_session_answers_in_its_own_screen(
    make_app: AppFactory, server: ChatServer
) -> None:
    app = make_app()
    with ChatServer() as other_server:
        other = build_session(Settings(), loopback_options(other_server, model="other"), {})
        try:
            async with app.run_test(size=(100, 30)) as pilot:
                first = app.screen
                assert isinstance(first, ChatScreen)
                server.enqueue(Scripted(text="From the first."))
                await send(pilot, "one")
                await finish_turn(pilot)
                second = ChatScreen(other)
                await app.push_screen(second)
                await pilot.pause()
                assert second.sub_title == f"{other.provider.name} · other"
                other_server.enqueue(Scripted(text="From the second."))
                await send(pilot, "two")
                await finish_turn(pilot)
                assert [a.body.text for a in second.query(AssistantMessage)] == ["From the second."]
                # The first session saw none of it, and goes on where it was.
                assert [m["content"] for m in app.session.messages] == ["one", "From the first."]
                assert [m["content"] for m in other.messages] == ["two", "From the second."]
                assert len(server.requests) == 1 and len(other_server.requests) == 1
                app.pop_screen()
                await pilot.pause()
                server.enqueue(Scripted(text="Still the first."))
                await send(pilot, "three")
                await finish_turn(pilot)
                assert [a.body.text for a in first.query(AssistantMessage)] == [
                    "From the first.",
                    "Still the first.",
                ]
                assert len(server.requests[-1]["messages"]) == 3
        finally:
            await other.aclose()
