"""Choosing a prompt of the library in the app: F7's picker, the template's form, the palette,
`--role`, and the prompt shown in the header and restored with the conversation."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList

from tests.ui.conftest import loopback_app
from tests.ui.pilot_helpers import finish_turn, send
from tuichat.demo.server import ChatServer
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.prompt_picker import PromptPicker
from tuichat.ui.screens.prompt_variables import PromptVariables


def chat_of(pilot_app: object) -> ChatScreen:
    chat = getattr(pilot_app, "chat", None)
    assert isinstance(chat, ChatScreen)
    return chat


async def test_f7_picks_a_prompt_its_form_fills_the_template_and_it_is_sent(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.db"
    app = loopback_app(server, db=db, subtitle=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f7")
        picker = app.screen
        assert isinstance(picker, PromptPicker)
        await pilot.press(*"transl")
        options = picker.query_one(OptionList)
        assert options.option_count == 1
        await pilot.press("enter")
        form = app.screen
        assert isinstance(form, PromptVariables)
        fields = list(form.query(Input))
        assert [field.placeholder for field in fields] == ["language", "text"]
        await pilot.press(*"French", "enter", *"Good morning", "enter")
        chat = chat_of(app)
        assert app.screen is chat
        assert chat.prompt.text == "Translate this into French:\n\nGood morning"
        assert "prompt translate" in chat.sub_title
        await pilot.press("enter")  # the filled template is sent as it stands
        await finish_turn(pilot)
    messages = server.requests[-1]["messages"]
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith("You are a professional translator.")
    assert messages[1]["content"] == "Translate this into French:\n\nGood morning"

    again = loopback_app(server, db=db, subtitle=None, resume="last")
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chat = chat_of(again)
        assert "prompt translate" in chat.sub_title  # saved with the conversation
        assert chat.session.messages[0]["content"] == messages[0]["content"]


async def test_a_prompt_chosen_after_turns_starts_a_new_conversation(
    server: ChatServer,
) -> None:
    app = loopback_app(server, subtitle=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        chat = await finish_turn(pilot)
        assert "prompt" not in chat.sub_title
        await chat.use_prompt("code-review")  # what the palette's "Prompt: code-review" runs
        await pilot.pause()
        assert chat.session.messages == [
            {
                "role": "system",
                "content": chat.session.prompts.get("code-review").system,
                "prompt": "code-review",
            }
        ]
        assert "prompt code-review" in chat.sub_title
        assert chat.prompt.text == ""  # no template: the user writes the message
        await send(pilot, "def f(): pass")
        await finish_turn(pilot)
    sent = server.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]


async def test_the_palette_offers_each_prompt(server: ChatServer) -> None:
    app = loopback_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Prompt: translate" in titles
        assert "Choose a prompt…" in titles


async def test_role_with_every_variable_puts_the_filled_template_in_the_input(
    server: ChatServer,
) -> None:
    app = loopback_app(server, subtitle=None, role="translate", variables=(("language", "Korean"),))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PromptVariables)  # `text` was not given: it is asked
        assert form.query(Input).first().value == "Korean"
        await pilot.press(*"hi", "enter")
        chat = chat_of(app)
        assert chat.prompt.text == "Translate this into Korean:\n\nhi"
        assert "prompt translate" in chat.sub_title
