"""`tuichat probe` against the demo server, and against loopback servers that reproduce the
recorded provider quirks (the fixture bodies served byte for byte)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tuichat.commands import probe
from tuichat.demo.replies import HTTPError, RawSSE, Recorded, Reply, Scripted, ToolCall
from tuichat.demo.server import ChatServer

from .test_ask import STREAMS

STATUSES = {"ok", "quirk", "fail", "skipped"}


def body(case: str) -> RawSSE:
    return RawSSE((STREAMS / f"{case}.sse").read_bytes(), slice_sizes=(5, 40))


def run_probe(server: ChatServer, *more: str, model: str = "tuichat-demo") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["probe", "--base-url", server.base_url, "--model", model, *more]
    code = probe.run(argv, stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def checks(server: ChatServer, *replies: Reply) -> tuple[int, dict[str, dict[str, str]], Any]:
    server.enqueue(*replies)
    code, out, _ = run_probe(server, "--json")
    document = json.loads(out)
    found = {c["name"]: c for c in document["checks"]}
    assert all(c["status"] in STATUSES and c["detail"] for c in document["checks"])
    return code, found, document


def test_the_demo_server_is_a_well_behaved_endpoint(server: ChatServer) -> None:
    code, found, document = checks(server)
    assert code == 0 and document["can_chat"] is True and document["suggested"] == {}
    for name in (
        "models",
        "stream",
        "time_to_first_token",
        "done",
        "keep_alive",
        "empty_choices",
        "usage",
        "tool_calls",
        "tool_call_index",
        "tool_arguments",
        "tool_finish_reason",
        "no_stream",
    ):
        assert found[name]["status"] == "ok", found[name]
    assert found["tool_calls"]["detail"].startswith("2 parallel calls")
    assert found["reasoning_field"]["status"] == "skipped"
    # The demo serves any model name: there is no error body to look at.
    assert found["error_body"]["status"] == "skipped"
    assert document["endpoint"] == {"base_url": server.base_url, "model": "tuichat-demo",
                                    "profile": None}  # fmt: skip


def test_keep_alives_reasoning_and_a_reused_index(server: ChatServer) -> None:
    code, found, _ = checks(
        server,
        body("deepseek_reasoner_tool_call_keepalive"),
        body("ollama_parallel_index_reused"),
        Scripted(text="Hello there."),
        HTTPError.model_not_found(probe.UNKNOWN_MODEL),
    )
    assert code == 0
    assert (
        found["keep_alive"]["status"] == "quirk"
        and "3 SSE comment lines" in (found["keep_alive"]["detail"])
    )
    assert found["reasoning_field"] == {
        "name": "reasoning_field",
        "status": "ok",
        "detail": "reasoning comes in reasoning_content",
    }
    assert found["usage"]["status"] == "quirk" and "finish chunk" in found["usage"]["detail"]
    assert found["tool_call_index"]["status"] == "quirk"
    assert "index 0 reused" in found["tool_call_index"]["detail"]
    assert found["tool_arguments"]["detail"] == "each call's arguments whole, in one chunk"
    assert found["error_body"]["status"] == "ok"
    assert "HTTP 404" in found["error_body"]["detail"]


def test_groq_usage_gemini_calls_and_an_odd_error_body(server: ChatServer) -> None:
    odd = Recorded([(0.0, b'{"detail": "Not Found"}')], status=404, streamed=False)
    code, found, _ = checks(
        server,
        body("groq_x_groq_usage"),
        body("gemini_tool_call_no_index_stop"),
        HTTPError.server_error(),
        odd,
    )
    assert code == 0  # streaming works, so it can chat
    assert found["usage"] == {
        "name": "usage",
        "status": "quirk",
        "detail": "only in x_groq.usage, not in usage",
    }
    assert found["tool_calls"]["status"] == "quirk"  # one call only
    assert found["tool_call_index"]["status"] == "quirk"
    assert "without an index" in found["tool_call_index"]["detail"]
    assert found["tool_finish_reason"]["status"] == "quirk"
    assert "'stop'" in found["tool_finish_reason"]["detail"]
    assert found["no_stream"]["status"] == "fail"
    assert found["error_body"] == {
        "name": "error_body",
        "status": "quirk",
        "detail": 'HTTP 404 {"detail"}: "Not Found"',
    }


def test_no_done_empty_choices_running_usage_and_repeated_ids(server: ChatServer) -> None:
    _, found, _ = checks(
        server,
        body("truncated_no_done"),
        body("fireworks_repeated_tool_metadata"),
    )
    assert found["done"]["status"] == "quirk" and found["stream"]["status"] == "quirk"
    assert found["tool_call_ids"]["status"] == "quirk"
    _, found, _ = checks(server, body("azure_prompt_filter_first_chunk"))
    assert found["empty_choices"]["status"] == "quirk"
    _, found, _ = checks(server, body("vllm_args_in_finish_chunk"))
    assert found["usage"]["status"] == "quirk" and "running totals" in found["usage"]["detail"]
    _, found, _ = checks(server, body("openrouter_tool_call_comments_duplicate_finish"))
    assert "OPENROUTER PROCESSING" in found["keep_alive"]["detail"]


def test_a_server_that_rejects_stream_options_gets_include_usage_false(
    server: ChatServer,
) -> None:
    server.enqueue(
        HTTPError(400, "Unrecognized request argument supplied: stream_options"),
        Scripted(text="Hello there."),
        Scripted(tool_calls=[ToolCall("get_current_time", {"timezone": "UTC"})]),
    )
    code, out, _ = run_probe(server)
    assert code == 0
    assert "quirk   stream_options" in out
    assert out.endswith(
        "Suggested profile settings (in the config file, [profiles.NAME]):\ninclude_usage = false\n"
    )
    assert server.requests[1].get("stream_options") is None  # asked again without it


def test_an_endpoint_that_cannot_chat_exits_non_zero(server: ChatServer) -> None:
    server.default_reply = HTTPError.server_error()
    code, out, _ = run_probe(server)
    assert code == 1
    assert "fail    stream" in out and "fail    no_stream" in out
    assert out.rstrip().endswith("The endpoint cannot chat: no answer came, streamed or not.")


@pytest.mark.parametrize("flag", ["--json", None])
def test_nothing_listening(flag: str | None) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["probe", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--timeout", "5"]
    code = probe.run([*argv, *([flag] if flag else [])], stdout=out, stderr=err, environ={})
    assert code == 1
    if flag:
        document = json.loads(out.getvalue())
        assert document["can_chat"] is False
        assert [c["status"] for c in document["checks"]] == ["fail"] * 2 + ["skipped"] + [
            "fail",
            "skipped",
        ]
