"""Output into a pipe whose reader stops early (`tuichat list | head -1`) ends quietly.

Real processes, a real pipe: the test reads one line and closes its end while the command
is still writing (its output is far bigger than the pipe's buffer), as `head -1` does; or
closes it before the command writes anything, as `head -n 0`, `true` or `grep -q` may.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tuichat.commands import history
from tuichat.storage.store import HistoryStore

BIG = 300_000  # characters: far more than a pipe holds (64 KiB on Linux)


def read_then_close(lines: int, *argv: str) -> tuple[bytes, int, str]:
    """Run `python -m tuichat ARGV`, read `lines` lines of its output, close the pipe.

    Returns:
        The line read, the exit status and everything written on stderr.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "tuichat", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        line = b"".join(process.stdout.readline() for _ in range(lines))
        process.stdout.close()  # the reader has all it wanted
        err = process.stderr.read().decode()
        status = process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    return line, status, err


@pytest.fixture(scope="module")
def big_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history whose list and whose last conversation's export are both over BIG."""
    path = tmp_path_factory.mktemp("closed-pipe") / "h.sqlite3"
    with HistoryStore(path) as store:
        for number in range(BIG // 50):
            prompt = {"role": "user", "content": f"question {number} " + "about pipes " * 6}
            store.create_conversation(model="m", messages=[prompt])
        answer = {"role": "assistant", "content": "A long answer line.\n" * (BIG // 20)}
        store.create_conversation(model="m", messages=[{"role": "user", "content": "long"}, answer])
    return path


def output_size(*argv: str) -> int:
    out, err = io.StringIO(), io.StringIO()
    assert history.run(list(argv), stdout=out, stderr=err) == 0, err.getvalue()
    return len(out.getvalue())


@pytest.mark.parametrize(
    "argv",
    [["list"], ["list", "--json"], ["export", "last"], ["export", "last", "--format", "json"]],
    ids=["list", "list-json", "export-md", "export-json"],
)
@pytest.mark.parametrize("lines", [1, 0], ids=["head-1", "head-0"])
def test_list_and_export_into_a_closed_pipe_exit_0_quietly(
    big_history: Path, argv: list[str], lines: int
) -> None:
    args = [*argv, "--db", str(big_history)]
    assert output_size(*args) > BIG
    line, status, err = read_then_close(lines, *args)
    assert line.count(b"\n") == lines
    assert err == ""  # no traceback, no "Exception ignored" from the final flush
    assert status == 0


@pytest.mark.parametrize("lines", [1, 0], ids=["head-1", "head-0"])
def test_config_show_into_a_closed_pipe_exits_0_quietly(tmp_path: Path, lines: int) -> None:
    config = tmp_path / "config.toml"
    prompt = "a long system prompt " * (BIG // 20)
    config.write_text(
        f'[profiles.long]\nmodel = "m"\nsystem_prompt = "{prompt}"\n', encoding="utf-8"
    )
    line, status, err = read_then_close(lines, "config", "show", "--config", str(config))
    assert line.startswith(b"# Effective settings" if lines else b"")
    assert (status, err) == (0, "")
