"""The prompt's border shows the conversation against the model's window; over it, the first
Enter warns and the second sends."""

from __future__ import annotations

from tests.ui.conftest import loopback_app
from tests.ui.pilot_helpers import Notices, finish_turn, wait_until
from tuichat.demo.server import ChatServer
from tuichat.ui.screens.chat import ChatScreen


def chat_of(app: object) -> ChatScreen:
    chat = getattr(app, "chat", None)
    assert isinstance(chat, ChatScreen)
    return chat


async def test_the_border_counts_the_draft_against_the_servers_window(
    server: ChatServer,
) -> None:
    server.context_length = 128_000
    app = loopback_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = chat_of(app)
        await wait_until(pilot, lambda: "/ 128k tokens" in str(chat.prompt.border_subtitle))
        await pilot.press(*("x" * 40))
        await wait_until(pilot, lambda: chat.prompt.border_subtitle == "~10 / 128k tokens (0%)")
        await pilot.press("enter")
        await finish_turn(pilot)
        usage = chat.session.messages[-1]["usage"]
        counted = usage["prompt_tokens"] + usage["completion_tokens"]
        await wait_until(
            pilot, lambda: chat.prompt.border_subtitle == f"{counted} / 128k tokens (0%)"
        )


async def test_over_the_window_the_first_enter_warns_and_the_second_sends(
    server: ChatServer,
) -> None:
    server.context_length = 20
    notices = Notices()
    app = loopback_app(server)
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        chat = chat_of(app)
        await wait_until(pilot, lambda: "/ 20 tokens" in str(chat.prompt.border_subtitle))
        await pilot.press(*("word " * 20))
        await wait_until(pilot, lambda: chat.prompt.has_class("-over-window"))
        await pilot.press("enter")
        await pilot.pause()
        assert any(
            "more than the 20 of tuichat-demo's context window" in m for m in notices.messages
        )
        assert server.requests == []
        assert chat.prompt.text  # nothing lost
        await pilot.press("enter")
        await finish_turn(pilot)
        assert len(server.requests) == 1
