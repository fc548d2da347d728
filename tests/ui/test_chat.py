"""The chat screen driven by key presses, against the real loopback server and SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuichat.demo.replies import DropAfter, HTTPError, RawSSE, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.ui.widgets.chat_message import (
    AssistantMessage,
    ErrorMessage,
    NoticeMessage,
    ToolCallView,
    UserMessage,
)
from tuichat.ui.widgets.inspector import Inspector

from .conftest import AppFactory
from .pilot_helpers import (
    answer_receiving,
    finish_turn,
    next_frame,
    press_while_streaming,
    rendered_lines,
    send,
    shown_text,
    wait_until,
)

SLOW_TEXT = " ".join(f"word{i}" for i in range(60))


async def test_text_appears_incrementally_then_completely(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow(SLOW_TEXT, tokens_per_second=80))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        screen = app.screen
        answer = await answer_receiving(pilot, "word5 ")
        await next_frame()
        partial = " ".join(rendered_lines(answer.body)).strip()
        assert partial.startswith("word0 word1")
        assert not answer.ended
        assert "word59" not in partial  # an intermediate state, shown before the end
        await finish_turn(pilot)
        final = " ".join(" ".join(rendered_lines(answer.body)).split())
        assert final == SLOW_TEXT
        assert answer.ended and "stop" in shown_text(answer.status)
        assert shown_text(screen.query_one(UserMessage)) == "hello"


async def test_two_parallel_tool_calls_end_to_end(make_app: AppFactory, server: ChatServer) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "서울과 뉴욕의 현재 시간은?")
        screen = await finish_turn(pilot)
        calls = list(screen.query(ToolCallView))
        assert [call.tool_name for call in calls] == ["get_current_time"] * 2
        assert [call.state for call in calls] == ["done", "done"]
        zones = [json.loads(call.result or "{}")["timezone"] for call in calls]
        assert zones == ["Asia/Seoul", "America/New_York"]
        # The arguments were streamed in pieces and are shown pretty-printed at the end.
        assert '"timezone": "Asia/Seoul"' in shown_text(calls[0].arguments_view)
        answers = list(screen.query(AssistantMessage))
        assert len(answers) == 2  # the round with the calls, then the answer from the results
        final = answers[-1].body.text
        assert "서울" in final and "뉴욕" in final
        # The model got both results back, one tool message per call id.
        tool_messages = [m for m in server.requests[-1]["messages"] if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in tool_messages] == [c.call_id for c in calls]


async def test_tool_call_shows_its_name_before_its_arguments_are_complete(
    make_app: AppFactory, server: ChatServer
) -> None:
    def arguments(text: str) -> bytes:
        call = {"index": 0, "function": {"arguments": text}}
        chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    started = {"index": 0, "id": "c1", "type": "function"}
    started["function"] = {"name": "get_current_time", "arguments": ""}
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [started]}}]}
    body = b"data: " + json.dumps(chunk).encode() + b"\n\n" + arguments('{"timez')
    rest = arguments('one": "UTC"}') + (
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\ndata: '
        b"[DONE]\n\n"
    )
    # The rest comes a while later, so the half-made call is on screen even on a loaded machine.
    server.enqueue(RawSSE(body + rest, slice_sizes=(len(body), len(body)), delay=1.5))
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "time?")
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query(ToolCallView)))
        view = screen.query_one(ToolCallView)
        await wait_until(pilot, lambda: view.arguments_text == '{"timez')
        assert view.state == "streaming" and view.tool_name == "get_current_time"
        await finish_turn(pilot)
        assert view.state == "done" and '"timezone": "UTC"' in (view.result or "")


async def test_inspector_toggles_and_lists_every_chunk(
    make_app: AppFactory, server: ChatServer
) -> None:
    app = make_app(api_key_env="TEST_KEY", environ={"TEST_KEY": "sk-secret-test-key-42"})
    async with app.run_test(size=(120, 40)) as pilot:
        inspector = app.screen.query_one(Inspector)
        assert not inspector.display
        await send(pilot, "hello")
        await finish_turn(pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert inspector.display
        rows = inspector.turn.rows
        chunks = [row for row in rows if row.kind == "chunk"]
        assert chunks and chunks[-1].raw_text() == "[DONE]"
        assert inspector.chunk_count == len(chunks)
        first = json.loads(chunks[0].raw_text())
        assert first["object"] == "chat.completion.chunk"
        readings = " ".join(row.reading.reading for row in chunks if row.reading is not None)
        assert "finish stop" in readings and '"Hello' in readings
        header = shown_text(inspector.query_one("#inspector-header"))
        # At 120 columns the panel is narrow: the timing is written short.
        assert f"{inspector.chunk_count:,} chunks" in header and "ttfc" in header
        # The request is the first row, with the key redacted.
        assert rows[0].kind == "request"
        request = json.dumps(inspector.turn.readers[0].request.request)  # type: ignore[union-attr]
        assert "sk-secret-test-key-42" not in request and "[redacted]" in request
        await pilot.press("f2")
        await pilot.pause()
        assert not inspector.display
        assert app.screen.query_one("#prompt").has_focus, "the keys go back to the prompt"


async def test_escape_cancels_and_keeps_the_partial_answer(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow(SLOW_TEXT, tokens_per_second=40))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        screen = app.screen
        answer = await answer_receiving(pilot, "word3 ")
        await pilot.press("escape")
        await finish_turn(pilot)
        kept = answer.body.text
        assert kept.startswith("word0 word1 word2 word3") and "word59" not in kept
        assert "cancelled" in shown_text(answer.status)
        # The answer says it was cancelled: no notice repeats it.
        assert not any("Cancelled" in shown_text(n) for n in screen.query(NoticeMessage))
        history = app.session.messages[-1]
        assert history["role"] == "assistant" and history["cancelled"] is True
        assert history["content"] == kept  # the screen shows all the history keeps
        # The app is usable again: the next prompt gets an answer.
        await send(pilot, "hello")
        await finish_turn(pilot)
        assert screen.query(AssistantMessage).last().body.text.startswith("Hello")


async def test_http_500_is_shown_as_an_error(make_app: AppFactory, server: ChatServer) -> None:
    server.enqueue(HTTPError.server_error())
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        screen = await finish_turn(pilot)
        error = shown_text(screen.query_one(ErrorMessage))
        assert "HTTP 500" in error and "try again" in error


async def test_dropped_connection_keeps_the_partial_answer(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(DropAfter(text="The first words arrive and then the line goes dead", after=5))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        screen = await finish_turn(pilot)
        answer = screen.query_one(AssistantMessage)
        assert answer.body.text.startswith("The first")
        assert " ".join(rendered_lines(answer.body)).strip().startswith("The first")
        assert "failed" in shown_text(answer.status)
        error = shown_text(screen.query_one(ErrorMessage))
        assert "dropped" in error and "partial answer is kept" in error


async def test_markup_and_escape_sequences_in_model_text_are_shown_literally(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(
        Scripted(text="Say [bold red]loud[/bold red] and \x1b[31mred\x1b[0m [link=x]y[/link]")
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "[b]hi[/b]")
        screen = await finish_turn(pilot)
        shown = " ".join(rendered_lines(screen.query_one(AssistantMessage).body))
        assert "[bold red]loud[/bold red]" in shown
        assert "[link=x]y[/link]" in shown
        assert "\x1b" not in shown and "red" in shown
        assert shown_text(screen.query_one(UserMessage)) == "[b]hi[/b]"


async def test_an_escape_sequence_split_between_chunks_leaves_nothing_on_screen(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    def chunk(text: str) -> bytes:
        delta = {"choices": [{"index": 0, "delta": {"content": text}}]}
        return b"data: " + json.dumps(delta).encode() + b"\n\n"

    first = chunk("Title: \x1b]0;p")
    body = first + chunk("wned\x07 done.") + b"data: [DONE]\n\n"
    server.enqueue(RawSSE(body, slice_sizes=(len(first), len(body)), delay=0.2))
    app = make_app(db=tmp_path / "history.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        screen = await finish_turn(pilot)
        shown = " ".join(rendered_lines(screen.query_one(AssistantMessage).body))
        assert "Title:  done." in shown and "ned" not in shown
        assert app.session.messages[-1]["content"] == "Title:  done."  # what is kept was shown


async def test_bad_tool_arguments_and_unknown_tools_do_not_crash(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(
        Scripted(
            tool_calls=[
                {"name": "get_current_time", "arguments": '{"timezone": '},
                {"name": "no_such_tool", "arguments": {}},
            ]
        ),
        Scripted(text="Sorry, let me fix that."),
    )
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "time?")
        screen = await finish_turn(pilot)
        calls = list(screen.query(ToolCallView))
        assert [c.state for c in calls] == ["failed", "failed"]
        assert "not valid JSON" in (calls[0].result or "")
        assert "unknown tool 'no_such_tool'" in (calls[1].result or "")
        assert screen.query(AssistantMessage).last().body.text == "Sorry, let me fix that."


async def test_tool_round_limit_ends_with_a_notice(
    make_app: AppFactory, server: ChatServer
) -> None:
    call = {"name": "get_current_time", "arguments": {"timezone": "UTC"}}
    server.enqueue(*[Scripted(tool_calls=[call]) for _ in range(3)])
    app = make_app(max_tool_rounds=2)
    async with app.run_test(size=(100, 40)) as pilot:
        await send(pilot, "loop")
        screen = await finish_turn(pilot)
        assert len(server.requests) == 3
        notices = [shown_text(n) for n in screen.query(NoticeMessage)]
        assert any("No answer after 2 rounds" in n for n in notices)


async def test_scrolling_up_stops_following_and_end_jumps_back(
    make_app: AppFactory, server: ChatServer
) -> None:
    long_text = "\n\n".join(f"Paragraph {i} of a long answer." for i in range(80))
    server.enqueue(Slow(long_text, tokens_per_second=300))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "write something long")
        messages = app.screen.messages
        await wait_until(pilot, lambda: messages.max_scroll_y > 20)
        await next_frame()
        assert messages.scroll_y == messages.max_scroll_y  # it follows the text
        await press_while_streaming(pilot, "pageup")
        await next_frame()
        held = messages.scroll_y
        assert held < messages.max_scroll_y
        grown = messages.max_scroll_y
        await wait_until(pilot, lambda: messages.max_scroll_y > grown + 10)
        assert messages.scroll_y == held  # more text arrived; the view stayed put
        await finish_turn(pilot)
        assert messages.scroll_y == held
        await pilot.press("end")  # the prompt is empty: End goes to the latest text
        await pilot.pause()
        assert messages.scroll_y == messages.max_scroll_y
        await pilot.press("pageup", "ctrl+end")
        await pilot.pause()
        assert messages.scroll_y == messages.max_scroll_y


async def test_reasoning_is_shown_collapsed_above_the_answer(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(reasoning="First I consider the question.", text="The answer."))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "think")
        screen = await finish_turn(pilot)
        answer = screen.query_one(AssistantMessage)
        assert answer.reasoning is not None
        assert answer.reasoning.text == "First I consider the question."
        collapsible = screen.query_one(".reasoning")
        assert collapsible.collapsed
        assert answer.body.text == "The answer."
        assert collapsible.region.y < answer.body.region.y


async def test_typing_after_a_click_on_a_fold_goes_to_the_prompt(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(
        Scripted(reasoning="Let me think.", text="Thought."),
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "think")
        screen = await finish_turn(pilot)
        fold = screen.query_one(AssistantMessage).reasoning_view
        assert fold is not None and fold.collapsed
        await pilot.click(fold)
        await pilot.pause()
        assert not fold.collapsed  # the click opened it
        await pilot.press(*"next")
        assert screen.prompt.text == "next" and screen.prompt.has_focus


@pytest.mark.parametrize("width", [80, 140])
async def test_a_folded_result_shows_as_much_as_the_width_allows(
    make_app: AppFactory, server: ChatServer, width: int
) -> None:
    def many_words() -> str:
        """Many words."""
        return " ".join(f"w{i}" for i in range(200))

    server.enqueue(Scripted(tool_calls=[ToolCall("many_words", {}, id="c1")]), Scripted(text="."))
    app = make_app()
    assert app.session.tools is not None
    app.session.tools.register(many_words)
    async with app.run_test(size=(width, 30)) as pilot:
        await send(pilot, "go")
        screen = await finish_turn(pilot)
        title = screen.query_one(ToolCallView).query_one("CollapsibleTitle")
        shown = " ".join(rendered_lines(title)).strip()
        assert shown.endswith("…") and shown[2:].startswith("result: w0 w1")
        assert len(shown) >= width - 12  # it reaches the edge of the conversation
