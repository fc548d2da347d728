"""The footer shows the screen's keys on one line, as Textual's Footer does, in one widget."""

from __future__ import annotations

from textual.widgets import HelpPanel

from tuichat.demo.replies import Slow
from tuichat.demo.server import ChatServer
from tuichat.ui.widgets.key_footer import KeyFooter

from .conftest import AppFactory
from .pilot_helpers import answer_receiving, finish_turn, send, wait_until


async def test_the_footer_shows_each_shown_key_once_with_the_palette_at_the_right(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        words = [key.description for key in footer.keys]
        assert words[:3] == ["Copy answer", "Inspector", "Jump to latest"]
        assert "Cancel answer" not in words  # nothing is arriving
        assert "Help" in words and "Model" in words and "Tools" in words
        assert len(words) == len(set(words))  # one key per action
        assert "Retry" not in words and "Next tab" not in words  # not now: check_action
        line = footer.render().plain
        assert len(line) == 120
        assert line.rstrip().endswith("▏^p palette")
        assert line.startswith(" ^y Copy answer  f2 Inspector ")


async def test_a_narrow_footer_cuts_the_keys_and_keeps_the_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        line = app.screen.query_one(KeyFooter).render().plain
        assert len(line) == 40
        assert line.startswith(" ^y Copy answer  f2 Inspecto▏")  # cut where the palette starts
        assert line.endswith("▏^p palette ")


async def test_a_click_on_a_key_presses_it(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        line = footer.render().plain
        assert not app.screen.query(HelpPanel)
        await pilot.click(KeyFooter, offset=(line.index("Help"), 0))
        await pilot.pause()
        assert app.screen.query(HelpPanel)


async def test_esc_shows_in_the_footer_while_an_answer_arrives_or_the_last_prompt_is_edited(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow(" ".join(f"word{n}" for n in range(40)), tokens_per_second=40))
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)

        def shown() -> list[str]:
            return [key.description for key in footer.keys]

        assert "Cancel answer" not in shown() and "Leave the edit" not in shown()
        await send(pilot, "hello")
        await answer_receiving(pilot, "word1 ")
        await wait_until(pilot, lambda: "Cancel answer" in shown())
        chat = await finish_turn(pilot)
        assert "Cancel answer" not in shown()
        await pilot.press("ctrl+e")
        assert chat.editing and chat.prompt.text == "hello"
        assert "Leave the edit" in shown() and "Cancel answer" not in shown()
        await pilot.press("escape")
        assert not chat.editing and chat.prompt.text == ""
        assert "Leave the edit" not in shown()
        await pilot.press("escape")  # nothing to cancel or leave: nothing happens
        assert not chat.editing and len(chat.messages.children) == 2
