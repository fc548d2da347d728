"""Tools end to end: config → registry → the model's call → approval in the modal → the result
back to the model → its answer. The model is the loopback demo server, the MCP server a real
stdio process (tests/tools/mcp_servers/calc_server.py), the config a real TOML file.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable

from tuichat.config.load import parse_settings
from tuichat.config.settings import Settings
from tuichat.demo.replies import Scripted, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.tool_approval import ApprovalScreen
from tuichat.ui.screens.tools import ToolsScreen
from tuichat.ui.widgets.chat_message import AssistantMessage, ToolCallView

from .conftest import loopback_options
from .pilot_helpers import Notices, finish_turn, press_while_streaming, send, wait_until

CALC_SERVER = Path(__file__).parents[1] / "tools" / "mcp_servers" / "calc_server.py"


def write_config(path: Path, extra: str = "", *, flags: str = "") -> Settings:
    """A config file with the calc MCP server, and the settings read from it."""
    args = json.dumps([str(CALC_SERVER), *flags.split()])
    text = (
        f"tool_timeout = 2\n{extra}\n"
        f"[mcp.servers.calc]\ncommand = {json.dumps(sys.executable)}\nargs = {args}\n"
    )
    path.write_text(text)
    return parse_settings(text, path)


def tools_app(server: ChatServer, settings: Settings, config: Path) -> TuichatApp:
    """The app as `tuichat` builds it from these settings, against the loopback model."""
    assert settings.path == config  # changes made in the app are saved there
    return TuichatApp(build_session(settings, loopback_options(server), {}), subtitle="test")


def tool_views(pilot: Pilot[None]) -> list[ToolCallView]:
    chat = next(s for s in pilot.app.screen_stack if isinstance(s, ChatScreen))
    return list(chat.query(ToolCallView))


def tool_messages(server: ChatServer) -> dict[str, str]:
    """The tool results the model received in the last request, by call id."""
    return {
        m["tool_call_id"]: m["content"]
        for m in server.requests[-1]["messages"]
        if m["role"] == "tool"
    }


async def modal(pilot: Pilot[None]) -> ApprovalScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ApprovalScreen))
    await pilot.pause()  # the stream waits for the answer: the app goes idle
    screen = pilot.app.screen
    assert isinstance(screen, ApprovalScreen)
    return screen


async def mcp_ready(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, TuichatApp)
    await wait_until(
        pilot,
        lambda: app.session.mcp_statuses().get("calc") is not None and app.session.mcp_started,
    )


async def test_an_mcp_tool_approved_in_the_modal_reaches_the_model(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    app = tools_app(server, write_config(config), config)
    server.enqueue(Scripted(tool_calls=[ToolCall("calc__add", {"a": 2, "b": 40}, id="c1")]))
    async with app.run_test(size=(100, 40)) as pilot:
        await mcp_ready(pilot)
        assert app.session.mcp_statuses()["calc"].state == "ready"
        await send(pilot, "add 2 and 40")
        approval = await modal(pilot)
        assert approval.title_text == "Allow tool call?"
        [view] = tool_views(pilot)
        assert view.state == "waiting"
        shown = "\n".join(str(w.render()) for w in approval.query("Static"))
        assert "calc__add" in shown and "mcp:calc" in shown and '"b": 40' in shown
        await press_while_streaming(pilot, "y")
        screen = await finish_turn(pilot)
        assert view.state == "done" and view.result == "42"
        assert tool_messages(server) == {"c1": "42"}
        answers = list(screen.query(AssistantMessage))
        assert "42" in answers[-1].body.text  # the demo model answers from the result
        # Asked once; nothing was saved for next time.
        assert "policy" not in tomllib.loads(config.read_text()).get("tools", {})


async def test_a_denied_call_tells_the_model_and_the_turn_goes_on(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    app = tools_app(server, write_config(config), config)
    server.enqueue(Scripted(tool_calls=[ToolCall("calc__add", {"a": 1, "b": 1}, id="c1")]))
    async with app.run_test(size=(100, 40)) as pilot:
        await mcp_ready(pilot)
        await send(pilot, "add")
        await modal(pilot)
        await press_while_streaming(pilot, "n")
        screen = await finish_turn(pilot)
        [view] = tool_views(pilot)
        assert view.state == "denied"
        assert "Denied by the user" in tool_messages(server)["c1"]
        assert screen.query(AssistantMessage).last().body.text  # the model answered after it


async def test_parallel_calls_are_approved_together_and_always_is_saved(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    app = tools_app(server, write_config(config), config)
    calls = [
        ToolCall("calc__add", {"a": 1, "b": 2}, id="c1"),
        ToolCall("calc__fail", {"message": "nope"}, id="c2"),
        ToolCall("get_current_time", {"timezone": "UTC"}, id="c3"),  # built-in: runs unasked
    ]
    server.enqueue(Scripted(tool_calls=calls))
    async with app.run_test(size=(100, 40)) as pilot:
        await mcp_ready(pilot)
        await send(pilot, "go")
        approval = await modal(pilot)
        assert approval.title_text == "Allow 2 tool calls?"
        boxes = list(approval.query(Checkbox))
        assert len(boxes) == 2
        boxes[1].value = False  # the user unticks calc__fail
        await pilot.pause()
        await press_while_streaming(pilot, "a")  # always, for the ticked ones
        await finish_turn(pilot)
        states = {view.call_id: view.state for view in tool_views(pilot)}
        assert states == {"c1": "done", "c2": "denied", "c3": "done"}
        await wait_until(
            pilot, lambda: "policy" in tomllib.loads(config.read_text()).get("tools", {})
        )
        assert tomllib.loads(config.read_text())["tools"]["policy"] == {"calc__add": "run"}
        # Next time calc__add runs without asking; calc__fail still asks.
        server.enqueue(Scripted(tool_calls=[ToolCall("calc__add", {"a": 5, "b": 5}, id="c4")]))
        await send(pilot, "again")
        await finish_turn(pilot)
        assert tool_messages(server)["c4"] == "10"
        assert not isinstance(app.screen, ApprovalScreen)


async def test_a_slow_tool_times_out_and_a_running_one_is_cancelled_with_esc(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    settings = write_config(config, '[tools.policy]\ncalc__slow = "run"\n')
    app = tools_app(server, settings, config)
    server.enqueue(Scripted(tool_calls=[ToolCall("calc__slow", {"seconds": 30}, id="c1")]))
    async with app.run_test(size=(100, 40)) as pilot:
        await mcp_ready(pilot)
        await send(pilot, "slow")
        screen = await finish_turn(pilot)  # tool_timeout = 2 s
        [view] = tool_views(pilot)
        assert view.state == "timed_out"
        assert "timed out after 2 s" in tool_messages(server)["c1"]

        server.enqueue(Scripted(tool_calls=[ToolCall("calc__slow", {"seconds": 30}, id="c2")]))
        await send(pilot, "slow again")
        await wait_until(pilot, lambda: any(v.state == "running" for v in tool_views(pilot)))
        [running] = [v for v in tool_views(pilot) if v.state == "running"]
        # While it runs, its title counts the seconds.
        await wait_until(
            pilot,
            lambda: re.search(r"running  \d+\.\d s", str(running.title_view.render())) is not None,
        )
        await press_while_streaming(pilot, "escape")
        await finish_turn(pilot)
        cancelled = [v for v in tool_views(pilot) if v.call_id == "c2"]
        assert [v.state for v in cancelled] == ["cancelled"]
        assert app.session.messages[-1] == {
            "role": "tool",
            "tool_call_id": "c2",
            "content": "Cancelled by the user.",
            "status": "cancelled",  # kept with the call (not sent to the model)
            "duration": 0.0,
        }
        # The conversation goes on.
        server.enqueue(Scripted(text="Still here."))
        await send(pilot, "hello")
        await finish_turn(pilot)
        assert screen.query(AssistantMessage).last().body.text == "Still here."


async def test_a_crashing_mcp_server_is_reported_and_its_tools_withdrawn(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    settings = write_config(config, '[tools.policy]\ncalc__crash = "run"\n')
    app = tools_app(server, settings, config)
    server.enqueue(Scripted(tool_calls=[ToolCall("calc__crash", {}, id="c1")]))
    notices = Notices()
    async with app.run_test(size=(100, 40), message_hook=notices) as pilot:
        await mcp_ready(pilot)
        await send(pilot, "crash it")
        screen = await finish_turn(pilot)
        [view] = tool_views(pilot)
        assert view.state == "failed"
        assert tool_messages(server)["c1"].startswith("Error:")
        await wait_until(pilot, lambda: app.session.mcp_statuses()["calc"].state == "failed")
        assert "calc__add" not in (app.session.tools or [])
        assert any("stopped" in n and "calc" in n for n in notices.messages)
        # The next request offers no calc tool, and the conversation goes on.
        server.enqueue(Scripted(text="Fine."))
        await send(pilot, "hello")
        await finish_turn(pilot)
        offered = [t["function"]["name"] for t in server.requests[-1].get("tools") or []]
        assert not [name for name in offered if name.startswith("calc__")]
        assert screen.query(AssistantMessage).last().body.text == "Fine."


async def test_a_server_that_fails_to_start_is_shown_and_the_tools_screen_lists_everything(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    app = tools_app(server, write_config(config, flags="--die-at-start"), config)
    notices = Notices()
    async with app.run_test(size=(120, 40), message_hook=notices) as pilot:
        await mcp_ready(pilot)
        status = app.session.mcp_statuses()["calc"]
        assert status.state == "failed"
        assert any("MCP server 'calc' failed" in n for n in notices.messages)
        await pilot.press("f5")
        tools_screen = app.screen
        assert isinstance(tools_screen, ToolsScreen)
        table = tools_screen.query_one(DataTable)
        assert [str(key.value) for key in table.rows] == [
            "get_current_time",
            "calculate",
            "convert_units",
        ]
        shown = "\n".join(str(w.render()) for w in tools_screen.query("Static"))
        assert "calc" in shown and "failed" in shown
        # Switch calculate off: saved, and no longer offered.
        table.move_cursor(row=1)
        await pilot.press("enter")
        assert not app.session.tools.is_enabled("calculate")  # type: ignore[union-attr]
        await wait_until(pilot, lambda: "tools" in tomllib.loads(config.read_text()))
        assert tomllib.loads(config.read_text())["tools"]["disabled"] == ["calculate"]
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)


@pytest.mark.usefixtures("installed_test_plugin")
async def test_plugin_and_file_tools_ask_first_and_a_broken_file_is_reported(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "good_tools.py").write_text(
        'def reverse_words(text: str) -> str:\n    """Reverse the words.\n\n'
        '    Args:\n        text: The words.\n    """\n'
        '    return " ".join(reversed(text.split()))\n'
    )
    (tmp_path / "broken_tools.py").write_text("def oops(:\n    pass\n")
    config = tmp_path / "config.toml"
    text = '[tools]\nfiles = ["good_tools.py", "broken_tools.py"]\n'
    config.write_text(text)
    app = tools_app(server, parse_settings(text, config), config)
    server.enqueue(
        Scripted(
            tool_calls=[
                ToolCall("reverse_words", {"text": "one two"}, id="c1"),
                ToolCall("shout", {"text": "hey"}, id="c2"),
            ]
        )
    )
    notices = Notices()
    async with app.run_test(size=(100, 40), message_hook=notices) as pilot:
        await pilot.pause()
        [notice] = notices.messages
        assert "broken_tools.py" in notice and "SyntaxError" in notice
        await send(pilot, "use them")
        approval = await modal(pilot)
        shown = "\n".join(str(w.render()) for w in approval.query("Static"))
        assert "plugin:shout" in shown and "good_tools.py" in shown
        await press_while_streaming(pilot, "y")
        await finish_turn(pilot)
        assert tool_messages(server) == {"c1": "two one", "c2": "HEY"}
        # What the plugin printed is in its call's view (folded), not on the terminal, and
        # not sent to the model.
        shout = next(view for view in tool_views(pilot) if view.tool_name == "shout")
        assert shout.output_view is not None and "printed (1 line)" in str(shout.output_view.title)
        assert app.session.messages[-2]["output"] == "shouting!\n"
        assert "shouting" not in json.dumps(server.requests[-1]["messages"])
        # F5 lists the file that did not load, and why.
        await pilot.press("f5")
        tools = app.screen
        assert isinstance(tools, ToolsScreen)
        failed = str(tools.query_one("#tools-not-loaded").render())
        assert "broken_tools.py" in failed and "SyntaxError" in failed


