"""Switching provider profiles in the app, and what a conversation cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import parse_settings
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.chat_message import AssistantMessage

from .pilot_helpers import finish_turn, send, shown_text


async def test_switching_profiles_sends_to_the_other_server_and_prices_the_conversation(
    tmp_path: Path,
) -> None:
    with ChatServer() as first, ChatServer() as second:
        config = tmp_path / "config.toml"
        config.write_text(
            f'profile = "one"\n'
            f'[profiles.one]\nbase_url = "{first.base_url}"\nmodel = "model-one"\nmax_retries = 0\n'
            f'[profiles.two]\nbase_url = "{second.base_url}"\nmodel = "model-two"\nmax_retries = '
            "0\n"
            '[prices."model-two"]\ninput = 1000.0\noutput = 2000.0\n'
        )
        settings = parse_settings(config.read_text(), config)
        app = TuichatApp(build_session(settings, SessionOptions(history=False), {}))
        async with app.run_test(size=(100, 30)) as pilot:
            assert app.screen.sub_title == "one · model-one"
            await send(pilot, "hello")
            await finish_turn(pilot)
            assert len(first.requests) == 1 and not second.requests
            command = next(
                c for c in app.get_system_commands(app.screen) if c.title == "Profile: two"
            )
            command.callback()
            await pilot.pause()
            assert app.screen.sub_title == "two · model-two"
            second.enqueue(Scripted(text="from two"))
            await send(pilot, "hello again")
            screen = await finish_turn(pilot)
            assert len(second.requests) == 1 and len(first.requests) == 1
            assert second.requests[0]["model"] == "model-two"
            # The history went along: the second server saw the first exchange.
            assert [m["role"] for m in second.requests[0]["messages"]] == [
                "user",
                "assistant",
                "user",
            ]
            status = shown_text(screen.query(AssistantMessage).last().status)
            assert "conversation" in status and "$" in status
            # Each answer is priced at the model that wrote it: model-one has no price.
            usage = app.session.messages[-1]["usage"]
            expected = settings.prices["model-two"].cost(
                usage["prompt_tokens"], usage["completion_tokens"]
            )
            assert app.session.usage().cost == pytest.approx(expected)
        assert 'profile = "two"' in config.read_text()


async def test_a_tool_switched_off_in_the_palette_is_not_offered_and_is_saved(
    server: ChatServer, tmp_path: Path
) -> None:
    import tomllib

    config = tmp_path / "config.toml"
    config.write_text("max_tool_rounds = 5\n")
    settings = parse_settings(config.read_text(), config)
    options = SessionOptions(base_url=server.base_url, model="m", history=False)
    app = TuichatApp(build_session(settings, options, {}))
    async with app.run_test(size=(100, 30)) as pilot:
        command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Tool: calculate (on)"
        )
        command.callback()
        await pilot.pause(0.3)
        await send(pilot, "hello")
        await finish_turn(pilot)
        offered = [tool["function"]["name"] for tool in server.requests[-1]["tools"]]
        assert "calculate" not in offered and "get_current_time" in offered
    saved = tomllib.loads(config.read_text())
    assert saved["tools"]["disabled"] == ["calculate"] and saved["max_tool_rounds"] == 5


async def test_the_demo_is_a_profile_the_palette_goes_back_to(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'profile = "local"\n[profiles.local]\nbase_url = "{server.base_url}"\nmodel = "m"\n'
        "max_retries = 0\n"
    )
    settings = parse_settings(config.read_text(), config)
    app = TuichatApp(build_session(settings, SessionOptions(history=False), {}))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.screen.sub_title == "local · m"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Profile: demo" in titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Profile: demo")
        command.callback()
        await pilot.pause()
        assert app.session.demo and "demo model tuichat-demo" in str(app.screen.sub_title)
        await send(pilot, "hello")
        screen = await finish_turn(pilot)
        assert "Hello" in screen.query(AssistantMessage).last().body.text
        assert not server.requests  # the offline model answered, not the local server
    assert 'profile = "demo"' in config.read_text()
    # Next time, the file's profile is the demo.
    again = build_session(parse_settings(config.read_text(), config), SessionOptions(), {})
    try:
        assert again.demo and again.endpoint.profile == "demo"
    finally:
        await again.aclose()
