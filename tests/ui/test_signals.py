"""The real `tuichat` in a pseudo-terminal, stopped by a signal or by losing its terminal: it
saves the partial answer, puts the terminal back as it found it, and exits 128 + N."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.ui.terminal import tuichat_in_a_terminal
from tuichat.demo.replies import Slow
from tuichat.demo.server import ChatServer

pytestmark = pytest.mark.slow

# What a terminal must be told when a full-screen app is done with it.
RESTORED = {
    "alternate screen off": b"\x1b[?1049l",
    "cursor shown": b"\x1b[?25h",
    "mouse reporting off": b"\x1b[?1000l",
    "SGR mouse off": b"\x1b[?1006l",
}


def saved(db: Path) -> list[tuple[str, str, str]]:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT role, status, content FROM messages ORDER BY id")
        return [tuple(row) for row in rows]
    finally:
        connection.close()


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP", "terminal closed"])
def test_a_stopped_app_saves_the_partial_answer_and_restores_the_terminal(
    server: ChatServer, isolated_dirs: Path, tmp_path: Path, stop: str
) -> None:
    server.enqueue(Slow("word " * 400, tokens_per_second=50))
    db = tmp_path / "history.sqlite3"
    with tuichat_in_a_terminal(server, isolated_dirs, db) as terminal:
        terminal.wait_for(b"Message")
        terminal.type("hello\r")
        terminal.wait_for(b"word word word word")
        before = len(terminal.output)
        if stop == "terminal closed":
            os.close(terminal.fd)  # the window closed: the kernel hangs the app up
            expected = 128 + signal.SIGHUP
        else:
            signum = getattr(signal, stop)
            os.kill(terminal.pid, signum)
            expected = 128 + signum
        assert terminal.exit_status() == expected
        after = bytes(terminal.output[before:])
    if stop != "terminal closed":  # with no terminal left there is nothing to restore
        missing = [what for what, code in RESTORED.items() if code not in after]
        assert missing == []
        assert b"Traceback" not in after
    [(user, user_status, prompt), (role, status, text)] = saved(db)
    assert (user, user_status, prompt) == ("user", "complete", "hello")
    assert role == "assistant" and status == "cancelled"
    assert text.startswith("word word") and len(text) < len("word " * 400)


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_an_app_whose_terminal_stopped_reading_still_ends_on_a_signal(
    server: ChatServer, isolated_dirs: Path, tmp_path: Path, stop: str
) -> None:
    # A frozen terminal (a stalled ssh, a suspended window) reads nothing: the app's writes
    # fill it and then Textual's queue of writes, and its event loop waits on that queue.
    server.enqueue(Slow("word " * 2000, tokens_per_second=400))
    with tuichat_in_a_terminal(server, isolated_dirs, tmp_path / "history.sqlite3") as terminal:
        terminal.wait_for(b"Message")
        terminal.type("hello\r")
        terminal.wait_for(b"word word word word")
        terminal.reading.clear()
        time.sleep(3)  # the answer goes on arriving: the terminal's buffer and the queue fill
        signum = getattr(signal, stop)
        os.kill(terminal.pid, signum)
        assert terminal.exit_status(timeout=20) == 128 + signum