async def test_a_streamable_http_mcp_server_approved_with_the_button(
    server: ChatServer, tmp_path: Path, mcp_http_server: str
) -> None:
    config = tmp_path / "config.toml"
    text = (
        f'[mcp.servers.web]\nurl = "{mcp_http_server}"\n'
        'headers = { Authorization = "Bearer test-secret" }\n'
    )
    config.write_text(text)
    app = tools_app(server, parse_settings(text, config), config)
    server.enqueue(Scripted(tool_calls=[ToolCall("web__add", {"a": 20, "b": 22}, id="w1")]))
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.session.mcp_started)
        assert app.session.mcp_statuses()["web"].state == "ready"
        await send(pilot, "add over http")
        await modal(pilot)
        await pilot.click("#approve")
        screen = await finish_turn(pilot)
        [view] = tool_views(pilot)
        assert view.state == "done"
        assert tool_messages(server) == {"w1": "42"}
        assert "42" in screen.query(AssistantMessage).last().body.text


async def test_the_first_turn_waits_for_a_starting_server_then_goes_on_without_it(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    # Long enough that the prompt is sent while it starts, even on a loaded machine.
    settings = write_config(config, "[mcp]\nstart_timeout = 3\n", flags="--hang-at-start")
    app = tools_app(server, settings, config)
    server.enqueue(Scripted(text="Answered."))
    notices = Notices()
    async with app.run_test(size=(100, 40), message_hook=notices) as pilot:
        await send(pilot, "hello")  # before the server has started (it never will)
        screen = await finish_turn(pilot)
        assert any("Waiting for the MCP servers" in n for n in notices.messages)
        status = app.session.mcp_statuses()["calc"]
        assert status.state == "failed" and "3" in (status.reason or "")
        offered = [t["function"]["name"] for t in server.requests[-1].get("tools") or []]
        assert offered and not [name for name in offered if name.startswith("calc__")]
        assert screen.query(AssistantMessage).last().body.text == "Answered."


async def test_quitting_while_a_server_starts_stops_its_process(
    server: ChatServer, tmp_path: Path
) -> None:
    import os
    import time

    pid_file = tmp_path / "pid"
    # Records its pid, then becomes the calc server that never finishes starting.
    wrapper = (
        "import os, sys; open(sys.argv[1], 'w').write(str(os.getpid())); "
        "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
    )
    config = tmp_path / "config.toml"
    args = json.dumps(["-c", wrapper, str(pid_file), str(CALC_SERVER), "--hang-at-start"])
    text = (
        f"[mcp.servers.calc]\ncommand = {json.dumps(sys.executable)}\nargs = {args}\n"
        "start_timeout = 60\n"
    )
    config.write_text(text)
    app = tools_app(server, parse_settings(text, config), config)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: pid_file.exists() and pid_file.read_text() != "")
        pid = int(pid_file.read_text())
        assert app.session.mcp_statuses()["calc"].state == "starting"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the MCP server process outlived the app")
