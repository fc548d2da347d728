"""Notifications never cover the prompt, and go by themselves."""

from __future__ import annotations

from tuichat.config.settings import Settings
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.prompt import PromptInput

from .conftest import loopback_options
from .pilot_helpers import wait_until


async def test_a_start_up_notice_leaves_the_prompt_in_view_at_80x24(server: ChatServer) -> None:
    problems = [f"config.toml, line {n}: unknown key 'thing{n}' (kept)" for n in range(4)]
    session = build_session(Settings(), loopback_options(server), {})
    app = TuichatApp(session, subtitle="test", notices=problems)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")))
        await pilot.pause()
        prompt = app.screen.query_one(PromptInput).region
        for toast in app.screen.query("Toast"):
            assert not toast.region.overlaps(prompt), (toast.region, prompt)
        await pilot.press("ctrl+n")  # "New conversation." too
        await wait_until(pilot, lambda: len(app.screen.query("Toast")) >= 2)
        await pilot.pause()
        for toast in app.screen.query("Toast"):
            assert not toast.region.overlaps(prompt), (toast.region, prompt)
    assert app.NOTIFICATION_TIMEOUT <= 5
