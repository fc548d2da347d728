"""The tool approval modal and the tools screen, driven with Pilot in a bare app."""

from __future__ import annotations

import json
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Static

from tuichat.tools.mcp_client import ServerStatus
from tuichat.tools.registry import Tool, ToolRegistry
from tuichat.ui.screens.tool_approval import (
    INVALID_JSON_NOTE,
    ApprovalResult,
    ApprovalScreen,
    PendingCall,
)
from tuichat.ui.screens.tools import NO_TOOLS, OFF_MARK, ON_MARK, SOURCE_WIDTH, ToolsScreen

from .pilot_helpers import shown_text

SIZE = (100, 30)


class Host(App[None]):
    """Pushes one screen at start and collects what it dismisses with."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.pushed = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.pushed, self.results.append)


def call(name: str = "read_file", arguments: Any = None, **fields: str) -> PendingCall:
    """A pending call; `arguments` is encoded as JSON unless it is already text."""
    if arguments is None:
        arguments = {"path": "/etc/hosts"}
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return PendingCall(
        call_id=fields.get("call_id", f"call-{name}"),
        name=name,
        source=fields.get("source", "builtin"),
        arguments_text=text,
    )


def screen_text(screen: Screen[Any]) -> str:
    """Everything the screen's text widgets show, one widget after the other."""
    widgets = [*screen.query(Static), *screen.query(Checkbox)]
    return "\n".join(shown_text(widget) for widget in widgets)


# The approval modal.


