"""The real `tuichat` in a pseudo-terminal, stopped by a signal or by losing its terminal: it
saves the partial answer, puts the terminal back as it found it, and exits 128 + N."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import sqlite3
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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


class Terminal:
    """A pseudo-terminal with a process in it, and everything the process wrote."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.output = bytearray()
        self.reading = threading.Event()  # cleared: the terminal stops reading (frozen)
        self.reading.set()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            self.reading.wait()
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the other side is gone
                return
            if not data:
                return
            self.output.extend(data)

    def wait_for(self, text: bytes, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert time.monotonic() < deadline, f"{text!r} never shown"
            time.sleep(0.05)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def exit_status(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self._reader.join(2)
                return os.waitstatus_to_exitcode(status)
            assert time.monotonic() < deadline, "the app did not exit"
            time.sleep(0.05)


@contextmanager
def tuichat_in_a_terminal(server: ChatServer, home: Path, db: Path) -> Iterator[Terminal]:
    env = dict(
        os.environ,
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        TERM="xterm-256color",
    )
    argv = [sys.executable, "-m", "tuichat", "--base-url", server.base_url, "--model", "m"]
    argv += ["--no-tools", "--db", str(db)]
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, in the terminal
        os.execve(sys.executable, argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    terminal = Terminal(pid, fd)
    try:
        yield terminal
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        try:
            os.close(fd)
        except OSError:
            pass


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
