"""How the Context screen and a conversation with messages left out look. Each docstring
says what you should see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.ui.screens.context import ContextScreen

from .conftest import AppFactory
from .test_snapshots import converse

SIZE = (100, 30)


def replies(server: ChatServer) -> None:
    server.enqueue(
        Scripted(text="Blue."),
        Scripted(text="Because it is calm."),
        Scripted(text="Green."),
        Scripted(text="- The user asked why blue: it is calm."),
    )


async def leave_out_and_summarise(pilot: Pilot[None]) -> None:
    """Three turns; the second summarised, the third's answer left out; the screen open."""
    await converse(pilot, "Name a colour", "Why that one?", "And another?")
    await pilot.press("f9")
    while not isinstance(pilot.app.screen, ContextScreen) or not pilot.app.screen.items:
        await pilot.pause(0.01)
    screen = pilot.app.screen
    await pilot.press("home", "down", "down", "v", "down", "s")
    while len(screen.items) < 7:
        await pilot.pause(0.01)
    await pilot.press("end", "space", "up", "up")
    await pilot.pause()


def test_context_screen(
    make_app: AppFactory, server: ChatServer, tmp_path: Path, snap_compare: Any
) -> None:
    """You should see the panel `Context · ~… / … tokens (…%) · 3 of 7 left out`, then the
    rows `● you Name a colour`, `● answer Blue.`, `○ you left out Why that one?`,
    `○ answer left out Because it is calm.`, `● summary of 2 messages: - The user asked why
    blue: it is calm.` (highlighted), `● you And another?` and `○ answer left out Green.`;
    counts as the server gave them, `~` where estimated; the left-out rows muted; under
    them the status and the keys."""
    replies(server)
    app = make_app(db=tmp_path / "history.sqlite3")
    assert snap_compare(app, terminal_size=SIZE, run_before=leave_out_and_summarise)


def test_left_out_messages_in_the_conversation(
    make_app: AppFactory, server: ChatServer, tmp_path: Path, snap_compare: Any
) -> None:
    """You should see, dimmed and marked `⊘ left out of what is sent  context…`, the prompt
    `Why that one?` and its answer; then `Σ Summary of 2 messages · by tuichat-demo · sent
    in their place` with its text, `And another?`, and the answer `Green.` dimmed and
    marked too."""
    replies(server)
    app = make_app(db=tmp_path / "history.sqlite3")

    async def close_it(pilot: Pilot[None]) -> None:
        await leave_out_and_summarise(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=close_it)
