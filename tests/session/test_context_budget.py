"""The context budget: counted tokens, estimated ones, and the window from where it is said."""

from __future__ import annotations

from tuichat.config.context_windows import known_context_window
from tuichat.core.client import ChatClient
from tuichat.core.provider import Provider
from tuichat.demo.server import ChatServer
from tuichat.session.context_budget import (
    ContextBudget,
    find_context_window,
    measure,
    short_count,
    window_of,
)


def test_what_the_server_counted_is_exact_and_what_is_new_is_estimated() -> None:
    usage = {"prompt_tokens": 1200, "completion_tokens": 34}
    messages = [
        {"role": "system", "content": "x" * 400},
        {"role": "user", "content": "y" * 40},
        {"role": "assistant", "content": "z", "usage": usage},
        {"role": "tool", "content": "t" * 80, "tool_call_id": "c1"},
    ]
    budget = measure(messages, "d" * 41, 128_000)
    assert (budget.counted, budget.estimated) == (1234, 20 + 11)
    assert budget.label() == "1.3k / 128k tokens (1%)"
    fresh = measure(messages[:2], "", None)
    assert (fresh.counted, fresh.estimated) == (0, 110)
    assert fresh.label() == "~110 tokens · window unknown"


def test_over_the_window() -> None:
    assert ContextBudget(900, 200, 1000).over
    assert not ContextBudget(900, 100, 1000).over
    assert not ContextBudget(10**6, 0, None).over
    assert ContextBudget(12_300, 0, 128_000).label() == "12.3k / 128k tokens (10%)"


def test_short_counts() -> None:
    assert [short_count(n) for n in (950, 1000, 12_345, 128_000, 1_048_576)] == [
        "950", "1k", "12.3k", "128k", "1.05M",
    ]  # fmt: skip


def test_the_window_is_read_from_the_keys_servers_use() -> None:
    entries = [
        {"id": "a", "context_length": 8192},
        {"id": "b", "max_model_len": 32768},
        {"id": "c", "context_window": 200_000},
        {"id": "d", "owned_by": "x"},
    ]
    assert [window_of(entries, m) for m in "abcde"] == [8192, 32768, 200_000, None, None]


def test_the_table_knows_well_known_models_by_their_family() -> None:
    assert known_context_window("gpt-4o") == 128_000
    assert known_context_window("gpt-4o-mini-2024-07-18") == 128_000
    assert known_context_window("openai/gpt-4") == 8_192
    assert known_context_window("llama3.2:3b") == 131_072
    assert known_context_window("my-own-model") is None


async def test_the_window_comes_from_the_servers_models_else_the_table(
    server: ChatServer,
) -> None:
    server.context_length = 4096
    client = ChatClient(Provider(base_url=server.base_url, model=server.model, api_key="k"))
    try:
        assert await find_context_window(client, server.model) == 4096
        assert await find_context_window(client, "gpt-4o") == 128_000  # not listed there
        assert await find_context_window(client, "unheard-of") is None
    finally:
        await client.aclose()
