"""User tools from tool files and entry-point plugins, and capture of their output.

The plugin test installs the test plugin (tests/tools/plugin_pkg) for itself: see the
`installed_test_plugin` fixture.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import sys
from pathlib import Path

import pytest

from tuichat.config.settings import DEFAULT_TOOL_TIMEOUT
from tuichat.tools.executor import run_tool_call
from tuichat.tools.registry import ToolRegistry, default_registry
from tuichat.tools.sources import (
    capture_output,
    captured_output,
    load_plugin_tools,
    load_tool_files,
    register_user_tools,
)

from .concurrent_calls import run_concurrently

GOOD = '''
from __future__ import annotations

import json  # imported names are not tools
from os.path import join


def greet(name: str, excited: bool = False) -> str:
    """Greet someone.

    Args:
        name: Who to greet.
        excited: Add an exclamation mark.
    """
    print("greeting", name)
    return f"Hello, {name}{'!' if excited else ''}"


async def slow_echo(text: str) -> str:
    """Echo the text.

    Args:
        text: The text.
    """
    print("echoing", text)
    return text


def _helper() -> None:
    """Private: not a tool."""
'''

LISTED = '''
def one() -> int:
    """One."""
    return 1


def two() -> int:
    """Two."""
    return 2


TOOLS = [two]
'''

BROKEN = "def oops(:\n    pass\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"good": tmp_path / "good.py", "broken": tmp_path / "broken.py"}
    paths["good"].write_text(GOOD)
    paths["broken"].write_text(BROKEN)
    (tmp_path / "listed.py").write_text(LISTED)
    paths["listed"] = tmp_path / "listed.py"
    return paths


def test_syntax_error_is_a_problem_and_the_rest_load(files: dict[str, Path]) -> None:
    result = load_tool_files([files["broken"], files["good"]])
    assert [tool.name for tool in result.tools] == ["greet", "slow_echo"]
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert str(files["broken"]) in problem and "SyntaxError" in problem and "line 1" in problem


def test_import_error_and_missing_file_are_problems(tmp_path: Path) -> None:
    failing = tmp_path / "failing.py"
    failing.write_text("import no_such_module_xyz\n")
    result = load_tool_files([failing, tmp_path / "missing.py"])
    assert result.tools == []
    assert "ModuleNotFoundError" in result.problems[0] and "failing.py" in result.problems[0]
    assert "no such file" in result.problems[1]
    assert not any(
        name.startswith("tuichat_user_tools") and "failing" in name for name in sys.modules
    )


def test_file_tools_source_and_schema(files: dict[str, Path]) -> None:
    (greet, _) = load_tool_files([files["good"]]).tools
    assert greet.source == f"file:{files['good']}"
    assert greet.parameters["required"] == ["name"]
    assert greet.parameters["properties"]["excited"]["description"] == "Add an exclamation mark."


def test_tools_list_wins_and_relative_paths(files: dict[str, Path]) -> None:
    result = load_tool_files(["listed.py"], base=files["listed"].parent)
    assert [tool.name for tool in result.tools] == ["two"]


def test_bad_function_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "positional.py"
    path.write_text(
        'def fine() -> int:\n    """Fine."""\n    return 1\n\n\ndef bad(x, /):\n    """Bad."""\n'
    )
    result = load_tool_files([path])
    assert [tool.name for tool in result.tools] == ["fine"]
    assert "'bad'" in result.problems[0] and "keyword" in result.problems[0]


async def test_file_tools_run_and_their_output_is_captured(
    files: dict[str, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, str]] = []
    registry = ToolRegistry()
    problems = register_user_tools(
        registry, [files["good"]], plugins=False, sink=lambda n, t: seen.append((n, t))
    )
    assert problems == []
    outcomes = await run_concurrently(
        registry,
        [("greet", '{"name": "Ada", "excited": true}'), ("slow_echo", '{"text": "hi"}')],
        timeout=DEFAULT_TOOL_TIMEOUT,
    )
    assert [o.content for o in outcomes] == ["Hello, Ada!", "hi"]
    assert sorted(seen) == [("greet", "greeting Ada\n"), ("slow_echo", "echoing hi\n")]
    out, err = capfd.readouterr()
    assert "greeting" not in out + err and "echoing" not in out + err
    # Argument checking still sees the real signature through the wrapper.
    bad = await run_tool_call(registry, "greet", '{"nme": "x"}', timeout=DEFAULT_TOOL_TIMEOUT)
    assert bad.is_error and "unexpected argument 'nme'" in bad.content


async def test_concurrent_captures_stay_separate(capfd: pytest.CaptureFixture[str]) -> None:
    seen: dict[str, str] = {}

    def chatter(word: str) -> str:
        """Print a word many times.

        Args:
            word: The word.
        """
        for _ in range(200):
            print(word)
        return word

    registry = ToolRegistry()
    for index in range(4):
        registry.register(
            capture_output(chatter, f"c{index}", sink=lambda n, t: seen.__setitem__(n, t)),
            name=f"c{index}",
            source="file:x",
        )
    await run_concurrently(
        registry, [(f"c{i}", f'{{"word": "w{i}"}}') for i in range(4)], timeout=DEFAULT_TOOL_TIMEOUT
    )
    for index in range(4):
        assert set(seen[f"c{index}"].split()) == {f"w{index}"}
    print("after")  # outside a call, output goes where it always did
    assert capfd.readouterr().out == "after\n"


def test_captured_output_context() -> None:
    with captured_output() as buffer:
        print("inside")
        print("err", file=sys.stderr)
    assert buffer.getvalue() == "inside\nerr\n"


def test_clashing_name_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "clash.py"
    path.write_text('def calculate(expression: str) -> str:\n    """Mine."""\n    return "0"\n')
    registry = default_registry()
    problems = register_user_tools(registry, [path], plugins=False)
    assert len(problems) == 1 and "already registered" in problems[0]
    tool = registry.get("calculate")
    assert tool is not None and tool.source == "builtin"


@pytest.mark.usefixtures("installed_test_plugin")
async def test_entry_point_plugin_tools(capfd: pytest.CaptureFixture[str]) -> None:
    result = load_plugin_tools()
    by_name = {tool.name: tool for tool in result.tools}
    assert result.problems == []
    assert by_name["shout"].source == "plugin:shout"
    assert by_name["plugin_reverse"].source == "plugin:pair"
    assert by_name["plugin_length"].source == "plugin:pair"
    registry = ToolRegistry(result.tools)
    shout = await run_tool_call(registry, "shout", '{"text": "hey"}', timeout=DEFAULT_TOOL_TIMEOUT)
    length = await run_tool_call(
        registry, "plugin_length", '{"text": "hey"}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert (shout.content, length.content) == ("HEY", "3")
    assert "shouting" not in "".join(capfd.readouterr())


def test_broken_entry_point_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = importlib.metadata.EntryPoint(
        name="broken", value="no_such_module_xyz:tool", group="tuichat.tools"
    )
    not_callable = importlib.metadata.EntryPoint(
        name="number", value="math:pi", group="tuichat.tools"
    )
    good = importlib.metadata.EntryPoint(
        name="sqrt", value="tuichat.tools.builtin:calculate", group="tuichat.tools"
    )
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda group: [broken, not_callable, good]
    )
    result = load_plugin_tools()
    assert [tool.name for tool in result.tools] == ["calculate"]
    assert len(result.problems) == 2
    assert "plugin 'broken'" in result.problems[0] and "ModuleNotFoundError" in result.problems[0]
    assert "plugin 'number'" in result.problems[1]


def test_event_loop_untouched() -> None:
    # capture_output keeps async functions async, so the executor awaits them on the loop.
    async def coro() -> int:
        """C."""
        return 1

    wrapped = capture_output(coro, "coro")
    assert inspect.iscoroutinefunction(wrapped)


async def test_what_a_call_prints_comes_back_with_its_outcome() -> None:
    def noisy(text: str) -> str:
        """Print, then answer."""
        print(f"working on {text}")
        print("warning: almost done", file=sys.stderr)
        return text.upper()

    async def quiet() -> str:
        """Answer without printing."""
        return "ok"

    seen: list[tuple[str, str]] = []
    registry = ToolRegistry(
        [
            capture_output(noisy, "noisy", lambda n, t: seen.append((n, t))),
            capture_output(quiet, "quiet"),
        ]
    )
    loud, silent = await asyncio.gather(
        run_tool_call(registry, "noisy", '{"text": "a"}', timeout=DEFAULT_TOOL_TIMEOUT),
        run_tool_call(registry, "quiet", "{}", timeout=DEFAULT_TOOL_TIMEOUT),
    )
    assert loud.content == "A"
    assert loud.output == "working on a\nwarning: almost done\n"
    assert silent.output == ""
    assert seen == [("noisy", loud.output)]  # the sink still gets it too
