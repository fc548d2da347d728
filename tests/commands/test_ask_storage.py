"""`tuichat ask` and the history file: many at once on a new database, a read-only database.

Real processes against the loopback server, with the history in a real SQLite file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore

ASKS = 8


def ask_argv(server: ChatServer, db: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "tuichat", "ask", "--db", str(db),
        "--base-url", server.base_url, "--model", "tuichat-demo", *args,
    ]  # fmt: skip


def environment() -> dict[str, str]:
    return {**os.environ, "OPENAI_API_KEY": "sk-test-ask-storage", "PYTHONIOENCODING": "utf-8"}


def saved(db: Path) -> list[list[dict[str, Any]]]:
    """Every conversation's messages, oldest conversation first."""
    with HistoryStore(db) as store:
        return [store.load_messages(c.id) for c in reversed(store.list_conversations())]


def wait_until_reading_stdin(process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until the process blocks in read(0, ...): its start-up is over (Linux's /proc)."""
    deadline = time.monotonic() + timeout
    syscall = Path(f"/proc/{process.pid}/syscall")
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if syscall.read_text().startswith("0 0x0 "):  # read, fd 0
                return
        except OSError:  # no /proc: give start-up time instead
            time.sleep(5)
            return
        time.sleep(0.02)
    raise AssertionError("the process never read its stdin")


def test_eight_asks_at_once_on_a_new_database_all_answer_and_are_saved(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "new" / "history.sqlite3"
    processes, starts = [], []
    for _ in range(ASKS):
        read_end, write_end = os.pipe()
        processes.append(
            subprocess.Popen(
                ask_argv(server, db, "hello"),
                stdin=read_end,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment(),
            )
        )
        os.close(read_end)
        starts.append(write_end)
    # Each reads its piped stdin (empty: no context) before it opens the history: once all
    # are waiting there, closing the pipes starts them at the same moment.
    for process in processes:
        wait_until_reading_stdin(process)
    for write_end in starts:
        os.close(write_end)
    results = [process.communicate(timeout=120) for process in processes]
    assert [(p.returncode, err) for p, (_, err) in zip(processes, results, strict=True)] == [
        (0, "")
    ] * ASKS
    answers = [out for out, _ in results]
    assert all(answer.strip() for answer in answers)
    conversations = saved(db)
    assert len(conversations) == ASKS
    assert all([m["role"] for m in c] == ["user", "assistant"] for c in conversations)
    assert all(c[0]["content"] == "hello" for c in conversations)
    assert sorted(c[1]["content"] + "\n" for c in conversations) == sorted(answers)


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """The file's bytes, mtime and the files beside it: to prove nothing was touched."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def run_ask(server: ChatServer, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ask_argv(server, db, *args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_ask_on_a_read_only_history_answers_and_says_it_could_not_save(
    server: ChatServer, tmp_path: Path, read_only: str
) -> None:
    directory = tmp_path / "history"
    db = directory / "history.sqlite3"
    server.enqueue(Scripted(text="Paris."))
    assert run_ask(server, db, "Capital of France?").returncode == 0
    (db if read_only == "file" else directory).chmod(0o444 if read_only == "file" else 0o555)
    before = snapshot(db)
    try:
        server.enqueue(Scripted(text="About 2 million."), Scripted(text="Hi."))
        continued = run_ask(server, db, "-c", "Its population?")
        as_json = run_ask(server, db, "--json", "hello")
        after = snapshot(db)
    finally:
        directory.chmod(0o755)
        db.chmod(0o644)

    # The answer is printed; the one line on stderr says it was not saved, and why; status 1.
    assert continued.stdout == "About 2 million.\n"
    assert continued.returncode == 1
    [line] = continued.stderr.splitlines()
    assert line.startswith("tuichat ask: the answer was not saved: ") and "read-only" in line
    assert str(db) in line and "chmod u+w" in line
    # -c read the saved conversation from the read-only file.
    assert [m["content"] for m in server.requests[1]["messages"]] == [
        "Capital of France?",
        "Paris.",
        "Its population?",
    ]
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    assert document["messages"][-1]["content"] == "Hi."
    assert document["error"]["kind"] == "storage" and "read-only" in document["error"]["message"]
    assert after == before  # not a byte, not the mtime, no file beside it
    assert [[m["content"] for m in c] for c in saved(db)] == [["Capital of France?", "Paris."]]
