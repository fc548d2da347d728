"""The Context screen (F9): leaving messages out of what is sent and putting them back, a
range summarised into one message, as a person does it; what the server then receives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.ui.conftest import AppFactory
from tests.ui.pilot_helpers import Notices, finish_turn, shown_text, wait_until
from tuichat.demo.replies import HTTPError, Scripted, Slow
from tuichat.demo.server import ChatServer
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.context import ContextScreen
from tuichat.ui.widgets.chat_message import AssistantMessage, UserMessage
from tuichat.ui.widgets.summary_message import SummaryMessage

SIZE = (100, 34)


def chat_of(app: TuichatApp) -> ChatScreen:
    chat = app.chat
    assert chat is not None
    return chat


async def converse(pilot: Pilot[None], *prompts: str) -> None:
    for prompt in prompts:
        await pilot.press(*prompt, "enter")
        await finish_turn(pilot)


async def open_context(pilot: Pilot[None]) -> ContextScreen:
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ContextScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ContextScreen)
    await wait_until(pilot, lambda: screen.options.option_count > 0)
    return screen


@asynccontextmanager
async def two_turns_in_context(
    make_app: AppFactory, server: ChatServer
) -> AsyncIterator[tuple[Pilot[None], ContextScreen]]:
    """Two prompts answered (not saved), then the Context screen open."""
    server.enqueue(Scripted(text="Blue."), Scripted(text="Green."))
    async with make_app().run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour", "Another")
        yield pilot, await open_context(pilot)


async def highlight(pilot: Pilot[None], screen: ContextScreen, row: int) -> None:
    await pilot.press("home", *["down"] * row)
    assert screen.options.highlighted == row


def status(screen: ContextScreen) -> str:
    return " ".join(shown_text(screen.query_one("#context-status", Static)).split())


def rows(screen: ContextScreen) -> list[str]:
    options = screen.options
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def cells(row: str) -> list[str]:
    """A row's state, role, tokens and words (after the column marking a range)."""
    return row[1:].split()


async def test_space_leaves_an_answer_out_dimmed_and_the_same_key_puts_it_back(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="Blue."), Scripted(text="Because."), Scripted(text="Yes."))
    app = make_app(db=tmp_path / "h.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour", "Why?")
        screen = await open_context(pilot)
        assert [cells(row)[:2] for row in rows(screen)] == [
            ["●", "you"], ["●", "answer"], ["●", "you"], ["●", "answer"],
        ]  # fmt: skip
        await highlight(pilot, screen, 1)
        await pilot.press("space")
        await wait_until(pilot, lambda: "left out" in rows(screen)[1])
        assert cells(rows(screen)[1])[:2] == ["○", "answer"]
        await pilot.press("escape")
        chat = chat_of(app)
        first = chat.query(AssistantMessage).first()
        assert first.has_class("-left-out") and first.left_out_view.display
        assert "left out of what is sent" in shown_text(first.left_out_view)
        assert not chat.query(AssistantMessage).last().has_class("-left-out")
        assert chat.prompt.border_subtitle is not None
        assert str(chat.prompt.border_subtitle).startswith("~")
        await converse(pilot, "Sure?")
        assert server.requests[-1]["messages"] == [
            {"role": "user", "content": "Name a colour"},
            {"role": "user", "content": "Why?"},
            {"role": "assistant", "content": "Because."},
            {"role": "user", "content": "Sure?"},
        ]
        screen = await open_context(pilot)
        await highlight(pilot, screen, 1)
        await pilot.press("space")  # the same key: put back
        await wait_until(pilot, lambda: "left out" not in rows(screen)[1])
        await pilot.press("escape")
        assert not chat_of(app).query(AssistantMessage).first().has_class("-left-out")


