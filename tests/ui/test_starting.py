"""The first frame comes before the session and the chat screen: `tuichat` shows the starting
screen (the chat's layout, keys and prompt), then builds the session and swaps the chat screen
in, keeping what was typed meanwhile."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.ui.terminal import tuichat_in_a_terminal
from tuichat.config.settings import Settings
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.session.options import SessionOptions
from tuichat.session.plan import plan_session
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.starting import StartingScreen
from tuichat.ui.widgets.prompt import PromptInput


async def test_an_app_given_a_plan_starts_on_the_starting_screen_then_shows_the_chat(
    isolated_dirs: Path,
) -> None:
    plan = plan_session(Settings(), SessionOptions(demo=True, history=False), {})
    app = TuichatApp(plan)
    screens: list[str] = []

    def seen(_message: object) -> None:
        if app.screen_stack:
            screens.append(type(app.screen).__name__)

    async with app.run_test(message_hook=seen) as pilot:
        await asyncio.wait_for(app.started.wait(), 30)
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        # The starting screen came first: nothing of the session before the first frame.
        assert screens.index(StartingScreen.__name__) < screens.index(ChatScreen.__name__)
        assert app.session.demo and app.screen.sub_title.startswith("demo model tuichat-demo")
        assert app.screen.query_one(PromptInput).has_focus


@pytest.mark.slow
def test_a_prompt_sent_as_soon_as_the_first_frame_shows_is_answered(
    server: ChatServer, isolated_dirs: Path, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="first-prompt-answered"))
    with tuichat_in_a_terminal(server, isolated_dirs, tmp_path / "history.sqlite3") as terminal:
        terminal.wait_for(b"Message")  # the first frame: the starting screen's prompt
        terminal.type("hello\r")
        terminal.wait_for(b"first-prompt-answered")
    [request] = server.requests
    assert request["messages"][-1] == {"role": "user", "content": "hello"}


@pytest.mark.slow
def test_a_prompt_typed_ahead_before_the_first_frame_is_kept(
    server: ChatServer, isolated_dirs: Path, tmp_path: Path
) -> None:
    # Typed at once, before the app has the terminal: the terminal keeps the keys, and the
    # app takes them before its first screen has focused its prompt. (An Enter typed then is
    # a line feed, the terminal's, which the prompt takes as a new line: Enter comes after.)
    server.enqueue(Scripted(text="typed-ahead-answered"))
    with tuichat_in_a_terminal(server, isolated_dirs, tmp_path / "history.sqlite3") as terminal:
        terminal.type("hello there")
        terminal.wait_for(b"tokens")  # the chat screen's prompt says the context's size
        terminal.type("\r")
        terminal.wait_for(b"typed-ahead-answered")
    [request] = server.requests
    assert request["messages"][-1] == {"role": "user", "content": "hello there"}
