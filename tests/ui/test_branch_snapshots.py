"""How branches look. Each docstring says what you should see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer

from .conftest import AppFactory
from .test_snapshots import converse

SIZE = (100, 30)


async def regenerate_then_edit(pilot: Pilot[None]) -> None:
    await converse(pilot, "Name a colour")
    await pilot.press("ctrl+r")
    await pilot.app.workers.wait_for_complete()
    await converse(pilot, "Why that one?")
    await pilot.press("ctrl+e", *" Be brief.", "enter")
    for _ in range(3):  # the turn, then the marks read again from the history
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_versions_marks(
    make_app: AppFactory, server: ChatServer, tmp_path: Path, snap_compare: Any
) -> None:
    """You should see `Name a colour`, the answer `Green.` with `< 2/2 >  diff` under it,
    the prompt `Why that one? Be brief.` with `< 2/2 >  ctrl+←/→ versions` under it (the
    selected message), and its answer `Because it is calm.`."""
    server.enqueue(
        Scripted(text="Blue."),
        Scripted(text="Green."),
        Scripted(text="Because it is the sky's."),
        Scripted(text="Because it is calm."),
    )
    app = make_app(db=tmp_path / "history.sqlite3")
    assert snap_compare(app, terminal_size=SIZE, run_before=regenerate_then_edit)


def test_branch_tree(
    make_app: AppFactory, server: ChatServer, tmp_path: Path, snap_compare: Any
) -> None:
    """You should see the panel `Branches of Name a colour  3 branches · branch 3 shown`:
    `you Name a colour`, under it `1/2 answer [branch 1] Blue.` and `2/2 answer Green.`,
    under Green the two versions of the next prompt, `1/2 you Why that one?` with its answer
    `[branch 2]` and `2/2 you Why that one? Be brief.` with its answer `[branch 3 · shown]`;
    the shown ones bold with `●`, the others muted with `○`."""
    server.enqueue(
        Scripted(text="Blue."),
        Scripted(text="Green."),
        Scripted(text="Because it is the sky's."),
        Scripted(text="Because it is calm."),
    )
    app = make_app(db=tmp_path / "history.sqlite3")

    async def open_tree(pilot: Pilot[None]) -> None:
        await regenerate_then_edit(pilot)
        await pilot.press("f8")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_tree)


def test_versions_mark_of_a_prompt_with_files(
    make_app: AppFactory,
    server: ChatServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    snap_compare: Any,
) -> None:
    """You should see the prompt `Sum up @notes.txt in a word`, its file's chip
    `▶ notes.txt · 20 B · text, 2 lines` under it and under the chip `< 2/2 >  ctrl+←/→
    versions` (the selected message), then its answer `Short.`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("milk\neggs and flour\n")
    server.enqueue(Scripted(text="A shopping list."), Scripted(text="Short."))

    async def edit(pilot: Pilot[None]) -> None:
        await converse(pilot, "Sum up @notes.txt")
        await pilot.press("ctrl+e", *" in a word", "enter")
        for _ in range(3):  # the turn, then the marks read again from the history
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    app = make_app(db=tmp_path / "history.sqlite3")
    assert snap_compare(app, terminal_size=SIZE, run_before=edit)
