"""After an answer cut short (a stall, a drop, the length limit), Ctrl+R retries the turn and
Ctrl+O continues the answer from its text; both show in the footer and the help then, and
are in the command palette always."""

from __future__ import annotations

from pathlib import Path

from tuichat.demo.replies import DropAfter, Scripted, Stall, stalled_after
from tuichat.demo.server import ChatServer
from tuichat.session.conversation import CONTINUE_INSTRUCTION
from tuichat.ui.widgets.chat_message import AssistantMessage, ErrorMessage
from tuichat.ui.widgets.key_footer import KeyFooter

from .conftest import AppFactory
from .pilot_helpers import Notices, finish_turn, press_while_streaming, send, shown_text


def footer_words(pilot) -> list[str]:  # type: ignore[no-untyped-def]
    return [key.description for key in pilot.app.screen.query_one(KeyFooter).keys]


async def test_after_a_stall_ctrl_o_continues_the_same_answer(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(stalled_after("The first half, ", 6), Scripted(text="and the rest."))
    app = make_app(stall_timeout=0.5)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "tell me")
        screen = await finish_turn(pilot)
        error = screen.query_one(ErrorMessage)
        assert "stopped sending" in shown_text(error) and "0.5 s" in shown_text(error)
        assert "Retry" in footer_words(pilot) and "Continue" in footer_words(pilot)
        await press_while_streaming(pilot, "ctrl+o")
        await finish_turn(pilot)
        answers = screen.query(AssistantMessage)
        assert len(answers) == 1, "the continuation is the same answer, not a new one"
        answer = answers.first()
        assert answer.body.text == "The first half, and the rest."
        status = shown_text(answer.status)
        assert "stop" in status and "continued after a stall" in status
        assert not screen.query(ErrorMessage), "the error of the cut is gone with the cut"
        assert server.requests[-1]["messages"][-1]["content"] == CONTINUE_INSTRUCTION
        assert "Continue" not in footer_words(pilot) and "Retry" not in footer_words(pilot)


async def test_after_a_drop_ctrl_r_retries_the_turn_from_the_start(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(
        DropAfter(text="one two three four five six", after=3), Scripted(text="A whole answer.")
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "count")
        screen = await finish_turn(pilot)
        assert "dropped" in shown_text(screen.query_one(ErrorMessage))
        assert "Retry" in footer_words(pilot)
        await press_while_streaming(pilot, "ctrl+r")
        await finish_turn(pilot)
        answer = screen.query_one(AssistantMessage)
        assert answer.body.text == "A whole answer."
        sent = server.requests[-1]["messages"]
        assert [m["role"] for m in sent] == ["user"], "asked again from the prompt alone"
        assert "Retry" not in footer_words(pilot)


async def test_an_answer_at_the_length_limit_offers_to_continue(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(
        Scripted(text="Counting: 1, 2,", finish_reason="length"), Scripted(text=" 3, 4.")
    )
    app = make_app(db=tmp_path / "history.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "count")
        screen = await finish_turn(pilot)
        assert "length" in shown_text(screen.query_one(AssistantMessage).status)
        assert "Continue" in footer_words(pilot)
        await press_while_streaming(pilot, "ctrl+o")
        await finish_turn(pilot)
        answer = screen.query_one(AssistantMessage)
        assert answer.body.text == "Counting: 1, 2, 3, 4."
        assert "continued after the length limit" in shown_text(answer.status)
        session = screen.session
        assert session.history is not None and session.conversation_id is not None
        rows = await session.history.message_rows(session.conversation_id)
        assert [row.message["content"] for row in rows] == ["count", "Counting: 1, 2, 3, 4."]


async def test_with_nothing_cut_the_keys_are_hidden_and_continue_says_why(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="Whole."), Scripted(text="Again, whole."))
    notices = Notices()
    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await send(pilot, "hi")
        screen = await finish_turn(pilot)
        assert "Continue" not in footer_words(pilot) and "Retry" not in footer_words(pilot)
        assert "ctrl+o" not in screen.active_bindings  # nor in the help panel
        titles = {command.title for command in app.get_system_commands(screen)}
        assert "Regenerate answer" in titles
        assert not {"Retry", "Continue"} & titles, "the palette offers what can be done now"
        await screen.action_continue_answer()  # a key remapped to it, say
        await pilot.pause()
        assert any("nothing to continue" in message for message in notices.messages)
        await press_while_streaming(pilot, "ctrl+r")  # plain regenerate
        await finish_turn(pilot)
        assert screen.query_one(AssistantMessage).body.text == "Again, whole."


async def test_the_help_and_the_palette_list_retry_and_continue_after_a_cut(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(stalled_after("Half", 6))
    app = make_app(stall_timeout=0.5)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "go")
        screen = await finish_turn(pilot)
        described = {
            key: found.binding.description for key, found in screen.active_bindings.items()
        }
        assert described.get("ctrl+o") == "Continue" and described.get("ctrl+r") == "Retry"
        titles = {command.title for command in app.get_system_commands(screen)}
        assert {"Retry", "Continue"} <= titles
        await pilot.press("f1")
        await pilot.pause()
        panel = screen.query_one("HelpPanel")
        keys = shown_text(panel.query_one("BindingsTable"))
        assert "Continue" in keys and "Retry" in keys


async def test_a_cut_answer_after_others_still_says_it_failed_with_the_totals_after(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="A first answer."), stalled_after("A second, cut", 6))
    app = make_app(stall_timeout=0.5)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "one")
        await finish_turn(pilot)
        await send(pilot, "two")
        screen = await finish_turn(pilot)
        status = shown_text(screen.query(AssistantMessage).last().status)
        assert status.startswith("failed (timeout): the text above is what arrived")
        assert "conversation" in status and "tokens" in status


async def test_a_stall_before_any_text_offers_retry_but_nothing_to_continue(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Stall(seconds=5, headers_first=True), Scripted(text="Second time lucky."))
    app = make_app(stall_timeout=0.5)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        screen = await finish_turn(pilot)
        assert "sent nothing of the answer" in shown_text(screen.query_one(ErrorMessage))
        assert "Retry" in footer_words(pilot) and "Continue" not in footer_words(pilot)
        await press_while_streaming(pilot, "ctrl+r")
        await finish_turn(pilot)
        assert screen.query_one(AssistantMessage).body.text == "Second time lucky."
