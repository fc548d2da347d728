"""`tuichat ask -a FILE` and `@path` in its prompt, as a real process against the loopback
server: the files go as the app sends them, stdin still comes as context, refusals exit 2."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from tuichat.demo.replies import HTTPError
from tuichat.demo.server import ChatServer

from ..session.test_attachments import tiny_png


def ask_in(
    server: ChatServer, cwd: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m tuichat ask ...` run to the end in `cwd`, without saving."""
    return subprocess.run(
        [sys.executable, "-m", "tuichat", "ask", "--base-url", server.base_url, "--model", "m",
         "--no-save", *args],
        cwd=cwd,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        env={**os.environ, "OPENAI_API_KEY": "sk-test", "PYTHONIOENCODING": "utf-8"},
        check=False,
        timeout=60,
    )  # fmt: skip


def test_attach_and_at_path_send_the_files(server: ChatServer, tmp_path: Path) -> None:
    (tmp_path / "plan.txt").write_text("step one")
    (tmp_path / "chart.png").write_bytes(tiny_png())
    done = ask_in(server, tmp_path, "-a", "chart.png", "read", "@plan.txt")
    assert done.returncode == 0, done.stderr
    url = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    assert server.requests[-1]["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "read @plan.txt\n\nplan.txt\n```text\nstep one\n```"},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


def test_stdin_is_context_as_before_and_its_at_signs_stay_text(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "plan.txt").write_text("step one")
    done = ask_in(server, tmp_path, "-a", "plan.txt", "review", stdin="see @plan.txt\n")
    assert done.returncode == 0, done.stderr
    assert server.requests[-1]["messages"][0]["content"] == (
        "review\n\n```\nsee @plan.txt\n```\n\nplan.txt\n```text\nstep one\n```"
    )


def test_a_file_that_cannot_be_attached_is_named_and_nothing_is_sent(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "core.dump").write_bytes(b"\x00\xff" * 10)
    done = ask_in(server, tmp_path, "-a", "core.dump", "what is this")
    missing = ask_in(server, tmp_path, "-a", "gone.txt", "what is this")
    assert done.returncode == 2 and missing.returncode == 2
    assert "core.dump is not a text file (UTF-8) or an image" in done.stderr
    assert "gone.txt does not exist" in missing.stderr
    assert server.requests == []


def test_a_server_that_refuses_images_is_told_with_their_names(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "scan.png").write_bytes(tiny_png())
    server.enqueue(HTTPError(400, "image_url is not supported by this model"))
    done = ask_in(server, tmp_path, "-a", "scan.png", "read it")
    assert done.returncode == 1
    assert "The server refused the prompt with the image scan.png" in done.stderr
    assert "image_url is not supported by this model" in done.stderr
