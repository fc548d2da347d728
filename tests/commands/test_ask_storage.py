"""`tuichat ask` and the history file: many at once on a new database, a read-only database.

Real processes against the loopback server, with the history in a real SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
