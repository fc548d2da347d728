"""`tuichat ask --retries N` as a real process: an answer that stalls or drops is asked again
from the start; a script reading stdout gets one attempt's text, never a partial one twice;
the client's own retries (a 429) are told on stderr."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from tuichat.demo.replies import DropAfter, HTTPError, Scripted, stalled_after
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore

from .test_ask import ask_run, command, environment


def test_a_dropped_answer_is_asked_again_and_a_pipe_reads_only_the_last(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.db"
    server.enqueue(
        DropAfter(text="partial words that never end", after=2), Scripted(text="The whole answer.")
    )
    code, out, err = ask_run(server, db, "--retries", "2", "hello")
    assert code == 0, err
    assert out == "The whole answer.\n"
    assert "[retry] the answer dropped: asking again from the start (attempt 2 of 3)" in err
    assert len(server.requests) == 2
    with HistoryStore(db) as store:
        (conversation,) = store.list_conversations()
        shown = store.load_messages(conversation.id)
        every = store.message_rows(conversation.id, include_replaced=True)
    assert [m["content"] for m in shown] == ["hello", "The whole answer."]
    assert len(every) == 3, "the dropped attempt stays in the history, marked replaced"


def test_a_stalled_answer_is_asked_again_until_one_completes(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(
        stalled_after("stuck ", 8), stalled_after("stuck again ", 8), Scripted(text="Done.")
    )
    code, out, err = ask_run(
        server, tmp_path / "h.db", "--stall-timeout", "0.5", "--retries", "2", "hello"
    )
    assert code == 0, err
    assert out == "Done.\n"
    assert err.count("[retry] the answer stalled") == 2
    assert "(attempt 3 of 3)" in err


def test_when_the_retries_run_out_the_last_partial_answer_is_printed_once(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(stalled_after("first try ", 8), stalled_after("second try ", 8))
    code, out, err = ask_run(
        server, tmp_path / "h.db", "--stall-timeout", "0.5", "--retries", "1", "hello"
    )
    assert code == 1
    assert out == "second try \n"
    assert "stopped sending" in err and "0.5 s" in err


def test_with_json_only_the_last_attempt_is_reported(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(DropAfter(text="cut off here", after=1), Scripted(text="Complete."))
    code, out, err = ask_run(server, tmp_path / "h.db", "--json", "--retries", "1", "hello")
    assert code == 0, err
    document = json.loads(out)
    assert document["error"] is None
    assert [m["content"] for m in document["messages"]] == ["hello", "Complete."]


def test_without_retries_a_drop_is_not_asked_again(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(DropAfter(text="cut off here", after=1), Scripted(text="never"))
    code, out, _ = ask_run(server, tmp_path / "h.db", "hello")
    assert code == 1 and "never" not in out
    assert len(server.requests) == 1


def test_the_clients_own_retries_are_told_on_stderr(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(
        HTTPError(429, "Rate limit reached", headers={"Retry-After": "0.2"}),
        Scripted(text="After the wait."),
    )
    code, out, err = ask_run(server, tmp_path / "h.db", "hello")
    assert code == 0, err
    assert out == "After the wait.\n"
    assert "[retry] HTTP 429 (rate limited): asking again in 0.2 s (attempt 2 of 3)" in err


def test_retries_must_be_a_count(server: ChatServer, tmp_path: Path) -> None:
    code, _, err = ask_run(server, tmp_path / "h.db", "--retries", "-1", "hello")
    assert code == 2 and "--retries" in err


def test_on_a_terminal_the_text_streams_and_restarts_after_a_retry(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(DropAfter(text="seen at once", after=2), Scripted(text="Then the answer."))
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            command(server, tmp_path / "h.db", "--retries", "1", "hello"),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=environment(),
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the process closed its end of the terminal
                break
            if not data:
                break
            shown += data
        _, err = process.communicate(timeout=60)
    finally:
        os.close(leader)
    text = shown.decode().replace("\r\n", "\n")
    assert process.returncode == 0, err
    # The dropped attempt's words were shown as they came; the answer follows on its own line.
    assert text.startswith("seen")
    assert text.endswith("\nThen the answer.\n")
    assert b"[retry]" in err
