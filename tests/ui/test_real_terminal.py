"""The real `tuichat` in tmux: what a terminal shows after each step is what a full repaint
shows (headless tests see the app's frames, not what reaches a terminal)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tuichat.demo.essay import long_text
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="needs tmux (Debian: apt-get install tmux) to run tuichat in a real terminal",
    ),
]


class Pane:
    def __init__(self, name: str, width: int, height: int) -> None:
        self.name, self.width, self.height = name, width, height

    def tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True)
        return result.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            assert time.monotonic() < deadline, f"{text!r} never shown:\n{self.text()}"
            time.sleep(0.1)

    def repainted(self) -> str:
        """What a full repaint shows: a resize makes the app draw everything again."""
        self.tmux("resize-window", "-t", self.name, "-x", str(self.width + 1))
        time.sleep(0.5)
        self.tmux("resize-window", "-t", self.name, "-x", str(self.width))
        time.sleep(0.8)
        return self.text()


@contextmanager
def tuichat_in_tmux(server: ChatServer, home: Path, width: int, height: int) -> Iterator[Pane]:
    name = f"tuichat-test-{uuid.uuid4().hex[:8]}"
    command = (
        f"XDG_CONFIG_HOME={home / 'config'} XDG_DATA_HOME={home / 'data'} "
        f"{sys.executable} -m tuichat --base-url {server.base_url} --model tuichat-demo"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command],
        check=True,
    )
    try:
        yield Pane(name, width, height)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


def test_stepping_the_inspector_through_answers_leaves_nothing_stale(
    server: ChatServer, isolated_dirs: Path
) -> None:
    replies = [long_text("terminal", paragraphs=6), "## Short\n\nA short answer.", long_text("x")]
    replies.append("A last one.")
    for text in replies:
        server.enqueue(Scripted(text=text))
    with tuichat_in_tmux(server, isolated_dirs, 80, 24) as pane:
        pane.wait_for("Message")
        for number in range(len(replies)):
            pane.keys(f"question {number}", "Enter")
            deadline = time.monotonic() + 20
            while len(server.requests) <= number:
                assert time.monotonic() < deadline, "the question was not sent"
                time.sleep(0.1)
            time.sleep(1.0)  # the answer arrives at once: let it render
        pane.keys("F2")
        time.sleep(1.0)
        stale = []
        for key in ["M-Up", "M-Up", "M-Up", "M-Up", "M-Down", "M-Down", "M-Up"]:
            pane.keys(key)
            time.sleep(0.8)
            shown = pane.text()
            if shown != pane.repainted():
                stale.append(key)
        assert stale == [], f"the terminal kept old lines after {stale}"


def test_alt_enter_starts_a_new_line_in_tmux(server: ChatServer, isolated_dirs: Path) -> None:
    server.enqueue(Scripted(text="Two lines received."))
    with tuichat_in_tmux(server, isolated_dirs, 80, 24) as pane:
        pane.wait_for("Message")
        pane.keys("line one")
        pane.keys("M-Enter")  # tmux sends ESC CR
        pane.keys("line two")
        pane.wait_for("line two")
        assert server.requests == []  # Alt+Enter did not send the prompt
        pane.keys("Enter")
        pane.wait_for("Two lines received.")
    [request] = server.requests
    assert request["messages"][-1]["content"] == "line one\nline two"


def test_the_version_keys_reach_the_app_in_tmux(server: ChatServer, isolated_dirs: Path) -> None:
    server.enqueue(Scripted(text="First answer."), Scripted(text="Second answer."))
    with tuichat_in_tmux(server, isolated_dirs, 80, 24) as pane:
        pane.wait_for("Message")
        pane.keys("hello", "Enter")
        pane.wait_for("First answer.")
        pane.wait_for("stop ·")
        pane.keys("C-r")  # a second version
        pane.wait_for("< 2/2 >")
        pane.keys("C-Left")  # tmux sends ESC [1;5D
        pane.wait_for("< 1/2 >")
        assert "First answer." in pane.text() and "Second answer." not in pane.text()
        pane.keys("M-d")  # ESC d: the diff, and no "d" typed into the prompt
        pane.wait_for("1 word deleted, 1 word inserted")
        pane.keys("Escape")
        time.sleep(0.5)  # an ESC with more right after it would be read as Alt+ that key
        pane.keys("F8")
        pane.wait_for("Branches of hello")
        pane.keys("Escape")
        time.sleep(0.5)
        assert "Message (Enter sends" in pane.text()  # the prompt is still empty
