"""The tool loop over the real loopback server: rounds, results, limits, failures, cancel."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tuichat.core.client import ChatClient
from tuichat.core.events import TextDelta
from tuichat.core.provider import Provider
from tuichat.demo.replies import DropAfter, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.session.conversation import Conversation
from tuichat.session.events import Notice, ToolResult, ToolRunning, TurnEvent, TurnFinished
from tuichat.tools.registry import ToolRegistry, default_registry


def conversation(
    server: ChatServer, tools: ToolRegistry | None = None, **kwargs: Any
) -> Conversation:
    provider = Provider(base_url=server.base_url, model="tuichat-demo", max_retries=0, timeout=10)
    return Conversation(ChatClient(provider), tools or default_registry(), **kwargs)


async def run(conv: Conversation, text: str) -> list[TurnEvent]:
    events: list[TurnEvent] = []
    async for batch in conv.send(text):
        events += batch
    await conv.client.aclose()
    return events


async def test_parallel_calls_run_concurrently_and_results_go_back_in_call_order(
    server: ChatServer,
) -> None:
    order: list[str] = []

    async def slow_echo(text: str, delay: float) -> str:
        """Echo after a delay.

        Args:
            text: what to echo.
            delay: seconds to wait.
        """
        order.append(f"start {text}")
        await asyncio.sleep(delay)
        order.append(f"end {text}")
        return text

    tools = ToolRegistry()
    tools.register(slow_echo)
    server.enqueue(
        Scripted(
            tool_calls=[
                ToolCall("slow_echo", {"text": "first", "delay": 0.3}, id="c1"),
                ToolCall("slow_echo", {"text": "second", "delay": 0.05}, id="c2"),
            ]
        ),
        Scripted(text="done"),
    )
    conv = conversation(server, tools)
    events = await run(conv, "go")
    # Both started before either ended, and the quicker one reported first.
    assert order == ["start first", "start second", "end second", "end first"]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [r.content for r in results] == ["second", "first"]
    assert len([e for e in events if isinstance(e, ToolRunning)]) == 2
    # The next request carries the assistant's calls and one tool message per call, in order.
    sent = server.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["c1", "c2"]
    assert [(m["tool_call_id"], m["content"]) for m in sent[2:]] == [
        ("c1", "first"),
        ("c2", "second"),
    ]
    assert "reasoning" not in sent[1] and "usage" not in sent[1]  # only wire keys go out
    assert conv.messages[-1]["content"] == "done"
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and not finished.failed
    assert [m["role"] for m in finished.messages] == ["assistant", "tool", "tool", "assistant"]


async def test_the_demo_time_question_runs_the_real_tool(server: ChatServer) -> None:
    conv = conversation(server)
    events = await run(conv, "what time is it in Seoul and New York?")
    results = [json.loads(e.content) for e in events if isinstance(e, ToolResult)]
    assert sorted(r["timezone"] for r in results) == ["America/New_York", "Asia/Seoul"]
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "Seoul" in answer and "New York" in answer


async def test_a_failing_tool_is_a_result_the_model_sees(server: ChatServer) -> None:
    server.enqueue(
        Scripted(tool_calls=[ToolCall("get_current_time", {"timezone": "Mars/Olympus"}, id="c1")]),
        Scripted(text="Sorry."),
    )
    conv = conversation(server)
    events = await run(conv, "time on mars")
    result = next(e for e in events if isinstance(e, ToolResult))
    assert result.is_error and "Mars/Olympus" in result.content
    assert server.requests[-1]["messages"][-1]["content"] == result.content


async def test_round_limit_stops_asking_and_answers_every_call(server: ChatServer) -> None:
    call = ToolCall("calculate", {"expression": "1+1"})
    server.enqueue(*[Scripted(tool_calls=[call]) for _ in range(4)])
    conv = conversation(server, max_tool_rounds=3)
    events = await run(conv, "loop")
    assert len(server.requests) == 4
    assert any(isinstance(e, Notice) and "3 rounds" in e.message for e in events)
    # Every call in the history has its tool message, so the conversation can go on.
    last_calls = conv.messages[-2]["tool_calls"]
    assert conv.messages[-1]["tool_call_id"] == last_calls[0]["id"]
    assert "limit" in conv.messages[-1]["content"]
    # The last request told the model it could not call tools; it did anyway: no answer.
    assert [r.get("tool_choice") for r in server.requests] == [None, None, None, "none"]
    assert conv.messages[-2]["error"]["kind"] == "tool_rounds"
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.failed


async def test_after_the_last_tool_round_the_model_answers_without_tools(
    server: ChatServer,
) -> None:
    call = ToolCall("calculate", {"expression": "1+1"})
    server.enqueue(
        Scripted(tool_calls=[call]), Scripted(tool_calls=[call]), Scripted(text="It is 2.")
    )
    conv = conversation(server, max_tool_rounds=2)
    events = await run(conv, "loop")
    assert [r.get("tool_choice") for r in server.requests] == [None, None, "none"]
    assert "tools" in server.requests[-1]  # shown, so the earlier calls make sense
    assert conv.messages[-1] == {**conv.messages[-1], "role": "assistant", "content": "It is 2."}
    assert "error" not in conv.messages[-1]
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "limit of 2 rounds" in notices[0]
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and not finished.failed


async def test_a_dropped_answer_is_kept_and_marked(server: ChatServer) -> None:
    server.enqueue(DropAfter(text="partial words before the drop", after=3))
    conv = conversation(server)
    events = await run(conv, "hi")
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.failed
    kept = conv.messages[-1]
    assert kept["role"] == "assistant" and kept["content"].startswith("partial")
    assert kept["error"]["kind"] == "connection"


async def test_cancelling_keeps_the_partial_answer_marked_cancelled(server: ChatServer) -> None:
    server.enqueue(Slow("one two three four five six seven eight nine ten", tokens_per_second=20))
    conv = conversation(server)
    seen: list[str] = []

    async def consume() -> None:
        async for batch in conv.send("hi"):
            seen.extend(e.text for e in batch if isinstance(e, TextDelta))

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    await conv.client.aclose()
    kept = conv.messages[-1]
    assert kept["cancelled"] is True
    assert kept["content"].startswith("one") and "ten" not in kept["content"]
    # The next request leaves out nothing it needs, and the partial text is context.
    assert conv.wire_messages()[-1] == {"role": "assistant", "content": kept["content"]}


async def test_asking_policy_waits_for_approval_and_a_denial_goes_back_to_the_model(
    server: ChatServer,
) -> None:
    asked: list[list[str]] = []

    async def approve(calls: list[dict[str, Any]]) -> list[bool]:
        asked.append([c["function"]["name"] for c in calls])
        return [c["function"]["arguments"].find("Seoul") >= 0 for c in calls]

    server.enqueue(
        Scripted(
            tool_calls=[
                ToolCall("get_current_time", {"timezone": "Asia/Seoul"}, id="c1"),
                ToolCall("get_current_time", {"timezone": "UTC"}, id="c2"),
                ToolCall("calculate", {"expression": "1+1"}, id="c3"),
            ]
        ),
        Scripted(text="ok"),
    )
    policies = {"get_current_time": "ask", "calculate": "never"}
    conv = conversation(server, policy=lambda name: policies.get(name, "run"), approve=approve)
    events = await run(conv, "go")
    assert asked == [["get_current_time", "get_current_time"]]  # asked together, once
    results = {e.id: e for e in events if isinstance(e, ToolResult)}
    assert not results["c1"].is_error and "Asia/Seoul" in results["c1"].content
    assert results["c2"].is_error and "Denied by the user" in results["c2"].content
    assert results["c3"].is_error and "policy 'never'" in results["c3"].content
    assert [results[c].status for c in ("c1", "c2", "c3")] == ["done", "denied", "not_allowed"]
    running = [e.id for e in events if isinstance(e, ToolRunning)]
    assert running == ["c1"]
    sent = {
        m["tool_call_id"]: m["content"]
        for m in server.requests[-1]["messages"]
        if m["role"] == "tool"
    }
    assert "Denied" in sent["c2"] and "never" in sent["c3"]


async def test_a_long_result_is_cut_for_the_model_but_whole_in_the_event(
    server: ChatServer,
) -> None:
    def big() -> str:
        """A long result."""
        return "x" * 5000

    tools = ToolRegistry()
    tools.register(big)
    server.enqueue(Scripted(tool_calls=[ToolCall("big", {}, id="c1")]), Scripted(text="ok"))
    conv = conversation(server, tools, result_limit=1000)
    events = await run(conv, "go")
    result = next(e for e in events if isinstance(e, ToolResult))
    assert result.content == "x" * 5000
    sent = next(m for m in server.requests[-1]["messages"] if m["role"] == "tool")["content"]
    assert len(sent) <= 1000 and sent.startswith("x" * 800) and "truncated" in sent
    # The history keeps the whole result beside what the model got, and never sends it.
    [kept] = [m for m in conv.messages if m["role"] == "tool"]
    assert kept["content"] == sent and kept["full_content"] == "x" * 5000
    assert "full_content" not in next(
        m for m in server.requests[-1]["messages"] if m["role"] == "tool"
    )


async def test_a_replay_shows_the_calls_without_running_them_and_stops(server: ChatServer) -> None:
    ran: list[str] = []

    def record(text: str) -> str:
        """Remember a call.

        Args:
            text: anything.
        """
        ran.append(text)
        return text

    tools = ToolRegistry()
    tools.register(record)
    server.enqueue(Scripted(tool_calls=[ToolCall("record", {"text": "x"}, id="c1")]))
    conv = conversation(server, tools, replay=True)
    events = await run(conv, "go")
    assert ran == [] and len(server.requests) == 1  # nothing ran, nothing was asked again
    (result,) = [e for e in events if isinstance(e, ToolResult)]
    assert result.status == "not_run" and not result.is_error and "replay" in result.content
    assert not any(isinstance(e, ToolRunning) for e in events)
    assert isinstance(events[-1], TurnFinished) and not events[-1].failed
    assert [m["role"] for m in conv.messages] == ["user", "assistant", "tool"]
    assert conv.messages[-1]["status"] == "not_run"
