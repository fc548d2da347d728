"""The tool executor: running calls from model arguments, its error paths, timeouts, batches."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tuichat.config.settings import DEFAULT_TOOL_TIMEOUT
from tuichat.tools.builtin.time import get_current_time
from tuichat.tools.executor import ToolOutcome, run_tool_call
from tuichat.tools.registry import Tool, ToolRegistry

from .concurrent_calls import run_concurrently

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
    outcome = await run_tool_call(
        registry, "greet", '{"name": "Ada", "punctuation": "!"}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert outcome == ToolOutcome("hello Ada!", False, outcome.duration)
    assert outcome.duration >= 0

    outcome = await run_tool_call(registry, "add", '{"a": 2, "b": 3}', timeout=DEFAULT_TOOL_TIMEOUT)
    assert (outcome.content, outcome.is_error) == ("5", False)

    outcome = await run_tool_call(
        registry, "describe", "", timeout=DEFAULT_TOOL_TIMEOUT
    )  # empty text means no arguments
    assert not outcome.is_error
    assert "서울" in outcome.content  # ensure_ascii=False
    assert json.loads(outcome.content) == {
        "city": "서울",
        "when": "2026-01-02 00:00:00+00:00",
        "n": 3,
    }


async def test_bad_json_shows_what_was_received(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "add", '{"a": 1,', timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error
    assert outcome.content.startswith("Error: arguments are not valid JSON: ")
    assert '{"a": 1,' in outcome.content


async def test_arguments_must_be_an_object(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "add", "[1, 2]", timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error
    assert outcome.content.startswith("Error: arguments must be a JSON object, got array")
    assert "[1, 2]" in outcome.content


async def test_unknown_and_disabled_tools(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "web_search", "{}", timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error
    assert outcome.content == (
        "Error: unknown tool 'web_search'; available: add, greet, fail, describe, nap,"
        " get_current_time"
    )
    registry.set_enabled("add", False)
    outcome = await run_tool_call(registry, "add", '{"a": 1}', timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error
    assert "tool 'add' is disabled" in outcome.content
    assert "available: greet," in outcome.content


async def test_missing_unexpected_and_wrong_typed_arguments(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(registry, "add", "{}", timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error
    assert outcome.content.startswith("Error: invalid arguments for tool 'add'")
    assert "missing required argument 'a'" in outcome.content

    outcome = await run_tool_call(registry, "add", '{"a": 1, "c": 2}', timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error
    assert "unexpected argument 'c'" in outcome.content
    assert "accepted arguments: a, b" in outcome.content

    outcome = await run_tool_call(
        registry, "add", '{"a": "1", "b": true}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert outcome.is_error
    # Both problems at once, so the model can fix them in one retry.
    assert "argument 'a' must be an integer, got string \"1\"" in outcome.content
    assert "argument 'b' must be an integer, got boolean true" in outcome.content


async def test_lenient_where_json_is_ambiguous(registry: ToolRegistry) -> None:
    # 3.0 is an integer in JSON terms; null for an optional argument means "use the default".
    outcome = await run_tool_call(
        registry, "add", '{"a": 3.0, "b": null}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert (outcome.content, outcome.is_error) == ("3", False)
    # `str | None` without a default is optional: omitted means None.
    outcome = await run_tool_call(
        registry, "greet", '{"name": "Ada"}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert (outcome.content, outcome.is_error) == ("hello Ada.", False)


async def test_tool_exception_becomes_error_result(registry: ToolRegistry) -> None:
    outcome = await run_tool_call(
        registry, "fail", '{"reason": "disk on fire"}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert outcome == ToolOutcome(
        "Error: ValueError: disk on fire", True, outcome.duration, "failed"
    )

    outcome = await run_tool_call(
        registry, "get_current_time", '{"timezone": "Mars/Base"}', timeout=DEFAULT_TOOL_TIMEOUT
    )
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
    outcome, _ = await asyncio.gather(
        run_tool_call(registry, "wait_for_loop", "{}", timeout=DEFAULT_TOOL_TIMEOUT), signal()
    )
    assert outcome.content == "loop ran"


# --- several calls at once ----------------------------------------------------------------------


async def test_calls_run_concurrently_and_results_keep_call_order() -> None:
    spans: dict[str, tuple[float, float]] = {}

    async def timed(label: str, seconds: float) -> str:
        """Sleep and record when."""
        start = time.perf_counter()
        await asyncio.sleep(seconds)
        spans[label] = (start, time.perf_counter())
        return label

    registry = ToolRegistry([timed])
    outcomes = await run_concurrently(
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

    outcomes = await run_concurrently(
        ToolRegistry([meet]), [("meet", '{"who": "a"}'), ("meet", '{"who": "b"}')]
    )
    assert [(o.content, o.is_error) for o in outcomes] == [("a", False), ("b", False)]


async def test_malformed_hand_written_schema_is_an_error_result() -> None:
    tool = Tool("odd", "A tool with a broken schema.", {"properties": ["not", "a", "dict"]}, add)
    outcome = await run_tool_call(
        ToolRegistry([tool]), "odd", '{"a": 1}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert outcome.is_error
    assert outcome.content.startswith("Error: could not run tool 'odd': ")


async def test_hand_written_tool_with_kwargs() -> None:
    def lookup(**kwargs: Any) -> str:
        return ",".join(sorted(kwargs))

    schema = {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]}
    registry = ToolRegistry([Tool("lookup", "Look up.", schema, lookup, source="mcp")])
    outcome = await run_tool_call(
        registry, "lookup", '{"key": "a", "extra": 1}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert (outcome.content, outcome.is_error) == ("extra,key", False)
    outcome = await run_tool_call(registry, "lookup", '{"key": 1}', timeout=DEFAULT_TOOL_TIMEOUT)
    assert outcome.is_error and "argument 'key' must be a string" in outcome.content


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
    task = asyncio.create_task(run_concurrently(registry, [("forever", ""), ("forever", "")]))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled", "cancelled"]

    single = asyncio.create_task(
        run_tool_call(registry, "forever", "{}", timeout=DEFAULT_TOOL_TIMEOUT)
    )
    await asyncio.sleep(0.01)
    single.cancel()
    with pytest.raises(asyncio.CancelledError):
        await single


async def test_cancelled_error_raised_by_a_tool_is_a_result() -> None:
    async def gives_up() -> str:
        """Raise CancelledError without being cancelled."""
        raise asyncio.CancelledError

    outcome = await run_tool_call(
        ToolRegistry([gives_up]), "gives_up", "{}", timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert outcome.is_error
    assert outcome.content == "Error: tool 'gives_up' was cancelled"