async def test_a_left_out_prompt_is_dimmed_with_a_mark(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="Blue."))
    app = make_app()  # not saved: the change holds in the session
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour")
        screen = await open_context(pilot)
        await highlight(pilot, screen, 0)
        await pilot.press("enter")  # Enter does what Space does
        await pilot.press("escape")
        prompt = chat_of(app).query(UserMessage).first()
        assert prompt.has_class("-left-out")
        assert shown_text(prompt).splitlines()[0].startswith("⊘ left out of what is sent")
        assert chat_of(app).session.conversation.wire_messages() == [
            {"role": "assistant", "content": "Blue."}
        ]


async def test_a_marked_range_is_summarised_into_one_message_sent_in_its_place(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(
        Scripted(text="Blue."),
        Scripted(text="Because it is calm."),
        Scripted(text="They chose blue, for its calm."),
        Scripted(text="Green."),
    )
    app = make_app(db=db)
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour", "Why?")
        screen = await open_context(pilot)
        await highlight(pilot, screen, 0)
        await pilot.press("v", "down")  # the first prompt and its answer
        assert [row[0] for row in rows(screen)] == ["▌", "▌", " ", " "]
        await pilot.press("s")
        await wait_until(pilot, lambda: len(rows(screen)) == 5)
        asked = server.requests[-1]["messages"]
        assert asked[0]["role"] == "system" and "faithful, dense summary" in asked[0]["content"]
        assert asked[1]["content"].endswith(
            '<message role="user">\nName a colour\n</message>\n'
            '<message role="assistant">\nBlue.\n</message>\n</messages>'
        )
        assert "summary" in rows(screen)[2] and "of 2 messages" in rows(screen)[2]
        assert screen.options.highlighted == 2
        assert "Summary of 2 messages by tuichat-demo" in status(screen)
        await pilot.press("escape")
        chat = chat_of(app)
        await wait_until(pilot, lambda: bool(chat.query(SummaryMessage)))
        summary = chat.query_one(SummaryMessage)
        assert shown_text(summary.title_view).startswith("Σ Summary of 2 messages")
        assert "They chose blue, for its calm." in summary.body.text
        answers = chat.query(AssistantMessage)
        assert [a.has_class("-left-out") for a in answers] == [True, False]
        assert chat.query(UserMessage).first().has_class("-left-out")
        await converse(pilot, "Another?")
        label = (
            "[Summary of 2 earlier messages of this conversation, written by tuichat-demo "
            "and sent in their place.]"
        )
        assert server.requests[-1]["messages"] == [
            {"role": "user", "content": f"{label}\n\nThey chose blue, for its calm."},
            {"role": "user", "content": "Why?"},
            {"role": "assistant", "content": "Because it is calm."},
            {"role": "user", "content": "Another?"},
        ]
    # Reopened (`--continue`): the summary in its place, its messages dimmed.
    again = make_app(db=db, resume="last")
    async with again.run_test(size=SIZE) as pilot:
        chat = chat_of(again)
        await wait_until(pilot, lambda: bool(chat.query(SummaryMessage)))
        assert [a.has_class("-left-out") for a in chat.query(AssistantMessage)] == [
            True, False, False,
        ]  # fmt: skip
        assert not chat.query_one(SummaryMessage).has_class("-left-out")
        screen = await open_context(pilot)
        await highlight(pilot, screen, 2)
        await pilot.press("space")  # the summary out: what it replaced is sent again
        await wait_until(pilot, lambda: "left out" in rows(screen)[2])
        assert "left out" not in rows(screen)[0] and "left out" not in rows(screen)[1]
        await pilot.press("escape")
        assert chat.query_one(SummaryMessage).has_class("-left-out")
        assert not chat.query(AssistantMessage).first().has_class("-left-out")


async def test_a_summary_the_server_refuses_says_why_and_changes_nothing(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="Blue."), HTTPError(503, "overloaded, try later"))
    app = make_app(db=tmp_path / "h.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour")
        before = [dict(m) for m in chat_of(app).session.messages]
        screen = await open_context(pilot)
        await pilot.press("home", "v", "down", "s")
        await wait_until(pilot, lambda: "Nothing changed" in status(screen))
        assert "overloaded, try later" in status(screen)
        assert len(rows(screen)) == 2 and not any("left out" in row for row in rows(screen))
        await pilot.press("escape", "escape")  # the marks, then the screen
        chat = chat_of(app)
        assert not chat.query(SummaryMessage)
        assert [dict(m) for m in chat.session.messages] == before


