"""The model picker, the clipboard, help and the command palette's list of actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.ui.app import TuichatApp
from tuichat.ui.markdown_blocks import code_blocks
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.model_picker import ModelPicker

from .conftest import AppFactory, loopback_options
from .pilot_helpers import Notices, finish_turn, send, wait_until


async def test_model_picker_lists_the_servers_models_and_filters(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(pilot, lambda: bool(picker.models))
        assert "tuichat-demo" in picker.models
        await pilot.press(*"tuichat")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert app.session.provider.model == "tuichat-demo"


async def test_a_server_without_models_lets_you_type_a_name(make_app: AppFactory) -> None:
    app = make_app(base_url="http://127.0.0.1:9/v1", model="old", timeout=2, subtitle=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(
            pilot, lambda: "type a model name" in str(picker.query_one("#model-status").render())
        )
        await pilot.press(*"my-model", "enter")
        await pilot.pause()
        assert app.session.provider.model == "my-model"
        assert app.screen.sub_title == "127.0.0.1:9 · my-model"  # the header says so


async def test_a_picked_model_is_saved_in_the_profile_in_use(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'profile = "local"\n[profiles.local]\nbase_url = "{server.base_url}"\n'
        'model = "old"\nmax_retries = 0\n'
    )
    session = build_session(load_settings(config), SessionOptions(history=False), {})
    app = TuichatApp(session)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.screen.sub_title == "local · old"
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(pilot, lambda: bool(picker.models))
        await pilot.press(*"tuichat-demo", "enter")
        await wait_until(pilot, lambda: 'model = "tuichat-demo"' in config.read_text())
        assert app.screen.sub_title == "local · tuichat-demo"
    assert load_settings(config).profiles["local"].model == "tuichat-demo"


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
            "Jump to latest",
            "Help",
            "Model",
            "Copy answer",
        ):
            assert expected in titles
        assert "Cancel answer" not in titles  # nothing is arriving
        # Each entry's help says its key and what it does, not its title again.
        helps = {command.title: command.help for command in app.get_system_commands(app.screen)}
        assert helps["Branches"] == (
            "f8 · Show the conversation's branches as a tree: open one, or continue from a message."
        )
        assert helps["Previous version"] == "^←"  # its docstring is about the parameter
        assert [t for t, help in helps.items() if help.startswith(f"{t} (")] == []  # "Title (key)"
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("f1")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_keys_can_be_changed_in_the_config_file(server: ChatServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tuichat.config.load import parse_settings
    from tuichat.ui.widgets.inspector import Inspector

    settings = parse_settings('[keys]\ntoggle_inspector = "f8"\n', tmp_path / "config.toml")
    session = build_session(settings, loopback_options(server, model="m"), {})
    app = TuichatApp(session, subtitle="t")
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


async def test_the_model_count_follows_the_filter(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(pilot, lambda: bool(picker.models))

        def status() -> str:
            return str(picker.query_one("#model-status").render())

        total = len(picker.models)
        noun = "model" if total == 1 else "models"
        assert status().startswith(f"{total} {noun} · Enter picks")
        await pilot.press(*"no-such-model")
        await pilot.pause()
        assert status().startswith(f"0 of {total} {noun} · Enter uses the name typed")


async def test_a_screenshot_without_a_downloads_folder_is_saved_here_and_says_where(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # a home with no Downloads folder
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    app = make_app()
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        app.deliver_screenshot(filename="shot.svg")
        await wait_until(pilot, lambda: any("shot.svg" in n for n in notices.messages))
    assert (tmp_path / "shot.svg").read_text(encoding="utf-8").startswith("<svg")
    assert any(str(tmp_path) in n for n in notices.messages)
