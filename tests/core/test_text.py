"""Making model text safe to show, and the inspector's reading of a chunk."""

from __future__ import annotations

from tuichat.core.text import chunk_summary, strip_control


def test_strip_control_removes_escape_sequences_and_controls_only() -> None:
    text = "a\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 b\x07\r\n\tc é 한"
    assert strip_control(text) == "ared link b\n\tc é 한"
    plain = "nothing to strip [bold]x[/bold]"
    assert strip_control(plain) is plain


def test_chunk_summary_reads_what_a_chunk_adds() -> None:
    text = '{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}'
    assert chunk_summary(text) == '"Hi"'
    call = '{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"name":"f"}}]}}]}'
    assert chunk_summary(call) == "tool 1 f"
    assert chunk_summary('{"choices":[],"usage":{"total_tokens":3}}') == "usage"
    assert chunk_summary('{"choices":[{"delta":{},"finish_reason":"stop"}]}') == "finish stop"
    assert chunk_summary('{"error":{"message":"x"}}') == "error"
    assert chunk_summary("[DONE]") == ""
    assert chunk_summary("{nope") == "not JSON"
    long = '{"choices":[{"delta":{"content":"' + "x" * 100 + '"}}]}'
    assert len(chunk_summary(long)) == 24 and chunk_summary(long).endswith("…")
