"""The scripted demo model: what `plan_reply` answers, and the long essay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.demo.prompts import TIME_TOOL, user
from tuichat.demo.essay import long_text
from tuichat.demo.planner import plan_reply

# ---- the scripted model ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "start"),
    [
        ("hello", "Hello!"),
        ("Hi there!", "Hello!"),
        ("안녕", "안녕하세요!"),
        ("bonjour", "Bonjour"),
        ("hola", "¡Hola!"),
    ],
)
def test_greetings_answer_in_the_users_language(prompt: str, start: str) -> None:
    text = plan_reply(user(prompt), None).text or ""
    assert text.startswith(start)
    assert "markdown" in text.lower() or "마크다운" in text
    assert "Seoul" in text or "서울" in text


def test_markdown_reply_has_heading_list_table_and_code() -> None:
    text = plan_reply(user("Show me a markdown example"), None).text or ""
    assert text.startswith("# ")
    assert "\n- " in text and "\n| " in text and "|---" in text
    assert "```python\n" in text and text.count("```") == 2


def test_long_reply_reads_like_an_essay() -> None:
    text = plan_reply(user("write me a long story"), None).text or ""
    paragraphs = [p for p in text.split("\n\n") if p and not p.startswith("#")]
    assert len(paragraphs) >= 30
    assert len(text.split()) > 2000
    sentences = [s for p in paragraphs for s in p.split(". ")]
    assert len(set(sentences)) == len(sentences), "no sentence is repeated"
    assert text == long_text("write me a long story"), "deterministic"
    korean = plan_reply(user("긴 글을 써 줘"), None).text or ""
    assert korean.startswith("# 터미널") and korean.count("\n\n") > 20


def test_time_question_without_the_tool_says_so() -> None:
    reply = plan_reply(user("what time is it in Seoul and New York?"), None)
    assert not reply.tool_calls
    assert "get_current_time" in (reply.text or "")


def test_korean_tool_results_are_answered_in_korean() -> None:
    def call(call_id: str, zone: str) -> dict[str, Any]:
        arguments = json.dumps({"timezone": zone})
        function = {"name": "get_current_time", "arguments": arguments}
        return {"id": call_id, "type": "function", "function": function}

    def result(call_id: str, when: str) -> dict[str, Any]:
        return {"role": "tool", "tool_call_id": call_id, "content": json.dumps({"datetime": when})}

    messages = [
        *user("서울과 뉴욕의 현재 시간은?"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [call("a", "Asia/Seoul"), call("b", "America/New_York")],
        },
        result("a", "2025-01-07T14:03:00+09:00"),
        result("b", "2025-01-07T00:03:00-05:00"),
    ]
    assert (
        plan_reply(messages, TIME_TOOL).text == "서울은 14:03(화요일), 뉴욕은 00:03(화요일)입니다."
    )


def test_anything_else_gets_the_offline_explanation() -> None:
    text = plan_reply(user("Explain quantum computing"), None).text or ""
    assert "offline demo model" in text and "Explain quantum computing" in text
    for hint in ("hello", "markdown", "long", "Seoul", "--base-url", "--model", "OPENAI_API_KEY"):
        assert hint in text


def test_call_prompt_calls_any_offered_tool() -> None:
    from tuichat.demo.planner import plan_reply

    tools = [{"type": "function", "function": {"name": "calc__add", "parameters": {}}}]
    reply = plan_reply([{"role": "user", "content": 'call calc__add {"a": 2, "b": 3}'}], tools)
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("calc__add", {"a": 2, "b": 3})]
    missing = plan_reply([{"role": "user", "content": "call nope"}], tools)
    assert not missing.tool_calls and "calc__add" in missing.text
    bad = plan_reply([{"role": "user", "content": "call calc__add {oops}"}], tools)
    assert not bad.tool_calls and "JSON object" in bad.text
