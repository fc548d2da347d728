"""The demo model answers a summary request with a summary of what it was given (not a
canned sample): the Context screen's summaries work offline."""

from __future__ import annotations

from tuichat.demo.planner import plan_reply
from tuichat.session.context import context_items
from tuichat.session.context_summary import summary_request

CALL = {"id": "c1", "type": "function", "function": {"name": "get_current_time", "arguments": "{}"}}


def test_a_summary_request_gets_a_summary_of_its_transcript() -> None:
    conversation = [
        {"role": "user", "content": "How do I parse JSON in Python? I need it for config_loader."},
        {"role": "assistant", "content": "Use `json.loads`. It returns a dict."},
        {"role": "user", "content": "What time is it?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"time": "12:00"}'},
        {"role": "assistant", "content": "It is noon."},
        {"role": "user", "content": "Can parse_float give a Decimal?"},
    ]
    items = context_items(conversation, [None] * len(conversation))
    reply = plan_reply(summary_request(items), None)
    assert reply.text == (
        "- The user asked: “How do I parse JSON in Python?”\n"
        "- The user asked: “What time is it?”\n"
        "- The user asked: “Can parse_float give a Decimal?”\n"
        "- The assistant answered: “Use `json.loads`.”\n"
        "- The assistant answered: “It is noon.”\n"
        "- Tools called: `get_current_time`.\n"
        "- Identifiers mentioned: `config_loader`, `json.loads`, `get_current_time`, "
        "`parse_float`.\n"
        "- Still open: “Can parse_float give a Decimal?” has no answer yet.\n"
        "\n*(The offline demo model lists first sentences; a real model writes a faithful "
        "summary.)*"
    )


def test_asking_about_a_summary_in_passing_is_not_a_summary_request() -> None:
    reply = plan_reply([{"role": "user", "content": "write me a summary of Hamlet"}], None)
    assert reply.text is not None and "Tools called" not in reply.text
