"""`tuichat ask --compare`: a real subprocess asking the loopback server's demo models at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tuichat.demo.replies import HTTPError
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore

from ..session.test_attachments import tiny_png
from .test_ask import environment

SHORT = "call nothing"  # the demo models' shortest answer: demo-slow is slow enough at it
SHORT_ANSWER = "I have no tool called `nothing`. Tools offered to me: calculate,"


def ask_compare(
    server: ChatServer, db: Path, *args: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    config_args = ["--config", str(config)] if config is not None else []
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tuichat",
            "ask",
            "--base-url",
            server.base_url,
            "--model",
            "tuichat-demo",
            "--db",
            str(db),
            *config_args,
            *args,
        ],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )


def profile_config(tmp_path: Path, name: str, server: ChatServer) -> Path:
    """A config file with a profile of that name for that server (asked once, no retry)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.{name}]\nbase_url = "{server.base_url}"\nmax_retries = 0\n')
    return config


def test_json_prints_each_answer_with_its_timing_and_usage(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    result = ask_compare(server, db, "--compare", "demo-slow,:demo-fast", "--json", SHORT)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["messages"] == [{"role": "user", "content": SHORT}]
    assert document["error"] is None
    slow, fast = document["answers"]
    assert [(a["target"], a["model"], a["profile"]) for a in (slow, fast)] == [
        (":demo-slow", "demo-slow", None),
        (":demo-fast", "demo-fast", None),
    ]
    for answer in (slow, fast):
        assert answer["error"] is None
        assert [m["role"] for m in answer["messages"]] == ["assistant"]
        message = answer["messages"][0]
        assert message["content"].startswith(SHORT_ANSWER)
        assert answer["usage"]["completion_tokens"] == message["usage"]["completion_tokens"]
        assert answer["usage"]["total_tokens"] == message["usage"]["total_tokens"]
        timing = answer["timing"]
        assert 0 < timing["time_to_first_token"] <= timing["duration"]
        assert timing["tokens_per_second"] > 0
        assert answer["cost"] is None  # no [prices] for the demo models
    # demo-slow thinks before its first token (a lower bound: never a timed upper one).
    assert slow["timing"]["time_to_first_token"] >= 0.8
    # Saved as the app saves a comparison: the first target's answer continues the
    # conversation, the other is its sibling.
    with HistoryStore(db) as store:
        (conversation,) = store.list_conversations()
        rows = store.message_rows(conversation.id)
        live = store.load_messages(conversation.id)
    assert [(r.message["role"], r.model, r.replaced) for r in rows] == [
        ("user", None, False),
        ("assistant", "demo-fast", True),
        ("assistant", "demo-slow", False),
    ]
    assert rows[1].parent_id == rows[2].parent_id == rows[0].id
    assert [m["content"] for m in live] == [SHORT, slow["messages"][0]["content"]]


def test_without_json_each_answer_comes_under_a_header_in_the_order_asked(
    server: ChatServer, tmp_path: Path
) -> None:
    result = ask_compare(
        server, tmp_path / "h.sqlite3", "--compare", "demo-slow,demo-fast", "--no-save", SHORT
    )
    assert result.returncode == 0, result.stderr
    host = server.base_url.split("/")[2]
    blocks = result.stdout.split("\n\n")
    assert len(blocks) == 2
    for block, model in zip(blocks, ("demo-slow", "demo-fast"), strict=True):
        header, text, stats = block.strip("\n").split("\n")
        assert header == f"=== {host} · {model} ==="
        assert text.startswith(SHORT_ANSWER)
        assert stats.startswith("--- TTFT ") and " tok/s · " in stats
        assert stats.endswith(" tokens · no price")


def test_a_failed_answer_fails_the_command_and_says_whose_it_is(
    server: ChatServer, tmp_path: Path
) -> None:
    with ChatServer(default_reply=HTTPError.server_error()) as broken:
        config = profile_config(tmp_path, "broken", broken)
        result = ask_compare(
            server,
            tmp_path / "h.sqlite3",
            "--compare",
            "demo-fast,broken:m",
            "--json",
            SHORT,
            config=config,
        )
        printed = ask_compare(
            server, tmp_path / "h.sqlite3", "--compare", "demo-fast,broken:m", SHORT, config=config
        )
    assert printed.returncode == 1
    assert printed.stdout.rstrip("\n").endswith("=== broken · m ===\n--- no token · failed (http)")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    fast, failed = document["answers"]
    assert fast["error"] is None and fast["messages"][0]["content"].startswith(SHORT_ANSWER)
    assert failed["error"]["kind"] == "http" and failed["profile"] == "broken"
    assert document["error"] == {**failed["error"], "target": "broken:m"}
    assert f"tuichat ask: broken · m: {failed['error']['message']}" in result.stderr


def test_a_bad_compare_spec_is_a_usage_error_that_says_what_is_wrong(
    server: ChatServer, tmp_path: Path
) -> None:
    result = ask_compare(server, tmp_path / "h.sqlite3", "--compare", "olama,demo-fast", "hi")
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        "tuichat ask: --compare: entry 1 ('olama'): there is no profile 'olama' (did you mean "
        "ollama?)" in result.stderr
    )
    assert not (tmp_path / "h.sqlite3").exists()  # nothing was asked, nothing saved
    assert server.requests == []


def test_the_help_says_how_to_compare() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tuichat", "ask", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**environment(), "COLUMNS": "200"},
    )
    assert "--compare SPEC" in result.stdout
    assert "PROFILE:MODEL,PROFILE:MODEL" in result.stdout


def test_the_apps_compare_spec_is_checked_before_it_starts(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tuichat", "--db", str(tmp_path / "h.sqlite3"), "--compare", "a,,b"],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("tuichat: --compare: entry 2 is empty")


def test_the_files_go_to_every_target_and_an_image_refused_by_one_is_named(
    server: ChatServer, tmp_path: Path
) -> None:
    notes, chart = tmp_path / "notes.txt", tmp_path / "chart.png"
    notes.write_text("step one\n")
    chart.write_bytes(tiny_png())
    with ChatServer(default_reply=HTTPError(400, "no images here")) as picky:
        config = profile_config(tmp_path, "picky", picky)
        result = ask_compare(
            server,
            tmp_path / "h.sqlite3",
            "--compare",
            "demo-fast,picky:m",
            "--json",
            "-a",
            str(notes),
            "-a",
            str(chart),
            SHORT,
            config=config,
        )
        [asked_picky] = picky.requests
    assert result.returncode == 1
    document = json.loads(result.stdout)
    [prompt] = document["messages"]
    assert prompt == asked_picky["messages"][-1] == server.requests[-1]["messages"][-1]
    assert prompt["content"][0]["text"] == f"{SHORT}\n\n{notes}\n```text\nstep one\n```"
    assert prompt["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    fast, refused = document["answers"]
    assert fast["error"] is None and fast["messages"][0]["content"]
    assert refused["error"]["kind"] == "http"
    message = refused["error"]["message"]
    assert message.startswith(f"The server refused the prompt with the image {chart} (m ")
    assert "The server said: no images here" in message
    assert f"tuichat ask: picky · m: {message}" in result.stderr
