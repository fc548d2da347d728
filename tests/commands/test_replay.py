"""`tuichat replay`: every recorded provider stream through the real client reaches what a
correct client must; a turn saved from a real `tuichat ask` replays to the same answer; the
full-screen replay in a real terminal."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tuichat.commands import history, replay
from tuichat.demo.replies import Scripted, ToolCall
from tuichat.demo.server import ChatServer

from .test_ask import STREAMS, ask_inline, ask_run

CASES = sorted(path.stem for path in STREAMS.glob("*.sse"))


def replay_inline(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = replay.run(["replay", *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def outcome(document: dict[str, Any]) -> dict[str, Any]:
    """The replayed answer in the shape of `NAME.expected.json`."""
    answer = document["messages"][1]
    calls = [
        {
            "id": call["id"],
            "name": call["function"]["name"],
            "arguments": json.loads(call["function"]["arguments"] or "{}"),
        }
        for call in answer.get("tool_calls") or []
    ]
    return {
        "content": answer["content"],
        "reasoning": answer["reasoning"],
        "tool_calls": calls,
        "finish_reason": answer["finish_reason"],
        "usage": answer["usage"],
        "error": document["error"],
    }


@pytest.mark.parametrize("case", CASES)
def test_every_capture_replays_to_its_expected_answer(case: str) -> None:
    code, out, err = replay_inline(str(STREAMS / f"{case}.sse"), "--instant", "--json")
    want = json.loads((STREAMS / f"{case}.expected.json").read_text(encoding="utf-8"))
    got = outcome(json.loads(out))
    for key in ("content", "reasoning", "tool_calls", "finish_reason", "usage"):
        assert got[key] == want[key], f"{case}: {key}"
    if want["error"] is None:
        assert got["error"] is None and code == 0, err
    else:
        assert got["error"]["kind"] == want["error"]["kind"]
        head = " ".join(want["error"]["message"].split()[:3]).lower()
        assert head in got["error"]["message"].lower()
        assert code == 1 and err.strip().endswith(got["error"]["message"])
    # The calls are shown, not run: each has a result saying so, and nothing more was asked.
    results = [m for m in json.loads(out)["messages"] if m["role"] == "tool"]
    assert len(results) == len(want["tool_calls"] if want["error"] is None else [])
    assert all("replay" in m["content"] for m in results)


def test_a_turn_saved_from_tuichat_ask_replays_to_the_same_answer(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(Scripted(text="Hello from the **demo** server, 안녕하세요!", reasoning="Hm."))
    code, asked, _ = ask_run(server, db, "--json", "say hello")
    assert code == 0
    target = tmp_path / "hello.turn.json"
    out, err = io.StringIO(), io.StringIO()
    assert history.run(["export", "last", "--turn", "1", "--db", str(db), "-o", str(target)],
                       stdout=out, stderr=err) == 0, err.getvalue()  # fmt: skip
    code, replayed, err_text = replay_inline(str(target), "--speed", "20", "--json")
    assert code == 0, err_text
    assert json.loads(replayed) == json.loads(asked)  # the prompt, the answer, its usage


def test_a_tool_round_replays_its_calls_without_running_them(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(
        Scripted(tool_calls=[ToolCall("calculate", {"expression": "6*7"}, id="call_1")]),
        Scripted(text="42."),
    )
    assert ask_inline(server, db, "6*7?")[0] == 0
    out = io.StringIO()
    history.run(["export", "last", "--turn", "1", "--db", str(db)], stdout=out)
    target = tmp_path / "calls.turn.json"
    target.write_text(out.getvalue())
    code, text, err = replay_inline(str(target), "--instant", "--json")
    assert code == 0
    messages = json.loads(text)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "calculate"
    assert "[tool] calculate -> Not run: this is a replay" in err


def test_an_http_error_replays_as_one(tmp_path: Path) -> None:
    document = {
        "tuichat_turn": 1,
        "request": {"method": "POST", "url": "u", "headers": {}, "body": {"model": "m"}},
        "response": {"status": 401, "headers": {"content-type": "application/json"}},
        "body": [{"offset": 0.01, "text": '{"error": {"message": "Incorrect API key"}}'}],
    }
    path = tmp_path / "401.turn.json"
    path.write_text(json.dumps(document))
    code, out, err = replay_inline(str(path), "--instant", "--json")
    assert code == 1 and json.loads(out)["error"]["kind"] == "http"
    assert "HTTP 401" in err and "Incorrect API key" in err


def test_bad_files_and_options(tmp_path: Path) -> None:
    code, _, err = replay_inline(str(tmp_path / "missing.sse"), "--json")
    assert code == 1 and "cannot read" in err
    broken = tmp_path / "broken.turn.json"
    broken.write_text('{"tuichat_turn": 9, "body": []}')
    code, _, err = replay_inline(str(broken), "--json")
    assert code == 1 and "newer tuichat" in err
    with pytest.raises(SystemExit) as stop:
        replay_inline(str(broken), "--speed", "0")
    assert stop.value.code == 2


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux to run a real terminal")
def test_the_full_screen_replay_shows_the_recorded_turn(isolated_dirs: Path) -> None:
    from tests.ui.test_real_terminal import Pane

    name = f"tuichat-replay-{uuid.uuid4().hex[:8]}"
    capture = STREAMS / "openrouter_tool_call_comments_duplicate_finish.sse"
    command = (
        f"XDG_CONFIG_HOME={isolated_dirs / 'config'} XDG_DATA_HOME={isolated_dirs / 'data'} "
        f"{sys.executable} -m tuichat replay {capture} --speed 4"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "30", command], check=True
    )
    try:
        pane = Pane(name, 120, 30)
        pane.wait_for("replay of openrouter_tool_call_comments_duplicate_finish.sse")
        pane.wait_for("get_weather")
        pane.wait_for("Not run: this is a replay", timeout=30)
        pane.keys("F2")
        pane.wait_for("[DONE]")  # the inspector lists the chunks, the newest selected
        pane.keys("C-q")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)
