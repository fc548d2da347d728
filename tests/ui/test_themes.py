"""Switching themes live from the command palette, saved to the config file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.config.settings import Settings
from tuichat.config.theme_files import load_all_theme_specs
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.ui.app import TuichatApp

from .conftest import loopback_options
from .pilot_helpers import Notices, wait_until


async def test_theme_picked_in_the_palette_is_applied_and_saved(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'theme = "tuichat-dark"\nfuture_setting = [1, 2]\n\n[profiles.ollama]\nmodel = "qwen3"\n'
    )
    specs, problems = load_all_theme_specs()
    assert not problems and "tuichat-light" in specs
    session = build_session(load_settings(config), loopback_options(server, model="m"), {})
    app = TuichatApp(session, subtitle="t", theme_specs=specs, theme="tuichat-dark")
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "tuichat-dark"
        # The theme's own variables reach the CSS (tuichat's message colours).
        assert (
            app.get_css_variables()["user-message"].lower()
            == specs["tuichat-dark"].variables["user-message"].lower()
        )
        app.action_change_theme()
        await pilot.pause()
        await pilot.press(*"tuichat-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.theme == "tuichat-light")
        await wait_until(pilot, lambda: "tuichat-light" in config.read_text())
    saved = tomllib.loads(config.read_text())
    assert saved["theme"] == "tuichat-light"
    assert saved["future_setting"] == [1, 2]  # unknown keys survive the rewrite
    assert saved["profiles"]["ollama"]["model"] == "qwen3"


async def test_a_broken_theme_is_reported_once_and_the_rest_load(
    server: ChatServer, tmp_path: Path
) -> None:
    from tuichat.config.theme_files import bundled_themes_dir, load_theme_specs

    user = tmp_path / "themes"
    user.mkdir()
    (user / "broken.toml").write_text('primary = "not-a-colour"\n')
    specs, problems = load_theme_specs([bundled_themes_dir(), user])
    assert len(problems) == 1 and "broken.toml" in problems[0] and "primary" in problems[0]
    session = build_session(Settings(), loopback_options(server, model="m"), {})
    app = TuichatApp(
        session, subtitle="t", theme_specs=specs, theme="tuichat-light", notices=problems
    )
    notices = Notices()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        await pilot.pause()
        assert app.theme == "tuichat-light"
        shown = notices.messages
        assert len(shown) == 1 and "broken.toml" in shown[0]


async def test_the_palettes_theme_entry_previews_each_theme_and_esc_goes_back(
    server: ChatServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('theme = "tuichat-dark"\n')
    specs, _ = load_all_theme_specs()
    session = build_session(load_settings(config), loopback_options(server, model="m"), {})
    app = TuichatApp(session, subtitle="t", theme_specs=specs, theme="tuichat-dark")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme")
        await pilot.pause(0.3)
        await pilot.press("enter")  # the "Theme" entry of the palette
        await pilot.pause(0.3)
        await pilot.press("down")
        await pilot.pause(0.3)
        previewed = app.theme
        assert previewed != "tuichat-dark"  # moving to a theme shows it
        await pilot.press("down")
        await pilot.pause(0.3)
        assert app.theme not in ("tuichat-dark", previewed)
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert app.theme == "tuichat-dark"  # Esc goes back to the theme in use
        await app.session.settled()
    assert config.read_text() == 'theme = "tuichat-dark"\n'  # what was only shown is not saved


@pytest.mark.parametrize("theme", ["tuichat-light", "tuichat-dark"])
async def test_starting_with_a_theme_looks_as_switching_to_it(
    server: ChatServer, theme: str
) -> None:
    """The start theme is set before the CSS is first parsed (not parsed twice): the app's
    classes, its ANSI colour filter and the screen are what switching to it once up gives."""
    specs, _ = load_all_theme_specs()
    other = "tuichat-dark" if theme == "tuichat-light" else "tuichat-light"

    def app_with(start: str) -> TuichatApp:
        session = build_session(Settings(), loopback_options(server), {})
        return TuichatApp(session, subtitle="t", theme_specs=specs, theme=start)

    def look(app: TuichatApp) -> tuple[object, ...]:
        filters = [(type(f).__name__, vars(f)) for f in app._filters]
        return sorted(app.classes), filters, app.export_screenshot()

    started, switched = app_with(theme), app_with(other)
    async with started.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        started_look = look(started)
    async with switched.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        switched.theme = theme
        await pilot.pause()
        await pilot.pause()
        switched_look = look(switched)
    assert started.theme == theme and started.current_theme.dark == (theme == "tuichat-dark")
    assert started_look == switched_look
