"""Export: readable Markdown and reusable JSON of a stored conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionToolMessageParam,
    ChatCompletionUserMessageParam,
)

from tuichat.demo.server import ChatServer
from tuichat.storage.errors import StorageError
from tuichat.storage.export import chat_message, export_conversation, fenced
from tuichat.storage.store import HistoryStore

CALLS: list[dict[str, Any]] = [
    {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_current_time", "arguments": '{"timezone":"Asia/Seoul"}'},
        "extra_content": {"google": {"thought_signature": "x"}},
    }
]
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What time is it in Seoul? Use ```code``` if needed."},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": CALLS,
        "reasoning": "I should call the clock.\n\nThen answer.",
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        "timing": {"time_to_first_token": 0.1, "duration": 0.4},
    },
    {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": '{"datetime": "2025-01-01T12:00:00+09:00"}',
    },
    {
        "role": "assistant",
        "content": "It is **noon** in Seoul.\n\n```python\nprint('```')\n```",
        "reasoning": None,
        "finish_reason": "stop",
        "usage": None,
        "timing": {"time_to_first_token": 0.2, "duration": 0.5},
    },
    {"role": "user", "content": "And now?"},
    {
        "role": "assistant",
        "content": "Let me",
        "reasoning": None,
        "finish_reason": None,
        "usage": None,
        "error": {"kind": "connection", "message": "The connection dropped."},
    },
]


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[HistoryStore, int]]:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conversation_id = store.create_conversation(model="gpt-x", provider="openai", messages=MESSAGES)
    yield store, conversation_id
    store.close()


def test_markdown_has_headings_tool_calls_results_and_collapsed_reasoning(
    stored: tuple[HistoryStore, int],
) -> None:
    store, conversation_id = stored
    text = export_conversation(store, conversation_id, "md")
    lines = text.splitlines()
    assert lines[0] == "# What time is it in Seoul? Use ```code``` if needed."
    assert "gpt-x (openai)" in lines[2] and f"conversation {conversation_id}" in lines[2]
    headings = [line for line in lines if line.startswith("#")]
    assert headings[1:] == [
        "## System",
        "## User",
        "## Assistant",
        "### Tool result: `get_current_time` (`call_1`)",
        "## Assistant",
        "## User",
        "## Assistant",
    ]
    assert "**Tool call:** `get_current_time` (`call_1`)" in text
    assert '```json\n{\n  "timezone": "Asia/Seoul"\n}\n```' in text  # arguments, pretty
    assert '"datetime": "2025-01-01T12:00:00+09:00"' in text  # the result
    assert (
        "<details>\n<summary>Reasoning</summary>\n\n> I should call the clock.\n>\n> Then "
        "answer.\n\n</details>" in text
    )
    assert "10 prompt + 5 completion tokens" in text
    assert "failed: The connection dropped." in text
    assert text.endswith("\n")


# What OpenAI's API defines for each role's message, and for a tool call: the SDK's own types.
_API_MESSAGE = {
    "system": ChatCompletionSystemMessageParam,
    "user": ChatCompletionUserMessageParam,
    "assistant": ChatCompletionAssistantMessageParam,
    "tool": ChatCompletionToolMessageParam,
}


def assert_api_shape(kind: Any, value: dict[str, Any]) -> None:
    """`value` has every key `kind` (a TypedDict of the openai SDK) requires and no other."""
    assert kind.__required_keys__ <= set(value) <= kind.__required_keys__ | kind.__optional_keys__


def test_json_messages_are_what_the_api_accepts_and_tuichat_keeps_the_rest_beside_them(
    stored: tuple[HistoryStore, int],
) -> None:
    store, conversation_id = stored
    document = json.loads(export_conversation(store, conversation_id, "json"))
    assert list(document) == ["conversation", "messages", "tuichat"]
    assert document["conversation"]["id"] == conversation_id
    assert document["conversation"]["model"] == "gpt-x"
    assert document["conversation"]["created"][:4].isdigit()
    messages, extras = document["messages"], document["tuichat"]
    assert len(extras) == len(messages) == len(MESSAGES)
    for message in messages:
        assert set(message) <= {"role", "content", "tool_calls", "tool_call_id", "name"}
        assert_api_shape(_API_MESSAGE[message["role"]], message)
        for call in message.get("tool_calls") or []:
            assert_api_shape(ChatCompletionMessageFunctionToolCallParam, call)
            assert set(call["function"]) == {"name", "arguments"}
    assert messages[2]["tool_calls"][0]["function"]["name"] == "get_current_time"
    # tuichat's own fields, one entry per message, in the same order.
    assert extras[0] == extras[1] == extras[3] == {}
    assert extras[2] == {
        "reasoning": "I should call the clock.\n\nThen answer.",
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        "timing": {"time_to_first_token": 0.1, "duration": 0.4},
        "tool_call_extras": {"call_1": {"extra_content": {"google": {"thought_signature": "x"}}}},
    }
    assert extras[6]["error"] == {"kind": "connection", "message": "The connection dropped."}
    # Together they are the whole stored conversation.
    rebuilt = []
    for message, extra in zip(messages, extras, strict=True):
        extra = dict(extra)
        call_extras = extra.pop("tool_call_extras", {})
        whole = {**message, **extra}
        if "tool_calls" in whole:
            whole["tool_calls"] = [
                {**c, **call_extras.get(c["id"], {})} for c in whole["tool_calls"]
            ]
        rebuilt.append(whole)
    assert rebuilt == store.load_messages(conversation_id) == MESSAGES


async def test_json_messages_go_through_the_openai_sdk_unchanged(
    stored: tuple[HistoryStore, int], server: ChatServer
) -> None:
    store, conversation_id = stored
    store.add_message(conversation_id, {"role": "user", "content": "Try again?"})
    messages = json.loads(export_conversation(store, conversation_id, "json"))["messages"]
    client = AsyncOpenAI(base_url=server.base_url, api_key="sk-test-export", max_retries=0)
    try:
        reply = await client.chat.completions.create(model="gpt-x", messages=messages)
    finally:
        await client.close()
    assert reply.choices[0].message.content
    assert server.requests[-1]["messages"] == messages
    allowed = {"role", "content", "tool_calls", "tool_call_id", "name"}
    assert all(set(message) <= allowed for message in server.requests[-1]["messages"])


def test_exporting_an_unknown_conversation_is_a_clear_error(
    stored: tuple[HistoryStore, int],
) -> None:
    store, _ = stored
    with pytest.raises(StorageError) as caught:
        export_conversation(store, 999, "md")
    assert caught.value.kind == "missing" and "999" in str(caught.value)


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    assert fenced("plain") == "```\nplain\n```"
    assert fenced("has ``` and ````` runs", "md").startswith("``````md\n")


def test_chat_message_keeps_the_standard_keys_and_the_three_extras() -> None:
    assistant = chat_message(MESSAGES[2])
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_current_time", "arguments": '{"timezone":"Asia/Seoul"}'},
            }
        ],
        "reasoning": "I should call the clock.\n\nThen answer.",
        "finish_reason": "tool_calls",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    assert chat_message(MESSAGES[3]) == MESSAGES[3]
