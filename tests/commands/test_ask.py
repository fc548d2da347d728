"""`tuichat ask` as scripts use it: a real subprocess (and `run()` in-process for a few quick
error cases) against the loopback server, with the history in a real SQLite file."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tuichat.commands import ask
from tuichat.demo.essay import long_text
from tuichat.demo.replies import DropAfter, HTTPError, RawSSE, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore

KEY = "sk-test-ask-0123456789abcdefSECRET"
STREAMS = Path(__file__).parent.parent / "fixtures" / "streams"
TIME_QUESTION = "what time is it in Seoul and New York?"


def command(server: ChatServer, db: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "tuichat", "ask",
        "--base-url", server.base_url, "--model", "m", "--db", str(db), *args,
    ]  # fmt: skip


def environment() -> dict[str, str]:
    return {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONIOENCODING": "utf-8"}


def ask_process(
    server: ChatServer, db: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m tuichat ask ...` to the end."""
    return subprocess.run(
        command(server, db, *args),
        input=stdin,
        check=False,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )


def ask_run(
    server: ChatServer, db: Path, *args: str, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run the `tuichat ask` subprocess: exit code, stdout, stderr."""
    result = ask_process(server, db, *args, stdin=stdin)
    return result.returncode, result.stdout, result.stderr


def ask_inline(server: ChatServer, db: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `tuichat ask` in this process (fast): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["ask", "--base-url", server.base_url, "--model", "m", "--db", str(db), *args]
    code = ask.run(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=environment())
    return code, out.getvalue(), err.getvalue()


def saved(db: Path) -> list[list[dict[str, Any]]]:
    """Every conversation's messages, oldest conversation first."""
    with HistoryStore(db) as store:
        return [store.load_messages(c.id) for c in reversed(store.list_conversations())]


def test_the_answer_streams_to_stdout_and_is_saved_without_the_key(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    text = "Hello there, friend. Ünïcode and 안녕하세요 too."
    server.enqueue(Scripted(text=text))
    result = ask_process(server, db, "say", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == text + "\n"
    assert result.stderr == ""
    assert server.requests[0]["messages"] == [{"role": "user", "content": "say hello"}]
    assert server.requests[0]["stream"] is True
    assert server.request_headers[0]["authorization"] == f"Bearer {KEY}"  # the key was used...
    [conversation] = saved(db)
    assert [m["role"] for m in conversation] == ["user", "assistant"]
    assert conversation[1]["content"] == text and conversation[1]["finish_reason"] == "stop"
    for file in tmp_path.glob("history.sqlite3*"):  # ...and is stored nowhere
        assert KEY.encode() not in file.read_bytes()


def test_tool_calls_are_reported_on_stderr_and_the_answer_on_stdout(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    result = ask_process(server, db, TIME_QUESTION)  # the demo model calls the clock twice
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        '[tool] get_current_time {"timezone": "Asia/Seoul"}',
        '[tool] get_current_time {"timezone": "America/New_York"}',
    ]
    results = [line for line in lines[2:] if line.startswith("[tool] get_current_time -> ")]
    assert len(results) == 2 and len(lines) == 4
    assert any('"timezone": "Asia/Seoul"' in line for line in results)
    assert (
        "Seoul" in result.stdout and "New York" in result.stdout and "[tool]" not in result.stdout
    )
    [conversation] = saved(db)
    assert [m["role"] for m in conversation] == ["user", "assistant", "tool", "tool", "assistant"]


def test_json_prints_one_object_with_the_turn_in_openai_format(
    server: ChatServer, tmp_path: Path
) -> None:
    code, out, err = ask_run(server, tmp_path / "h.sqlite3", "--json", TIME_QUESTION)
    assert code == 0, err
    assert out.count("\n") == 1  # one JSON object, no streamed text besides it
    document = json.loads(out)
    assert document["error"] is None
    asked, *messages = document["messages"]
    assert asked == {"role": "user", "content": TIME_QUESTION}  # the turn, the prompt included
    assert [m["role"] for m in messages] == ["assistant", "tool", "tool", "assistant"]
    calls = messages[0]["tool_calls"]
    assert messages[0]["content"] is None and messages[0]["finish_reason"] == "tool_calls"
    assert [set(call) for call in calls] == [{"id", "type", "function"}] * 2
    assert [json.loads(call["function"]["arguments"]) for call in calls] == [
        {"timezone": "Asia/Seoul"},
        {"timezone": "America/New_York"},
    ]
    assert [(m["tool_call_id"], set(m)) for m in messages[1:3]] == [
        (calls[0]["id"], {"role", "tool_call_id", "content"}),
        (calls[1]["id"], {"role", "tool_call_id", "content"}),
    ]
    assert json.loads(messages[1]["content"])["timezone"] == "Asia/Seoul"
    final = messages[3]
    assert set(final) == {"role", "content", "reasoning", "finish_reason", "usage"}
    assert "Seoul" in final["content"] and final["reasoning"] is None
    assert final["finish_reason"] == "stop" and final["usage"]["total_tokens"] > 0


def test_user_and_mcp_tools_run_by_policy_with_no_one_to_ask(
    server: ChatServer, tmp_path: Path
) -> None:
    calc = Path(__file__).parents[1] / "tools" / "mcp_servers" / "calc_server.py"
    (tmp_path / "mine.py").write_text(
        'def word_count(text: str) -> int:\n    """Count words."""\n    return len(text.split())\n'
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[tools]\nfiles = ["mine.py"]\n[tools.policy]\ncalc__add = "run"\n'
        f"[mcp.servers.calc]\ncommand = {json.dumps(sys.executable)}\nargs = "
        f"[{json.dumps(str(calc))}]\n"
    )
    server.enqueue(
        Scripted(
            tool_calls=[
                ToolCall("calc__add", {"a": 2, "b": 40}, id="c1"),
                ToolCall("word_count", {"text": "a b"}, id="c2"),
            ]
        ),
        Scripted(text="Done."),
    )
    code, out, err = ask_run(
        server, tmp_path / "h.sqlite3", "--config", str(config), "--json", "use the tools"
    )
    assert code == 0, err
    results = {
        m["tool_call_id"]: m["content"] for m in json.loads(out)["messages"] if m["role"] == "tool"
    }
    assert results["c1"] == "42"  # policy run: an MCP tool, through the server tuichat started
    assert "needs the user's approval" in results["c2"]  # a file tool asks: nobody to ask here


@pytest.mark.parametrize(
    ("reply", "kind", "content"),
    [
        (HTTPError.invalid_api_key(), "http", None),
        (DropAfter(text="partial words before the drop", after=3), "connection", "partial"),
        (
            RawSSE((STREAMS / "truncated_no_done.sse").read_bytes()),
            "truncated",
            "Here is a summary of the report:\n\n1. Revenue grew",
        ),
    ],
    ids=["http", "dropped", "truncated"],
)
def test_json_reports_a_failed_stream_and_keeps_the_partial_answer(
    server: ChatServer, tmp_path: Path, reply: Any, kind: str, content: str | None
) -> None:
    # `content` is what the partial answer starts with (None: no text arrived).
    db = tmp_path / "h.sqlite3"
    server.enqueue(reply)
    code, out, err = ask_run(server, db, "--json", "hi")
    assert code == 1
    document = json.loads(out)
    assert document["error"]["kind"] == kind and document["error"]["message"]
    asked, message = document["messages"]
    assert asked == {"role": "user", "content": "hi"}
    assert message["role"] == "assistant"
    if content is None:
        assert message["content"] is None
    else:
        assert message["content"].startswith(content)
    assert len(err.strip().splitlines()) == 1 and err.startswith("tuichat ask: ")
    [conversation] = saved(db)  # the failed answer is in the history too
    assert conversation[-1]["error"]["kind"] == kind
    assert conversation[-1]["content"] == message["content"]


def test_a_failure_without_json_is_one_line_on_stderr(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(HTTPError.model_not_found("m"))
    code, out, err = ask_inline(server, tmp_path / "h.sqlite3", "hi")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "HTTP 404" in err and "--model" in err


def test_a_piped_prompt_and_piped_context(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    result = ask_process(server, db, stdin="hello from a pipe\n")  # a real pipe on stdin
    assert result.returncode == 0, result.stderr
    assert server.requests[-1]["messages"][-1]["content"] == "hello from a pipe"

    code, _, _ = ask_run(server, db, "summarize", "this", stdin="line one\nline ``` two\n")
    assert code == 0
    assert server.requests[-1]["messages"][-1]["content"] == (
        "summarize this\n\n````\nline one\nline ``` two\n````"
    )
    assert ask.compose_prompt("only the prompt", "  \n") == "only the prompt"


def test_no_save_writes_no_history(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    code, out, _ = ask_run(server, db, "--no-save", "hello")
    assert code == 0 and out
    assert not db.exists()


def test_continue_sends_the_last_conversation_again(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(Scripted(text="Paris."), Scripted(text="About 2 million."))
    assert ask_inline(server, db, "--system", "Be brief.", "Capital of France?")[0] == 0
    code, out, _ = ask_inline(server, db, "-c", "Its population?")
    assert code == 0 and out == "About 2 million.\n"
    assert [m["content"] for m in server.requests[-1]["messages"]] == [
        "Be brief.",
        "Capital of France?",
        "Paris.",
        "Its population?",
    ]
    [conversation] = saved(db)
    assert [m["content"] for m in conversation] == [
        "Be brief.",
        "Capital of France?",
        "Paris.",
        "Its population?",
        "About 2 million.",
    ]


def test_continue_leaves_out_what_the_app_left_out_and_sends_summaries(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(Scripted(text="Paris."), Scripted(text="2 million."), Scripted(text="Yes."))
    assert ask_inline(server, db, "--system", "Be brief.", "Capital of France?")[0] == 0
    assert ask_inline(server, db, "-c", "Its population?")[0] == 0
    with HistoryStore(db) as store:  # what the Context screen does
        [conversation] = store.list_conversations()
        rows = store.message_rows(conversation.id, include_replaced=False)
        ids = {str(row.message["content"]): row.id for row in rows}
        store.add_summary(
            conversation.id,
            ids["Paris."],
            messages=[ids["Capital of France?"], ids["Paris."]],
            count=2,
            content="[Summary of 2 earlier messages]\n\nThe capital of France is Paris.",
        )
        store.set_left_out([ids["2 million."]], left_out=True)
    code, out, _ = ask_inline(server, db, "-c", "Is it big?")
    assert code == 0 and out == "Yes.\n"
    assert [m["content"] for m in server.requests[-1]["messages"]] == [
        "Be brief.",
        "[Summary of 2 earlier messages]\n\nThe capital of France is Paris.",
        "Its population?",
        "Is it big?",
    ]


def test_an_unusable_database_fails_before_asking_and_is_left_alone(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    db.write_bytes(b"not a database at all" * 50)
    before = db.read_bytes()
    code, out, err = ask_inline(server, db, "hello")
    assert code == 1 and out == "" and server.requests == []
    assert err.count("\n") == 1 and "not a usable tuichat history" in err and "--no-save" in err
    assert db.read_bytes() == before
    assert ask_inline(server, db, "--no-save", "hello")[0] == 0  # the way out works


def test_no_prompt_is_a_usage_error(server: ChatServer, tmp_path: Path) -> None:
    code, out, err = ask_inline(server, tmp_path / "h.sqlite3", stdin="  \n")
    assert code == 2 and out == "" and "no prompt" in err and server.requests == []


class _Reader(threading.Thread):
    """Collects a pipe's bytes as they arrive."""

    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.data = bytearray()
        self.first = 0.0

    def run(self) -> None:
        while chunk := os.read(self.stream.fileno(), 65536):
            if not self.data:
                self.first = time.monotonic()
            self.data += chunk


def test_sigkill_mid_answer_loses_at_most_about_a_second(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    tokens_per_second = 40
    server.enqueue(Slow(long_text("kill test"), tokens_per_second=tokens_per_second))
    process = subprocess.Popen(
        command(server, db, "write something long"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    reader = _Reader(process.stdout)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not (reader.data and time.monotonic() - reader.first >= 2.3):
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "no answer text arrived"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(5)
    assert process.returncode == -signal.SIGKILL
    printed = reader.data.decode("utf-8", errors="ignore")

    with HistoryStore(db) as store:
        rows = store.message_rows(store.last_conversation_id() or 0)
    assert [(row.message["role"], row.status) for row in rows] == [
        ("user", "complete"),
        ("assistant", "streaming"),
    ]
    partial = rows[1].message["content"] or ""
    assert partial and printed.startswith(partial)
    printed_words, saved_words = len(printed.split()), len(partial.split())
    assert printed_words >= 60  # it really was streaming for a while
    lost = printed_words - saved_words
    assert lost <= 1.5 * tokens_per_second + 5, (printed_words, saved_words)
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_saves_what_arrived_and_exits_128_plus_its_number(
    server: ChatServer, tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "h.sqlite3"
    server.enqueue(Slow("word " * 300, tokens_per_second=60))
    process = subprocess.Popen(
        command(server, db, "--json", "go on"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    try:
        deadline = time.monotonic() + 30
        while not server.requests:  # the answer has begun
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        time.sleep(1.0)
        os.kill(process.pid, signum)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signum
    assert b"Traceback" not in err
    document = json.loads(out)
    assert document["error"]["kind"] == "cancelled"
    [messages] = saved(db)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    partial = messages[1]["content"]
    assert messages[1]["cancelled"] is True and partial.startswith("word word")
    assert document["messages"][-1]["content"] == partial  # what was printed was saved


def test_a_reader_that_stops_early_ends_the_output_quietly(
    server: ChatServer, tmp_path: Path
) -> None:
    """`tuichat ask ... | head -c 10`: no traceback; the answer is still saved whole."""
    db = tmp_path / "h.sqlite3"
    text = "word " * 20000  # far more than a pipe holds
    server.enqueue(Scripted(text=text))
    process = subprocess.Popen(
        command(server, db, "long please"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10) == b"word word "
    process.stdout.close()  # like head -c 10: the reader is gone
    err = process.stderr.read()
    process.wait(30)
    process.stderr.close()
    assert err == b"" and process.returncode == 0
    [messages] = saved(db)
    assert messages[-1]["content"] == text


def test_no_answer_after_the_last_tool_round_is_a_failure_of_kind_tool_rounds(
    server: ChatServer, tmp_path: Path
) -> None:
    call = ToolCall("calculate", {"expression": "1+1"})
    server.enqueue(*[Scripted(tool_calls=[call]) for _ in range(3)])
    code, out, err = ask_inline(
        server, tmp_path / "h.sqlite3", "--json", "--max-tool-rounds", "2", "loop"
    )
    assert code == ask.EXIT_FAILED and "2 rounds of tool calls" in err
    document = json.loads(out)
    assert document["error"]["kind"] == "tool_rounds"
    assert "2 rounds of tool calls" in document["error"]["message"]
    assert server.requests[-1]["tool_choice"] == "none"


def test_every_exit_status_is_in_the_help_and_the_readme() -> None:
    help_text = ask.build_parser().format_help()
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for status in ("0", "1", "2", "129", "130", "143"):
        assert f" {status} " in help_text.replace("\n", " "), status
        assert f"`{status}`" in readme, status
