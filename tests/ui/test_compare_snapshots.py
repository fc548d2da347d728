"""How comparing models looks. Each docstring says what you should see."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tuichat.config.load import parse_settings
from tuichat.demo.server import ChatServer
from tuichat.session.compare_targets import Target
from tuichat.ui.screens.compare import CompareScreen

from .conftest import loopback_app
from .test_snapshots import converse

SIZE = (120, 30)
TARGETS = (Target("local", "demo-fast"), Target("local", "demo-slow"))


async def compare_both(pilot: Pilot[None]) -> None:
    await converse(pilot, "call nothing")  # the clock stopped: times and speeds are 0
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    while screen.answering:
        await pilot.pause(0.05)
    await pilot.pause()


def test_two_answers_side_by_side(server: ChatServer, snap_compare: Any) -> None:
    """You should see two columns, `1 local · demo-fast` (highlighted) and `2 local ·
    demo-slow`, each with the prompt `call nothing`, its answer and a stats line `TTFT 0.00
    s · 0.0 s · N → M tokens · no price`; the footer offers Enter to keep the highlighted
    answer, 1-2, and Esc back keeping none."""
    settings = parse_settings(f'[profiles.local]\nbase_url = "{server.base_url}"\n')
    app = loopback_app(server, settings=settings, compare=TARGETS)
    assert snap_compare(app, terminal_size=SIZE, run_before=compare_both)
