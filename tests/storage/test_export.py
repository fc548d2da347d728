"""Export: readable Markdown and reusable JSON of a stored conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tuichat.storage.db import StorageError
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


def test_json_is_the_openai_messages_format_and_reloads(stored: tuple[HistoryStore, int]) -> None:
    store, conversation_id = stored
    document = json.loads(export_conversation(store, conversation_id, "json"))
    assert document["messages"] == MESSAGES
    assert document["conversation"]["id"] == conversation_id
    assert document["conversation"]["model"] == "gpt-x"
    assert document["conversation"]["created"][:4].isdigit()


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
