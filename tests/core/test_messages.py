"""Which messages a request sends: the ones left out of the context are not, and an answer's
tool results go with it (never calls without their results, nor results without calls)."""

from __future__ import annotations

from typing import Any

from tuichat.core.messages import sent_flags, sent_messages

CALL = {"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{}"}}


def conversation(**flags: bool) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": None, "tool_calls": [CALL], "usage": {"x": 1}},
        {"role": "tool", "tool_call_id": "c1", "content": "R", "status": "done"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2"},
    ]
    for index, message in enumerate(messages):
        if flags.get(f"m{index}"):
            message["left_out"] = True
    return messages


def test_everything_is_sent_in_the_apis_keys() -> None:
    assert sent_messages(conversation()) == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "c1", "content": "R"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2"},
    ]


def test_a_left_out_answer_takes_its_tool_results_with_it() -> None:
    assert sent_flags(conversation(m2=True)) == [True, True, False, False, True, True]
    assert [m["content"] for m in sent_messages(conversation(m2=True))] == [
        "S", "Q1", "A1", "Q2",
    ]  # fmt: skip


def test_a_tool_result_goes_with_its_answer_whatever_it_says_itself() -> None:
    assert sent_flags(conversation(m3=True)) == [True] * 6


def test_left_out_prompts_and_the_system_prompt_are_not_sent() -> None:
    assert sent_flags(conversation(m0=True, m1=True, m5=True)) == [
        False, False, True, True, True, False,
    ]  # fmt: skip


def test_an_answer_that_failed_before_any_text_is_not_sent() -> None:
    failed = {"role": "assistant", "content": None, "error": {"kind": "http", "message": "x"}}
    assert sent_flags([{"role": "user", "content": "Q"}, failed]) == [True, False]
