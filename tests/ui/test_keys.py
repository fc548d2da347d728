"""The model picker, the clipboard, help and the command palette's list of actions."""

from __future__ import annotations

from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.ui.screens.chat import ChatScreen, code_blocks
from tuichat.ui.screens.model_picker import ModelPicker

from .conftest import AppFactory
from .pilot_helpers import finish_turn, send, wait_until


async def test_model_picker_lists_the_servers_models_and_filters(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(pilot, lambda: bool(picker.models))
        assert "tuichat-demo" in picker.models
        await pilot.press(*"demo")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert app.conversation.client.provider.model == "tuichat-demo"


async def test_a_server_without_models_lets_you_type_a_name(make_app: AppFactory) -> None:
    app = make_app(base_url="http://127.0.0.1:9/v1", model="old", timeout=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(
            pilot, lambda: "type a model name" in str(picker.query_one("#model-status").render())
        )
        await pilot.press(*"my-model", "enter")
        await pilot.pause()
        assert app.conversation.client.provider.model == "my-model"
        assert "my-model" in app.sub_title or app.fixed_subtitle


async def test_copy_the_last_answer_and_its_code_block(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="Here:\n\n```python\nprint('hi')\n```\n\nDone."))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "code please")
        await finish_turn(pilot)
        await pilot.press("ctrl+y")
        assert app.clipboard == "Here:\n\n```python\nprint('hi')\n```\n\nDone."
        await pilot.press("alt+y")
        assert app.clipboard == "print('hi')"


def test_code_blocks_are_found_in_order() -> None:
    text = "a\n```py\none\n```\nb\n~~~\ntwo\nthree\n~~~\n```\nunclosed"
    assert code_blocks(text) == ["one", "two\nthree"]


async def test_every_screen_action_is_in_the_command_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for expected in (
            "Inspector",
            "Cancel answer",
            "Jump to latest",
            "Help",
            "Model",
            "Copy answer",
        ):
            assert expected in titles
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("f1")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_keys_can_be_changed_in_the_config_file(server: ChatServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tuichat.config.settings import parse_settings
    from tuichat.core.client import ChatClient, Provider
    from tuichat.core.conversation import Conversation
    from tuichat.ui.app import TuichatApp
    from tuichat.ui.widgets.inspector import Inspector

    settings = parse_settings('[keys]\ntoggle_inspector = "f8"\n', tmp_path / "config.toml")
    provider = Provider(base_url=server.base_url, model="m", max_retries=0)
    app = TuichatApp(Conversation(ChatClient(provider)), subtitle="t", settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        inspector = app.screen.query_one(Inspector)
        await pilot.press("f2")
        await pilot.pause()
        assert not inspector.display  # the old key no longer toggles it
        await pilot.press("f8")
        await pilot.pause()
        assert inspector.display


def test_every_remappable_action_is_documented() -> None:
    from importlib.resources import files
    from pathlib import Path

    example = (files("tuichat.config") / "example.toml").read_text()
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    keys_row = next(line for line in readme.splitlines() if line.startswith("| `[keys]"))
    for binding in ChatScreen.BINDINGS:
        key_id = binding.id  # type: ignore[union-attr]
        assert f'# {key_id} = "' in example, key_id
        assert f"`{key_id}`" in keys_row, key_id
