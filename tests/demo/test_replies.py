"""The reply types, and how their text is cut into token-like deltas."""

from __future__ import annotations

from tuichat.demo.replies import Scripted, ToolCall
from tuichat.demo.tokens import split_tokens


def test_split_tokens_is_lossless_and_small() -> None:
    text = "안녕하세요! 어떻게 도와드릴까요?\n\nA *long* internationalization example."
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert max(len(p.strip()) for p in pieces) <= 6
    assert [p for p in pieces if "안녕" in p] == ["안녕"]


def test_scripted_tool_calls_accept_dicts() -> None:
    reply = Scripted(tool_calls=[{"name": "f", "arguments": {"x": 1}}, ToolCall("g", '{"y": 2}')])
    assert [c.arguments_text() for c in reply.calls()] == ['{"x": 1}', '{"y": 2}']
    assert reply.resolved_finish_reason() == "tool_calls"
