"""Tools: schema generation, the registry, the built-in tools and the executor's error paths."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest

from tuichat.tools.builtin import BUILTIN_TOOLS
from tuichat.tools.builtin.calc import calculate
from tuichat.tools.builtin.time import get_current_time
from tuichat.tools.builtin.units import convert_units
from tuichat.tools.executor import ToolOutcome, run_tool_call, run_tool_calls
from tuichat.tools.registry import Tool, ToolRegistry, default_registry, parse_docstring

# --- schema generation ------------------------------------------------------------------------


def search_notes(
    query: str,
    limit: int,
    threshold: float,
    exact: bool,
    tags: list[str],
    weights: dict[str, int],
    order: Literal["newest", "oldest"],
    folder: str | None,
    page: int = 1,
) -> list[str]:
    """Search the user's notes.

    Longer explanation that is not part of the summary.

    Args:
        query: Words to look for.
        limit (int): At most this many notes,
            counted after filtering.
        threshold: Minimum score.
        exact: Match whole words only.
        tags: Only notes with all these tags.
        weights: Per-field weights.
        order: Sort order.
        folder: Restrict to one folder.
        page: Which page of results.

    Returns:
        Note titles.
    """
    return []


def test_schema_types_enum_and_required() -> None:
    tool = Tool.from_function(search_notes)
    params = tool.parameters
    props = params["properties"]

    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert props["query"]["type"] == "string"
    assert props["limit"]["type"] == "integer"
    assert props["threshold"]["type"] == "number"
    assert props["exact"]["type"] == "boolean"
    assert props["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Only notes with all these tags.",
    }
    assert props["weights"]["type"] == "object"
    assert props["weights"]["additionalProperties"] == {"type": "integer"}
    assert props["order"]["enum"] == ["newest", "oldest"]
    assert props["order"]["type"] == "string"
    assert props["folder"]["type"] == "string"  # `| None` is expressed by not requiring it
    assert props["page"]["default"] == 1
    # `X | None` and defaulted parameters are optional; everything else is required, in order.
    assert params["required"] == [
        "query",
        "limit",
        "threshold",
        "exact",
        "tags",
        "weights",
        "order",
    ]


def test_schema_descriptions_come_from_the_docstring() -> None:
    tool = Tool.from_function(search_notes)
    props = tool.parameters["properties"]

    assert tool.name == "search_notes"
    assert tool.description == "Search the user's notes."
    assert props["query"]["description"] == "Words to look for."
    # A type in parentheses is dropped and continuation lines are joined.
    assert props["limit"]["description"] == "At most this many notes, counted after filtering."
    assert props["page"]["description"] == "Which page of results."
    assert "Note titles" not in json.dumps(tool.parameters)  # `Returns:` is not an argument


def test_schema_is_the_openai_function_shape() -> None:
    tool = Tool.from_function(search_notes, name="notes", source="plugin")

    assert tool.schema() == {
        "type": "function",
        "function": {
            "name": "notes",
            "description": "Search the user's notes.",
            "parameters": tool.parameters,
        },
    }
    assert tool.source == "plugin"
    json.dumps(tool.schema())  # must be sendable as is


def test_schema_for_async_function_without_docstring() -> None:
    async def ping(count: int = 1) -> str:
        return "pong" * count

    tool = Tool.from_function(ping)
    assert tool.description == ""
    assert tool.parameters["required"] == []
    assert tool.parameters["properties"]["count"] == {"type": "integer", "default": 1}


def test_parse_docstring_ends_args_at_next_section() -> None:
    summary, args = parse_docstring(
        """Do a thing
        over two lines.

        Args:
            a: First.
            b: Second,
                continued.

        Raises:
            ValueError: Not an argument.
        """
    )
    assert summary == "Do a thing over two lines."
    assert args == {"a": "First.", "b": "Second, continued."}


def test_unsupported_signatures_fail_at_registration() -> None:
    def takes_object(thing: object) -> None:
        """Take anything."""

    def positional_only(x: int, /) -> None:
        """Positional."""

    def star_args(*values: int) -> None:
        """Variadic."""

    for fn in (takes_object, positional_only, star_args):
        with pytest.raises(TypeError, match=fn.__name__):
            Tool.from_function(fn)
    with pytest.raises(ValueError, match="invalid tool name"):
        Tool.from_function(calculate, name="has space")


# --- registry ---------------------------------------------------------------------------------


def test_registry_register_get_enable() -> None:
    registry = ToolRegistry()
    tool = registry.register(calculate)

    assert registry.get("calculate") is tool
    assert registry.get("missing") is None
    assert "calculate" in registry
    assert "missing" not in registry
    assert len(registry) == 1
    with pytest.raises(ValueError, match="already registered"):
        registry.register(calculate)

    registry.register(get_current_time)
    assert registry.names() == ["calculate", "get_current_time"]
    registry.set_enabled("calculate", False)
    assert [s["function"]["name"] for s in registry.schemas()] == ["get_current_time"]
    assert registry.names() == ["calculate", "get_current_time"]  # still registered
    assert not registry.is_enabled("calculate")
    registry.set_enabled("calculate", True)
    assert [s["function"]["name"] for s in registry.schemas()] == ["calculate", "get_current_time"]
    with pytest.raises(KeyError):
        registry.set_enabled("nope", False)


def test_default_registry_has_builtins_and_is_fresh() -> None:
    first = default_registry()
    assert first.names() == ["get_current_time", "calculate", "convert_units"]
    assert len(first) == len(BUILTIN_TOOLS)
    assert all(tool.source == "builtin" for tool in first)
    first.set_enabled("calculate", False)
    assert default_registry().is_enabled("calculate")  # no state shared between registries
    assert not default_registry(disabled=["calculate", "not-a-tool"]).is_enabled("calculate")


# --- get_current_time -------------------------------------------------------------------------


def test_current_time_in_seoul() -> None:
    before = datetime.now(UTC)
    result = get_current_time("Asia/Seoul")
    after = datetime.now(UTC)

    assert result["timezone"] == "Asia/Seoul"
    assert result["utc_offset"] == "+09:00"  # Korea has no daylight saving time
    assert result["abbreviation"] == "KST"
    moment = datetime.fromisoformat(result["datetime"])
    assert moment.utcoffset() == timedelta(hours=9)
    # Seconds precision: the result is truncated, so allow one second before `before`.
    assert before - timedelta(seconds=1) <= moment <= after
    assert result["weekday"] == moment.strftime("%A")


def test_current_time_forgives_case_and_rejects_unknown_zones() -> None:
    assert get_current_time(" asia/seoul ")["timezone"] == "Asia/Seoul"
    assert get_current_time("UTC")["utc_offset"] == "+00:00"
    with pytest.raises(ValueError, match=r"unknown time zone 'Mars/Base'.*IANA"):
        get_current_time("Mars/Base")
    with pytest.raises(ValueError, match="did you mean 'Asia/Seoul'"):
        get_current_time("Asia/Seol")
    with pytest.raises(ValueError, match="unknown time zone"):
        get_current_time("../../etc/passwd")


# --- calculate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("-2 ** 2", -4),
        ("2 ** 3 ** 2", 512),
        ("7 // 2 + 7 % 3", 4),
        ("7 / 2", 3.5),
        ("sqrt(16) + abs(-3)", 7.0),
        ("round(2.567, 2)", 2.57),
        ("log(8, 2)", 3.0),
        ("floor(e) + ceil(pi)", 6),
    ],
)
def test_calculate_precedence_and_functions(expression: str, expected: float) -> None:
    assert calculate(expression) == pytest.approx(expected)


def test_calculate_keeps_integers_exact() -> None:
    result = calculate("2 ** 100 + 1")
    assert result == 2**100 + 1
    assert isinstance(result, int)
    assert calculate("sin(pi / 2)") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("().__class__", "attribute access is not allowed"),
        ("math.sqrt(4)", "attribute access is not allowed"),
        ("'a' * 3", "only real numbers"),
        ("x + 1", "unknown name 'x'"),
        ("sqrt", "is a function"),
        ("2 ^ 3", "use '\\*\\*' for powers"),
        ("1 / 0", "division by zero"),
        ("sqrt(-1)", "math domain error"),
        ("1 < 2", "Compare is not allowed"),
        ("(lambda: 1)()", "only the listed math functions"),
        ("sqrt(x=4)", "positional arguments only"),
        ("1 +", "invalid expression"),
        ("", "empty"),
    ],
)
def test_calculate_rejects(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calculate(expression)


def test_calculate_refuses_huge_powers_quickly() -> None:
    # In a child process with a time limit: if the guard were missing, 9**9**9 would run for
    # hours, and the test must fail rather than hang.
    script = (
        "from tuichat.tools.builtin.calc import calculate\n"
        "for expression in ['9**9**9', '2**100000', '10**10**10', '(2**9999) * (2**9999)',"
        " '(10**3000) ** 2']:\n"
        "    try:\n"
        "        calculate(expression)\n"
        "    except ValueError as exc:\n"
        "        assert 'too large' in str(exc), exc\n"
        "    else:\n"
        "        raise SystemExit(f'{expression} was accepted')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr or done.stdout


# --- convert_units ------------------------------------------------------------------------------


def test_convert_units() -> None:
    assert convert_units(1, "mi", "km") == pytest.approx(1.609344)
    assert convert_units(12, "inches", "Feet") == pytest.approx(1.0)
    assert convert_units(1, "lb", "g") == pytest.approx(453.59237)
    assert convert_units(100, "celsius", "F") == pytest.approx(212.0)
    assert convert_units(-40, "°F", "C") == pytest.approx(-40.0)
    assert convert_units(0, "K", "C") == pytest.approx(-273.15)
    with pytest.raises(ValueError, match="cannot convert length"):
        convert_units(1, "m", "kg")
    with pytest.raises(ValueError, match="unknown unit 'parsec'"):
        convert_units(1, "parsec", "m")
    with pytest.raises(ValueError, match="below absolute zero"):
        convert_units(-300, "C", "K")


# --- run_tool_call ------------------------------------------------------------------------------


def add(a: int, b: int = 0) -> int:
    """Add two integers.

    Args:
        a: First.
        b: Second.
    """
    return a + b


def greet(name: str, punctuation: str | None) -> str:
    """Greet someone."""
    return f"hello {name}{punctuation or '.'}"


def fail(reason: str) -> None:
    """Always fail."""
    raise ValueError(reason)


def describe() -> dict[str, Any]:
    """Return a non-string result."""
    return {"city": "서울", "when": datetime(2026, 1, 2, tzinfo=UTC), "n": 3}


async def nap(seconds: float) -> str:
    """Sleep asynchronously."""
    await asyncio.sleep(seconds)
    return "rested"


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry([add, greet, fail, describe, nap, get_current_time])


async def test_success_string_and_json_results(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "greet", '{"name": "Ada", "punctuation": "!"}')
    assert outcome == ToolOutcome("hello Ada!", False, outcome.duration)
    assert outcome.duration >= 0

    outcome = await run_tool_call(registry, "add", '{"a": 2, "b": 3}')
    assert (outcome.content, outcome.is_error) == ("5", False)

    outcome = await run_tool_call(registry, "describe", "")  # empty text means no arguments
    assert not outcome.is_error
    assert "서울" in outcome.content  # ensure_ascii=False
    assert json.loads(outcome.content) == {
        "city": "서울",
        "when": "2026-01-02 00:00:00+00:00",
        "n": 3,
    }


async def test_bad_json_shows_what_was_received(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "add", '{"a": 1,')
    assert outcome.is_error
    assert outcome.content.startswith("Error: arguments are not valid JSON: ")
    assert '{"a": 1,' in outcome.content


async def test_arguments_must_be_an_object(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "add", "[1, 2]")
    assert outcome.is_error
    assert outcome.content.startswith("Error: arguments must be a JSON object, got array")
    assert "[1, 2]" in outcome.content


async def test_unknown_and_disabled_tools(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "web_search", "{}")
    assert outcome.is_error
    assert outcome.content == (
        "Error: unknown tool 'web_search'; available: add, greet, fail, describe, nap,"
        " get_current_time"
    )
    registry.set_enabled("add", False)
    outcome = await run_tool_call(registry, "add", '{"a": 1}')
    assert outcome.is_error
    assert "tool 'add' is disabled" in outcome.content
    assert "available: greet," in outcome.content


async def test_missing_unexpected_and_wrong_typed_arguments(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "add", "{}")
    assert outcome.is_error
    assert outcome.content.startswith("Error: invalid arguments for tool 'add'")
    assert "missing required argument 'a'" in outcome.content

    outcome = await run_tool_call(registry, "add", '{"a": 1, "c": 2}')
    assert outcome.is_error
    assert "unexpected argument 'c'" in outcome.content
    assert "accepted arguments: a, b" in outcome.content

    outcome = await run_tool_call(registry, "add", '{"a": "1", "b": true}')
    assert outcome.is_error
    # Both problems at once, so the model can fix them in one retry.
    assert "argument 'a' must be an integer, got string \"1\"" in outcome.content
    assert "argument 'b' must be an integer, got boolean true" in outcome.content


async def test_lenient_where_json_is_ambiguous(registry: ToolRegistry) -> None:
    # 3.0 is an integer in JSON terms; null for an optional argument means "use the default".
    outcome = await run_tool_call(registry, "add", '{"a": 3.0, "b": null}')
    assert (outcome.content, outcome.is_error) == ("3", False)
    # `str | None` without a default is optional: omitted means None.
    outcome = await run_tool_call(registry, "greet", '{"name": "Ada"}')
    assert (outcome.content, outcome.is_error) == ("hello Ada.", False)


async def test_tool_exception_becomes_error_result(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "fail", '{"reason": "disk on fire"}')
    assert outcome == ToolOutcome(
        "Error: ValueError: disk on fire", True, outcome.duration, "failed"
    )

    outcome = await run_tool_call(registry, "get_current_time", '{"timezone": "Mars/Base"}')
    assert outcome.is_error
    assert outcome.content.startswith("Error: ValueError: unknown time zone 'Mars/Base'")
    assert "Traceback" not in outcome.content


async def test_timeout_on_async_tool(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "nap", '{"seconds": 10}', timeout=0.05)
    assert outcome.is_error
    assert outcome.content == "Error: tool 'nap' timed out after 0.05 s"
    assert outcome.status == "timed_out"
    assert outcome.duration < 5


async def test_timeout_on_sync_tool_returns_while_the_thread_runs() -> None:
    release = threading.Event()

    def stuck() -> str:
        """Block until released."""
        release.wait(10)
        return "done"

    registry = ToolRegistry([stuck])
    try:
        outcome = await run_tool_call(registry, "stuck", "{}", timeout=0.05)
    finally:
        release.set()  # let the worker thread finish so the loop can shut down
    assert outcome.is_error
    assert "timed out after 0.05 s" in outcome.content
    assert outcome.status == "timed_out"


async def test_tools_own_timeout_error_is_not_reported_as_ours() -> None:
    async def flaky() -> str:
        """Fail like a network call."""
        raise TimeoutError("upstream did not answer")

    outcome = await run_tool_call(ToolRegistry([flaky]), "flaky", "{}", timeout=5)
    assert outcome.content == "Error: TimeoutError: upstream did not answer"
    assert outcome.status == "failed"


async def test_sync_tool_does_not_block_the_event_loop() -> None:
    # The sync tool waits for an event that only a coroutine on the loop sets: if the tool ran
    # on the loop's thread, the coroutine could never run and the tool would report "blocked".
    loop_ran = threading.Event()

    def wait_for_loop() -> str:
        """Wait for the event loop."""
        return "loop ran" if loop_ran.wait(5) else "blocked"

    async def signal() -> None:
        await asyncio.sleep(0.01)
        loop_ran.set()

    registry = ToolRegistry([wait_for_loop])
    outcome, _ = await asyncio.gather(run_tool_call(registry, "wait_for_loop", "{}"), signal())
    assert outcome.content == "loop ran"


# --- run_tool_calls -----------------------------------------------------------------------------


async def test_calls_run_concurrently_and_results_keep_call_order() -> None:
    spans: dict[str, tuple[float, float]] = {}

    async def timed(label: str, seconds: float) -> str:
        """Sleep and record when."""
        start = time.perf_counter()
        await asyncio.sleep(seconds)
        spans[label] = (start, time.perf_counter())
        return label

    registry = ToolRegistry([timed])
    outcomes = await run_tool_calls(
        registry,
        [
            ("timed", '{"label": "slow", "seconds": 0.3}'),
            ("timed", '{"label": "fast", "seconds": 0.1}'),
            ("nope", "{}"),
        ],
    )
    assert [o.content for o in outcomes[:2]] == ["slow", "fast"]
    assert outcomes[2].is_error and "unknown tool 'nope'" in outcomes[2].content
    # Overlap: the second call started before the first one ended, and finished first.
    assert spans["fast"][0] < spans["slow"][1]
    assert spans["fast"][1] < spans["slow"][1]


async def test_sync_calls_run_in_parallel_threads() -> None:
    # Each call waits at a two-party barrier: it only opens if both run at the same time.
    barrier = threading.Barrier(2, timeout=5)

    def meet(who: str) -> str:
        """Wait for the other call."""
        barrier.wait()
        return who

    outcomes = await run_tool_calls(
        ToolRegistry([meet]), [("meet", '{"who": "a"}'), ("meet", '{"who": "b"}')]
    )
    assert [(o.content, o.is_error) for o in outcomes] == [("a", False), ("b", False)]


async def test_malformed_hand_written_schema_is_an_error_result() -> None:
    tool = Tool("odd", "A tool with a broken schema.", {"properties": ["not", "a", "dict"]}, add)
    outcome = await run_tool_call(ToolRegistry([tool]), "odd", '{"a": 1}')
    assert outcome.is_error
    assert outcome.content.startswith("Error: could not run tool 'odd': ")


async def test_hand_written_tool_with_kwargs() -> None:
    def lookup(**kwargs: Any) -> str:
        return ",".join(sorted(kwargs))

    schema = {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]}
    registry = ToolRegistry([Tool("lookup", "Look up.", schema, lookup, source="mcp")])
    outcome = await run_tool_call(registry, "lookup", '{"key": "a", "extra": 1}')
    assert (outcome.content, outcome.is_error) == ("extra,key", False)
    outcome = await run_tool_call(registry, "lookup", '{"key": 1}')
    assert outcome.is_error and "argument 'key' must be a string" in outcome.content


async def test_empty_batch() -> None:
    assert await run_tool_calls(ToolRegistry(), []) == []


async def test_cancellation_propagates_and_stops_the_tools() -> None:
    started = asyncio.Event()
    seen: list[str] = []

    async def forever() -> str:
        """Run until cancelled."""
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return "finished"

    registry = ToolRegistry([forever])
    task = asyncio.create_task(run_tool_calls(registry, [("forever", ""), ("forever", "")]))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled", "cancelled"]

    single = asyncio.create_task(run_tool_call(registry, "forever", "{}"))
    await asyncio.sleep(0.01)
    single.cancel()
    with pytest.raises(asyncio.CancelledError):
        await single


async def test_cancelled_error_raised_by_a_tool_is_a_result() -> None:
    async def gives_up() -> str:
        """Raise CancelledError without being cancelled."""
        raise asyncio.CancelledError

    outcome = await run_tool_call(ToolRegistry([gives_up]), "gives_up", "{}")
    assert outcome.is_error
    assert outcome.content == "Error: tool 'gives_up' was cancelled"
