"""How the chat screen looks. Each docstring says what you should see."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tuichat.demo.replies import HTTPError, Scripted, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.ui.screens.chat import ChatScreen

from .conftest import AppFactory

SIZE = (100, 40)


async def steady(pilot: Pilot[None]) -> None:
    """No blinking cursor: a snapshot taken mid-blink would differ from run to run."""
    from tuichat.ui.widgets.prompt import PromptInput

    pilot.app.screen.query_one(PromptInput).cursor_blink = False
    await pilot.pause()
    # The prompt's border says the model's window once `/models` has answered: wait for it.
    chat = pilot.app.screen
    assert isinstance(chat, ChatScreen) and chat.context_meter is not None
    meter = chat.context_meter
    while not meter.windows:
        await pilot.pause(0.01)
    meter.show()
    await pilot.pause()


async def converse(pilot: Pilot[None], *prompts: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await steady(pilot)
    screen.session.conversation.clock = lambda: 0.0  # times would differ from run to run
    for prompt in prompts:
        await pilot.press(*prompt, "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_welcome_screen(make_app: AppFactory, snap_compare: Any) -> None:
    """You should see the header naming the demo model, the welcome notice, an empty prompt
    with its placeholder, and the footer with F2 Inspector."""
    app = make_app(welcome="Welcome to the demo model.\nTry: hello")
    assert snap_compare(app, terminal_size=SIZE, run_before=steady)


def test_markdown_answer(make_app: AppFactory, snap_compare: Any) -> None:
    """You should see the prompt, then an answer with headings in the theme's colours (not
    magenta), bullet lists, a table with one blank line above and below it, a quote in
    italics, a highlighted Python code block, and a status line `stop · 0.0 s · ...`."""
    app = make_app()
    assert snap_compare(
        app, terminal_size=(100, 80), run_before=lambda p: converse(p, "show me some markdown")
    )


def test_tool_calls(make_app: AppFactory, server: ChatServer, snap_compare: Any) -> None:
    """You should see one answer with two `calculate` calls, each done with its
    pretty-printed arguments and an expanded result, then the answer `6 × 7 = 42 ...`."""
    server.enqueue(
        Scripted(
            tool_calls=[
                ToolCall("calculate", {"expression": "6*7"}, id="call_a"),
                ToolCall("calculate", {"expression": "2**10"}, id="call_b"),
            ]
        ),
        Scripted(text="6 × 7 = **42** and 2¹⁰ = **1024**."),
    )
    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda p: converse(p, "compute"))


def test_error_message(make_app: AppFactory, server: ChatServer, snap_compare: Any) -> None:
    """You should see the prompt, an empty answer marked failed, and a red error message
    saying HTTP 401, that the key was rejected and to check $OPENAI_API_KEY."""
    server.enqueue(HTTPError.invalid_api_key())
    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda p: converse(p, "hello"))


def themed_app(make_app: AppFactory, theme: str) -> Any:
    from tuichat.config.theme_files import load_all_theme_specs

    specs, problems = load_all_theme_specs()
    assert not problems
    return make_app(theme_specs=specs, theme=theme)


def test_chat_in_the_light_theme(make_app: AppFactory, snap_compare: Any) -> None:
    """You should see the markdown answer on a light background (tuichat-light): dark text,
    the table and a code block with a light code theme."""
    app = themed_app(make_app, "tuichat-light")
    assert snap_compare(
        app, terminal_size=(100, 60), run_before=lambda p: converse(p, "show me some markdown")
    )


def test_chat_in_the_dark_theme(make_app: AppFactory, snap_compare: Any) -> None:
    """You should see the same answer on tuichat-dark, with tuichat's own message colours."""
    app = themed_app(make_app, "tuichat-dark")
    assert snap_compare(
        app, terminal_size=(100, 60), run_before=lambda p: converse(p, "show me some markdown")
    )


def test_tool_approval_modal(make_app: AppFactory, server: ChatServer, snap_compare: Any) -> None:
    """You should see, over the chat, a modal titled `Allow 2 tool calls?` with two ticked
    calls of `calculate` from `builtin`, each with its indented JSON arguments, the key hints
    and the buttons Approve (y), Always (a), Deny (n). Behind it both calls wait for approval."""
    server.enqueue(
        Scripted(
            tool_calls=[
                ToolCall("calculate", {"expression": "6*7"}, id="call_a"),
                ToolCall("calculate", {"expression": "2**10"}, id="call_b"),
            ]
        ),
        Scripted(text="Done."),
    )
    app = make_app()
    app.session.conversation.policy = lambda name: "ask"

    async def ask(pilot: Pilot[None]) -> None:
        from tuichat.ui.screens.tool_approval import ApprovalScreen

        await steady(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ChatScreen)
        screen.session.conversation.clock = lambda: 0.0  # times would differ from run to run
        await pilot.press(*"compute", "enter")
        while not isinstance(pilot.app.screen, ApprovalScreen):
            await pilot.pause(0.01)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)


def test_tools_screen(make_app: AppFactory, snap_compare: Any) -> None:
    """You should see, over the chat, a panel titled `Tools (3, 2 on)`: a table with the
    three built-in tools, `calculate` switched off (–), each with source `builtin`, policy
    `run` and the first line of its description, and the keys to switch and close."""
    app = make_app()
    tools = app.session.tools
    assert tools is not None
    tools.set_enabled("calculate", False)

    async def open_tools(pilot: Pilot[None]) -> None:
        await steady(pilot)
        await pilot.press("f5")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_tools)
