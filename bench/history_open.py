"""How long reopening a long conversation takes (the storage side only).

Builds a 2,000-message conversation (user prompts, ~250-word answers, some tool rounds,
raw chunks) in a temporary database, then times opening the file and loading the
messages the way the app does (`AsyncHistory.load_messages` on an event loop) and
directly (`HistoryStore.load_messages`), plus listing and a search.

    python bench/history_open.py [--messages 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuichat.core.events import RawChunk
from tuichat.demo.essay import long_text
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.store import HistoryStore


def build(path: Path, count: int) -> int:
    """Write a conversation of about `count` messages; returns its id."""
    essay = long_text("bench").split("\n\n")
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation(
            model="gpt-bench",
            provider="bench",
            messages=[{"role": "system", "content": "Be brief."}],
        )
        written, turn = 1, 0
        while written < count:
            turn += 1
            store.add_message(
                conversation_id, {"role": "user", "content": f"Question {turn}: tell me more."}
            )
            written += 1
            if turn % 10 == 0 and written + 3 < count:  # a tool round now and then
                call = {
                    "id": f"call_{turn}",
                    "type": "function",
                    "function": {
                        "name": "get_current_time",
                        "arguments": '{"timezone": "Asia/Seoul"}',
                    },
                }
                store.add_message(
                    conversation_id,
                    {"role": "assistant", "content": None, "tool_calls": [call], "reasoning": None,
                     "finish_reason": "tool_calls", "usage": None},
                    model="gpt-bench",
                )  # fmt: skip
                store.add_message(
                    conversation_id,
                    {
                        "role": "tool",
                        "tool_call_id": f"call_{turn}",
                        "content": '{"datetime": "12:00"}',
                    },
                )
                written += 2
            text = "\n\n".join(essay[turn % len(essay) : turn % len(essay) + 6])
            answer = store.start_answer(conversation_id, model="gpt-bench", provider="bench")
            chunks = [RawChunk(f'{{"choices":[{{"delta":{{"content":"{w} "}}}}]}}', i * 0.02)
                      for i, w in enumerate(text.split()[:300])]  # fmt: skip
            store.finish_answer(
                answer,
                {
                    "role": "assistant",
                    "content": text,
                    "reasoning": None,
                    "finish_reason": "stop",
                    "usage": {
                        "prompt_tokens": 100 * turn,
                        "completion_tokens": 300,
                        "total_tokens": 100 * turn + 300,
                    },
                    "timing": {"time_to_first_token": 0.3, "duration": 6.0},
                },
                raw_chunks=chunks,
            )  # fmt: skip
            written += 1
    return conversation_id


def timed(label: str, repeat: int, call: Callable[[], Any]) -> Any:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    print(
        f"{label:<42} median {statistics.median(times) * 1000:8.1f} ms   best "
        f"{min(times) * 1000:8.1f} ms"
    )
    return result


async def load_async(path: Path, conversation_id: int) -> list[dict[str, Any]]:
    history = await AsyncHistory.open(path)
    try:
        return await history.load_messages(conversation_id)
    finally:
        await history.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "history.sqlite3"
        started = time.perf_counter()
        conversation_id = build(path, args.messages)
        size = sum(p.stat().st_size for p in Path(directory).iterdir())
        print(
            f"built {args.messages} messages in {time.perf_counter() - started:.2f} s, "
            f"{size / 1e6:.1f} MB"
        )

        def open_and_load() -> list[dict[str, Any]]:
            with HistoryStore(path) as store:
                return store.load_messages(conversation_id)

        messages = timed("open + load_messages (sync)", args.repeat, open_and_load)
        timed(
            "open + load_messages (AsyncHistory)",
            args.repeat,
            lambda: asyncio.run(load_async(path, conversation_id)),
        )
        with HistoryStore(path) as store:
            timed(
                "load_messages (open store)",
                args.repeat,
                lambda: store.load_messages(conversation_id),
            )
            timed(
                "message_rows (open store)",
                args.repeat,
                lambda: store.message_rows(conversation_id),
            )
            timed("list_conversations", args.repeat, store.list_conversations)
            timed("search('terminal')", args.repeat, lambda: store.search("terminal", 50))
        print(
            f"loaded {len(messages)} messages, "
            f"{sum(len(m.get('content') or '') for m in messages) / 1e6:.1f} M characters"
        )


if __name__ == "__main__":
    main()
