"""`tuichat export` and `tuichat ask --continue` on a conversation with branches: the branch
shown last by default, `--branch N` for another, `--branches` to list them."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from tuichat.commands import ask, history
from tuichat.core.events import RawChunk, RequestSent
from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = history.run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def answer(text: str) -> dict[str, object]:
    return {
        "role": "assistant",
        "content": text,
        "reasoning": None,
        "finish_reason": "stop",
        "usage": None,
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A conversation whose answer was regenerated, then shown as it was first."""
    path = tmp_path / "h.sqlite3"
    ticks = iter(range(1_700_000_000, 1_700_001_000))
    with HistoryStore(path, clock=lambda: float(next(ticks))) as store:
        cid = store.create_conversation(model="m", provider="p")
        store.add_message(cid, {"role": "user", "content": "Which colour?"})
        first = store.add_message(cid, answer("Blue."), model="m")
        store.save_raw_chunks(first, [RequestSent({"body": {}}), RawChunk('{"a": 1}', 0.1)])
        store.replace_last_answer(cid)
        second = store.add_message(cid, answer("Green."), model="m")
        store.save_raw_chunks(second, [RequestSent({"body": {}}), RawChunk('{"b": 2}', 0.1)])
        store.switch_branch(cid, first)  # the user stepped back to "Blue."
    return path


def test_export_follows_the_branch_shown_last(db: Path) -> None:
    code, out, err = run("export", "1", "--db", str(db))
    assert (code, err) == (0, "")
    assert "Blue." in out and "Green." not in out
    assert "branch 1 of 2" in out.splitlines()[2]
    document = json.loads(run("export", "1", "--db", str(db), "--format", "json")[1])
    assert [m["content"] for m in document["messages"]] == ["Which colour?", "Blue."]
    assert (document["conversation"]["branch"], document["conversation"]["branches"]) == (1, 2)


def test_export_branch_n_exports_another_branch(db: Path) -> None:
    code, out, _ = run("export", "1", "--db", str(db), "--branch", "2", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert [m["content"] for m in document["messages"]] == ["Which colour?", "Green."]
    assert document["conversation"]["branch"] == 2
    # Exporting reads only: the branch shown stays the one shown.
    with HistoryStore(db) as store:
        assert store.load_messages(1)[-1]["content"] == "Blue."
    # --turn on that branch: its answer's wire.
    code, turn, err = run("export", "1", "--db", str(db), "--branch", "2", "--format", "turn")
    assert code == 0, err
    assert [read["text"] for read in json.loads(turn)["body"]] == ['data: {"b": 2}\n\n']


def test_export_branches_lists_them(db: Path) -> None:
    code, out, err = run("export", "last", "--db", str(db), "--branches")
    assert (code, err) == (0, "")
    assert [line.split("\t") for line in out.splitlines()] == [
        ["1", "shown", "2 messages", "answer 1/2: Blue."],
        ["2", "", "2 messages", "answer 2/2: Green."],
    ]


def test_a_branch_that_is_not_there_is_a_clear_error(db: Path) -> None:
    code, out, err = run("export", "1", "--db", str(db), "--branch", "3")
    assert (code, out) == (1, "")
    assert "has 2 branches, not 3" in err and "--branches" in err
    assert err.count("\n") == 1
    code, _, err = run("export", "1", "--db", str(db), "--branch", "two")
    assert code == 2 and "--branch must be 1, 2, ..." in err


def test_export_help_names_a_branch_by_its_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        history.run(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--branch N" in text and "--branches" in text and "branch shown last" in text


def test_ask_continue_follows_the_branch_shown_last(server: ChatServer, db: Path) -> None:
    server.enqueue(Scripted(text="Navy, then."))
    out, err = io.StringIO(), io.StringIO()
    argv = ["ask", "--db", str(db), "--base-url", server.base_url, "--model", "m", "-c", "Darker?"]
    environ = {**os.environ, "OPENAI_API_KEY": "sk-test-export-branches"}
    code = ask.run(argv, stdin=io.StringIO(""), stdout=out, stderr=err, environ=environ)
    assert code == 0, err.getvalue()
    assert [m["content"] for m in server.requests[-1]["messages"]] == [
        "Which colour?",
        "Blue.",
        "Darker?",
    ]
    with HistoryStore(db) as store:
        assert [m["content"] for m in store.load_messages(1)] == [
            "Which colour?",
            "Blue.",
            "Darker?",
            "Navy, then.",
        ]
