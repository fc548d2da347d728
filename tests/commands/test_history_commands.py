"""`tuichat list` and `tuichat export` over a real history file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tuichat.commands import history
from tuichat.storage.store import HistoryStore


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = history.run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "h.sqlite3"
    now = [1_700_000_000.0]
    with HistoryStore(path, clock=lambda: now[0]) as store:
        first = store.create_conversation(model="gpt-a", provider="openai")
        store.add_message(first, {"role": "user", "content": "First\tquestion\nwith lines"})
        store.add_message(
            first, {"role": "assistant", "content": "First answer", "finish_reason": "stop"}
        )
        now[0] += 60
        second = store.create_conversation(model="llama", provider="localhost:11434")
        store.add_message(second, {"role": "user", "content": "Second question"})
    return path


def test_list_prints_tab_separated_rows_newest_first(db: Path) -> None:
    code, out, err = run("list", "--db", str(db))
    assert code == 0 and err == ""
    rows = [line.split("\t") for line in out.splitlines()]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("2", "llama", "Second question"),
        ("1", "gpt-a", "First question with lines"),
    ]
    assert all(len(r) == 4 and len(r[1]) == len("2023-11-14 22:14") for r in rows)
    assert run("list", "--db", str(db), "--limit", "1")[1].count("\n") == 1


def test_list_json_is_an_array_of_conversations(db: Path) -> None:
    code, out, _ = run("list", "--db", str(db), "--json")
    assert code == 0
    listed = json.loads(out)
    assert [c["id"] for c in listed] == [2, 1]
    assert listed[1] == {
        "id": 1,
        "title": "First question with lines",
        "created": listed[1]["created"],
        "updated": listed[1]["updated"],
        "model": "gpt-a",
        "provider": "openai",
        "messages": 2,
    }
    assert listed[1]["created"].startswith("2023-11-1")


def test_list_without_a_history_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite3"
    assert run("list", "--db", str(path)) == (0, "", "")
    assert json.loads(run("list", "--db", str(path), "--json")[1]) == []
    assert not path.exists()


def test_list_uses_the_default_path_from_xdg(isolated_dirs: Path) -> None:
    default = isolated_dirs / "data" / "tuichat" / "history.sqlite3"
    with HistoryStore(default) as store:
        store.add_message(
            store.create_conversation(), {"role": "user", "content": "in the default db"}
        )
    assert "in the default db" in run("list")[1]


def test_export_markdown_and_json_to_stdout_or_a_file(db: Path, tmp_path: Path) -> None:
    code, out, _ = run("export", "1", "--db", str(db))
    assert code == 0
    assert out.startswith("# First question with lines\n") and "## Assistant\n\nFirst answer" in out

    code, out, _ = run("export", "last", "--format", "json", "--db", str(db))
    assert code == 0
    assert json.loads(out)["messages"] == [{"role": "user", "content": "Second question"}]

    target = tmp_path / "out" / "chat.json"
    target.parent.mkdir()
    code, out, _ = run("export", "1", "--db", str(db), "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["conversation"]["id"] == 1  # format from the suffix
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_export_errors_are_one_line_and_non_zero(db: Path, tmp_path: Path) -> None:
    code, out, err = run("export", "42", "--db", str(db))
    assert code == 1 and out == "" and err.count("\n") == 1 and "no conversation 42" in err
    code, _, err = run("export", "1", "--db", str(tmp_path / "absent.sqlite3"))
    assert code == 1 and "no history" in err
    code, _, err = run("export", "one", "--db", str(db))
    assert code == 2 and "number" in err
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 100)
    code, _, err = run("list", "--db", str(broken))
    assert code == 1 and err.startswith("tuichat list: ") and err.count("\n") == 1


def test_a_read_only_history_can_still_be_listed(db: Path) -> None:
    db.chmod(0o444)
    try:
        code, out, _ = run("list", "--db", str(db))
    finally:
        db.chmod(0o644)
    assert code == 0 and out.count("\n") == 2


def test_the_commands_are_wired_into_the_tuichat_command(db: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tuichat", "list", "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [c["id"] for c in json.loads(result.stdout)] == [2, 1]
