"""`tuichat list` and `tuichat export` over a real history file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tuichat.commands import ask, history
from tuichat.demo.server import ChatServer
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
        "branches": 1,
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


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """The file's bytes, mtime and the files beside it: to prove nothing was touched."""
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


@pytest.mark.parametrize("read_only", ["file", "directory", "both"])
def test_a_read_only_history_is_listed_and_exported_and_left_as_it_was(
    tmp_path: Path, read_only: str
) -> None:
    directory = tmp_path / "read-only"
    directory.mkdir()
    db = directory / "h.sqlite3"
    conversation_in(db, "a question kept read-only")
    if read_only != "directory":
        db.chmod(0o444)
    if read_only != "file":
        directory.chmod(0o555)
    before = snapshot(db)
    try:
        listed = run("list", "--db", str(db))
        exported = run("export", "last", "--db", str(db), "--format", "json")
        after = snapshot(db)
    finally:
        directory.chmod(0o755)
        db.chmod(0o644)
    assert listed[0] == 0 and listed[2] == "" and "a question kept read-only" in listed[1]
    assert exported[0] == 0 and exported[2] == ""
    assert json.loads(exported[1])["messages"][0]["content"] == "a question kept read-only"
    assert after == before  # not a byte, not the mtime, no -wal or -shm file beside it


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


# --- the database the config file names -------------------------------------------------------


def conversation_in(path: Path, text: str) -> None:
    """A history at `path` holding one conversation that starts with `text`."""
    with HistoryStore(path) as store:
        store.add_message(store.create_conversation(model="m"), {"role": "user", "content": text})


def test_list_and_export_read_the_db_path_of_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "config.toml"
    config.parent.mkdir()
    config.write_text('db_path = "chats/history.sqlite3"\n', encoding="utf-8")
    conversation_in(tmp_path / "conf" / "chats" / "history.sqlite3", "from the configured db")

    code, out, err = run("list", "--config", str(config))
    assert (code, err) == (0, "") and "from the configured db" in out
    code, out, err = run("export", "last", "--config", str(config))
    assert (code, err) == (0, "") and out.startswith("# from the configured db\n")

    other = tmp_path / "other.sqlite3"
    conversation_in(other, "from --db")
    code, out, _ = run("list", "--config", str(config), "--db", str(other))
    assert code == 0 and "from --db" in out and "configured" not in out  # --db wins
    code, out, _ = run("export", "last", "--db", str(other), "--config", str(config))
    assert code == 0 and out.startswith("# from --db\n")


def test_list_and_export_read_the_db_path_of_the_default_config_file(
    isolated_dirs: Path, tmp_path: Path
) -> None:
    db = tmp_path / "elsewhere.sqlite3"
    conversation_in(db, "configured in the default file")
    config = isolated_dirs / "config" / "tuichat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f"db_path = '{db}'\n", encoding="utf-8")  # a literal string: no escapes

    assert "configured in the default file" in run("list")[1]
    assert run("export", "last")[1].startswith("# configured in the default file\n")
    assert not (isolated_dirs / "data").exists()  # the default database was never looked for


def test_ask_and_list_use_the_same_configured_database(server: ChatServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('db_path = "shared.sqlite3"\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["ask", "--config", str(config), "--base-url", server.base_url, "--model", "m", "hello"]
    environ = {**os.environ, "OPENAI_API_KEY": "sk-test-history-commands"}
    code = ask.run(argv, stdin=io.StringIO(""), stdout=out, stderr=err, environ=environ)
    assert code == 0, err.getvalue()
    assert (tmp_path / "shared.sqlite3").exists()

    code, listed, _ = run("list", "--config", str(config), "--json")
    assert code == 0 and [c["title"] for c in json.loads(listed)] == ["hello"]


@pytest.mark.parametrize("command", [["list"], ["export", "last"]])
def test_a_broken_config_file_is_a_one_line_error(command: list[str], tmp_path: Path) -> None:
    prog = f"tuichat {command[0]}"
    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\nmax_tool_rounds = many\n', encoding="utf-8")  # not TOML
    code, out, err = run(*command, "--config", str(config))
    assert (code, out) == (1, "")
    assert err.startswith(f"{prog}: {config}, line 2") and err.count("\n") == 1
    assert "max_tool_rounds" in err and "not valid TOML" in err

    config.write_text("db_path = 3\n", encoding="utf-8")  # TOML, but a wrong value
    code, out, err = run(*command, "--config", str(config))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"{prog}: {config}, line 1: db_path must be text")

    code, out, err = run(*command, "--config", str(tmp_path / "absent.toml"))
    assert (code, out) == (1, "") and err.count("\n") == 1 and "no such config file" in err


def test_export_help_says_what_the_json_holds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        history.run(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert '"messages": [...], "tuichat": [...]' in text
    assert "only the keys the API defines" in text and "ready to send again" in text
