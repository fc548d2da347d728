"""The real `tuichat` in a pseudo-terminal (80x24), and everything it writes there."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tuichat.demo.server import ChatServer


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