async def test_a_single_call_shows_its_tool_source_and_indented_arguments() -> None:
    arguments = {"path": "/tmp/notes.txt", "options": {"limit": 10, "tags": ["a", "b"]}}
    app = Host(ApprovalScreen([call("read_file", arguments, source="mcp:files")]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        text = screen_text(screen)
        assert "Allow tool call?" in text
        assert "read_file" in text and "mcp:files" in text
        shown_args = shown_text(screen.query_one(".approval-args"))
        assert shown_args == json.dumps(arguments, indent=2)  # nested and indented, line by line
        assert '    "limit": 10,' in shown_args.splitlines()
        assert INVALID_JSON_NOTE not in text
        assert not screen.query(Checkbox)  # nothing to leave out of a single call


async def test_keys_decide_on_a_single_call() -> None:
    expected = {
        "y": ApprovalResult(approved=(True,), always=frozenset()),
        "n": ApprovalResult(approved=(False,), always=frozenset()),
        "escape": ApprovalResult(approved=(False,), always=frozenset()),
        "a": ApprovalResult(approved=(True,), always=frozenset({"read_file"})),
    }
    for key, result in expected.items():
        app = Host(ApprovalScreen([call("read_file")]))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert app.results == [result], key
            assert not isinstance(app.screen, ApprovalScreen), key


async def test_enter_does_nothing_until_the_approve_button_has_focus() -> None:
    app = Host(ApprovalScreen([call("read_file")]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # meant for the prompt: must not run the tool
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, ApprovalScreen)
        app.screen.query_one("#approve", Button).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [ApprovalResult(approved=(True,))]


async def test_with_several_calls_enter_checks_a_call_and_runs_nothing() -> None:
    app = Host(ApprovalScreen([call("t1"), call("t2")]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert [box.value for box in app.screen.query(Checkbox)] == [False, True]


async def test_the_buttons_decide_too() -> None:
    for button, approved in (("#approve", (True,)), ("#deny", (False,)), ("#always", (True,))):
        app = Host(ApprovalScreen([call("t1")]))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.click(button)
            await pilot.pause()
            assert [r.approved for r in app.results] == [approved], button
            assert app.results[0].always == (frozenset({"t1"}) if button == "#always" else set())


async def test_arguments_that_are_not_json_are_shown_as_sent_with_a_note() -> None:
    app = Host(ApprovalScreen([call("read_file", '{"path": "/etc/hosts"')]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert INVALID_JSON_NOTE in screen_text(screen)
        assert shown_text(screen.query_one(".approval-args")) == '{"path": "/etc/hosts"'


async def test_model_text_is_literal_and_escape_sequences_are_stripped() -> None:
    invalid = "[bold]x[/bold] \x1b[31mred\x1b[0m \x9b2Jtail"
    calls = [
        call("t1", invalid, source="plugin:[i]pkg[/i]"),
        call("t2", {"text": "[bold]y[/bold]", "more": "\x85c1"}),
    ]
    app = Host(ApprovalScreen(calls))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        first, second = (shown_text(args) for args in screen.query(".approval-args"))
        assert first == "[bold]x[/bold] red tail"  # markup shown, escapes gone
        assert '"text": "[bold]y[/bold]"' in second
        assert "\x85" not in second and '"more": "c1"' in second
        assert "plugin:[i]pkg[/i]" in shown_text(screen.query_one("#approve-call-0", Checkbox))
        assert "\x1b" not in screen_text(screen) and "[31m" not in screen_text(screen)


async def test_parallel_calls_are_decided_together_and_unchecked_ones_are_denied() -> None:
    calls = [call("t1"), call("t2"), call("t3")]
    app = Host(ApprovalScreen(calls))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "Allow 3 tool calls?" in screen_text(screen)
        boxes = list(screen.query(Checkbox))
        assert [box.value for box in boxes] == [True, True, True]
        boxes[1].focus()
        await pilot.press("space")
        await pilot.press("y")
        await pilot.pause()
        assert app.results == [ApprovalResult(approved=(True, False, True))]


async def test_always_allows_only_the_checked_calls_tools() -> None:
    calls = [call("t1"), call("t2"), call("t3"), call("t1", {"path": "/tmp"})]
    app = Host(ApprovalScreen(calls))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#approve-call-1")
        await pilot.press("a")
        await pilot.pause()
        assert app.results == [
            ApprovalResult(approved=(True, False, True, True), always=frozenset({"t1", "t3"}))
        ]


async def test_deny_denies_every_call_even_checked_ones() -> None:
    app = Host(ApprovalScreen([call("t1"), call("t2")]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert app.results == [ApprovalResult.deny_all(2)]
        assert app.results[0] == ApprovalResult(approved=(False, False), always=frozenset())


async def test_long_arguments_scroll_and_the_buttons_stay_on_a_small_terminal() -> None:
    content = "\n".join(f"line {i}" for i in range(200))
    calls = [call("write_file", {"path": "/tmp/x", "content": content}), call("t2")]
    app = Host(ApprovalScreen(calls))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        calls_view = screen.query_one("#approval-calls")
        assert calls_view.max_scroll_y > 0
        for selector in ("#approve", "#always", "#deny", "#approval-hint"):
            region = screen.query_one(selector).region
            assert region.height and region.bottom <= 24, selector


# The tools screen.


def get_time(zone: str = "UTC") -> str:
    """Get the time in a [bold]zone[/bold].

    Args:
        zone: An IANA zone.
    """
    return zone


def shout(text: str) -> str:
    """Shout the text back.

    A second paragraph that is not shown.
    """
    return text.upper()


def registry() -> ToolRegistry:
    return ToolRegistry(
        [Tool.from_function(get_time), Tool.from_function(shout, source="file:x.py")]
    )


def open_tools(reg: ToolRegistry, **kwargs: Any) -> tuple[Host, list[str]]:
    toggled: list[str] = []

    def toggle(name: str) -> None:
        toggled.append(name)
        reg.set_enabled(name, not reg.is_enabled(name))

    policies = {"get_time": "run", "shout": "ask"}
    screen = ToolsScreen(
        reg, policy=lambda name: policies.get(name, "run"), toggle=toggle, **kwargs
    )
    return Host(screen), toggled


def row_text(table: DataTable[Any], key: str) -> list[str]:
    return [str(cell) for cell in table.get_row(key)]


async def test_the_tools_screen_lists_every_tool_with_its_source_and_policy() -> None:
    app, _ = open_tools(registry())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert [str(column.label) for column in table.columns.values()] == [
            "On", "Tool", "Source", "Policy", "Description",
        ]  # fmt: skip
        assert row_text(table, "get_time") == [
            ON_MARK, "get_time", "builtin", "run", "Get the time in a [bold]zone[/bold].",
        ]  # fmt: skip
        assert row_text(table, "shout") == [
            ON_MARK,
            "shout",
            "file:x.py",
            "ask",
            "Shout the text back.",
        ]
        shown = shown_text(table)
        assert "[bold]zone[/bold]" in shown  # literal, not bold
        assert "file:x.py" in shown and "ask" in shown


async def test_enter_and_space_switch_a_tool_through_the_app() -> None:
    reg = registry()
    app, toggled = open_tools(reg)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert toggled == ["shout"]
        assert not reg.is_enabled("shout")
        assert row_text(table, "shout")[0] == OFF_MARK
        assert row_text(table, "get_time")[0] == ON_MARK
        assert OFF_MARK in shown_text(table)
        assert "Tools (2, 1 on)" in shown_text(app.screen.query_one("#tools-title"))

        await pilot.press("space")
        await pilot.pause()
        assert toggled == ["shout", "shout"]
        assert row_text(table, "shout")[0] == ON_MARK

        await pilot.press("up", "space")
        await pilot.pause()
        assert toggled == ["shout", "shout", "get_time"]
        assert row_text(table, "get_time")[0] == OFF_MARK


async def test_a_row_shows_what_the_registry_says_not_what_was_asked() -> None:
    reg = registry()
    screen = ToolsScreen(reg, policy=lambda name: "never", toggle=lambda name: None)
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the app refused to switch it (e.g. saving failed)
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert row_text(table, "get_time")[0] == ON_MARK
        assert row_text(table, "get_time")[3] == "never"


async def test_server_lines_show_each_servers_state_and_why_it_failed() -> None:
    servers = {
        "files": ServerStatus("ready", None, ("files__a", "files__b", "files__c")),
        "broken": ServerStatus("failed", "exited with status 1 [red]x[/red]\x1b[2J"),
        "slow": ServerStatus("starting"),
    }
    app, _ = open_tools(registry(), servers=servers)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = shown_text(app.screen.query_one("#tools-servers")).splitlines()
        assert lines == [
            "files · ready · 3 tools",
            "broken · failed: exited with status 1 [red]x[/red]",
            "slow · starting",
        ]


async def test_no_server_lines_without_servers_and_escape_closes() -> None:
    app, toggled = open_tools(registry(), servers={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query("#tools-servers")
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        assert not isinstance(app.screen, ToolsScreen)
        assert toggled == []


async def test_an_empty_registry_says_there_are_no_tools() -> None:
    app, toggled = open_tools(ToolRegistry())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query(DataTable)
        assert NO_TOOLS in screen_text(app.screen)
        await pilot.press("space", "enter")
        await pilot.pause()
        assert toggled == []


async def test_the_policy_column_fits_in_80_columns() -> None:
    reg = registry()
    source = "file:/home/someone/projects/tuichat-extras/tools/t.py"
    reg.register(Tool.from_function(shout, name="long", source=source))
    app, _ = open_tools(reg)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        header = shown_text(table).splitlines()[0]
        assert "Policy" in header
        shown_source = row_text(table, "long")[2]
        assert shown_source.startswith("file:…") and shown_source.endswith("/tools/t.py")
        assert len(shown_source) <= SOURCE_WIDTH