async def test_esc_cancels_the_summary_being_written(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="Blue."), Slow("a slow summary " * 50, 20.0))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour")
        screen = await open_context(pilot)
        await pilot.press("home", "s")
        await wait_until(pilot, lambda: "characters" in status(screen))
        assert "is summarising 1 message" in status(screen) and "Esc cancels" in status(screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "cancelled" in status(screen))
        assert "Nothing changed" in status(screen)
        assert isinstance(app.screen, ContextScreen)  # Esc cancelled; it did not close
        assert len(rows(screen)) == 2


async def test_the_palette_offers_the_context_screen_and_the_warning_names_its_key(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.context_length = 20
    notices = Notices()
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=notices) as pilot:
        chat = chat_of(app)
        commands = [command.title for command in app.get_system_commands(chat)]
        assert "Context: leave out or summarise messages…" in commands
        await wait_until(pilot, lambda: "/ 20 tokens" in str(chat.prompt.border_subtitle))
        await pilot.press(*("word " * 20), "enter")
        await pilot.pause()
        assert any("F9 leaves messages out or summarises them" in m for m in notices.messages)
        assert server.requests == []


async def test_the_list_says_where_each_count_comes_from(
    make_app: AppFactory, server: ChatServer
) -> None:
    async with two_turns_in_context(make_app, server) as (_pilot, screen):
        tokens = [cells(row)[2] for row in rows(screen)]
        # The first prompt is estimated (its count holds the tools offered too); answers
        # and the prompt between two counted answers are as the server counted them.
        assert tokens[0].startswith("~")
        assert not any(count.startswith("~") for count in tokens[1:])
        assert isinstance(screen.options, OptionList)


async def test_a_click_on_the_marks_context_opens_the_screen(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="Blue."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour")
        screen = await open_context(pilot)
        await highlight(pilot, screen, 1)
        await pilot.press("space", "escape")
        answer = chat_of(app).query_one(AssistantMessage)
        await wait_until(pilot, lambda: answer.left_out_view.region.width > 0)
        at = len("⊘ left out of what is sent  ") + 2
        await pilot.click(answer.left_out_view, offset=(at, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, ContextScreen))


async def test_shift_and_the_arrows_mark_a_range_and_space_leaves_it_out(
    make_app: AppFactory, server: ChatServer
) -> None:
    async with two_turns_in_context(make_app, server) as (pilot, screen):
        await highlight(pilot, screen, 1)
        await pilot.press("shift+down", "shift+down")
        assert [row[0] for row in rows(screen)] == [" ", "▌", "▌", "▌"]
        await pilot.press("space")
        await wait_until(pilot, lambda: all("left out" in row for row in rows(screen)[1:]))
        assert "left out" not in rows(screen)[0]
        assert [row[0] for row in rows(screen)] == [" "] * 4  # the marks go once used
        wire = screen.session.conversation.wire_messages()
        assert wire == [{"role": "user", "content": "Name a colour"}]


def row_kinds(screen: ContextScreen) -> list[tuple[str, str]]:
    """Each row's state (`●` in use, `○` left out) and role."""
    return [(cells(row)[0], cells(row)[1]) for row in rows(screen)]


async def test_keys_pressed_right_after_opening_act_on_the_rows_a_person_sees(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    """F9, Space, Down, Down, v, Down, s: the screen opens on the first row, Space leaves
    out that one, and the summary is of the two rows marked, sent after the last of them."""
    server.enqueue(
        Scripted(text="Blue."),
        Scripted(text="Because it is calm."),
        Scripted(text="Green."),
        Scripted(text="They chose blue, for its calm."),
        Scripted(text="Red."),
    )
    app = make_app(db=tmp_path / "h.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour", "Why?", "Another?")
        screen = await open_context(pilot)
        assert screen.options.highlighted == 0
        await pilot.press("space")
        await wait_until(pilot, lambda: "left out" in rows(screen)[0])
        assert row_kinds(screen) == [
            ("○", "you"), ("●", "answer"), ("●", "you"), ("●", "answer"),
            ("●", "you"), ("●", "answer"),
        ]  # fmt: skip
        await pilot.press("down", "down", "v", "down")
        assert [row[0] for row in rows(screen)] == [" ", " ", "▌", "▌", " ", " "]
        await pilot.press("s")
        await wait_until(pilot, lambda: len(rows(screen)) == 7)
        assert server.requests[-1]["messages"][1]["content"].endswith(
            "<messages>\n"
            '<message role="user">\nWhy?\n</message>\n'
            '<message role="assistant">\nBecause it is calm.\n</message>\n</messages>'
        )
        assert row_kinds(screen) == [
            ("○", "you"), ("●", "answer"), ("○", "you"), ("○", "answer"),
            ("●", "summary"), ("●", "you"), ("●", "answer"),
        ]  # fmt: skip
        assert screen.options.highlighted == 4
        await pilot.press("escape")
        chat = chat_of(app)
        await wait_until(pilot, lambda: bool(chat.query(SummaryMessage)))
        shown = chat.query("UserMessage, AssistantMessage, SummaryMessage")
        assert [(type(w).__name__, w.has_class("-left-out")) for w in shown] == [
            ("UserMessage", True), ("AssistantMessage", False),
            ("UserMessage", True), ("AssistantMessage", True),
            ("SummaryMessage", False),
            ("UserMessage", False), ("AssistantMessage", False),
        ]  # fmt: skip
        await converse(pilot, "More?")
        label = (
            "[Summary of 2 earlier messages of this conversation, written by tuichat-demo "
            "and sent in their place.]"
        )
        assert server.requests[-1]["messages"] == [
            {"role": "assistant", "content": "Blue."},
            {"role": "user", "content": f"{label}\n\nThey chose blue, for its calm."},
            {"role": "user", "content": "Another?"},
            {"role": "assistant", "content": "Green."},
            {"role": "user", "content": "More?"},
        ]


async def test_up_and_down_stop_at_the_ends_of_the_list(
    make_app: AppFactory, server: ChatServer
) -> None:
    async with two_turns_in_context(make_app, server) as (pilot, screen):
        await pilot.press("up")
        assert screen.options.highlighted == 0
        await pilot.press("end", "v", "down")  # no wrapping round to the first row
        assert screen.options.highlighted == 3
        assert [row[0] for row in rows(screen)] == [" ", " ", " ", "▌"]


async def test_the_counts_follow_each_change(make_app: AppFactory, server: ChatServer) -> None:
    """An answer left out: the server's counts of the later rows no longer hold (`~`), and
    the title says what is left out; put back, they hold again."""
    server.enqueue(Scripted(text="Blue."), Scripted(text="Green."), Scripted(text="Red."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await converse(pilot, "Name a colour", "Another", "And one more")
        screen = await open_context(pilot)
        title = screen.query_one("#context-title", Static)

        def estimated() -> list[bool]:
            return [cells(row)[2].startswith("~") for row in rows(screen)]

        assert estimated() == [True, False, False, False, False, False]
        assert "0 of 6 left out" in shown_text(title)
        counted_title = shown_text(title)
        await highlight(pilot, screen, 1)
        await pilot.press("space")
        await wait_until(pilot, lambda: "1 of 6 left out" in shown_text(title))
        # The answer keeps its own count (its completion); the prompts after it were counted
        # from requests that held it.
        assert estimated() == [True, False, True, False, True, False]
        assert "Context · ~" in shown_text(title)
        await pilot.press("space")
        await wait_until(pilot, lambda: "0 of 6 left out" in shown_text(title))
        assert estimated() == [True, False, False, False, False, False]
        # The same total again; `~` stays, as the prompt's border says it (README).
        assert shown_text(title) == counted_title.replace("Context · ", "Context · ~")
