"""A bare `AsyncOpenAI` consumer in a process of its own, for benchmarks that measure CPU
from outside (``/proc/PID/stat``) as they measure the app.

    python bench/_bare.py BASE_URL

Imports the SDK, prints ``ready`` and waits for a line on stdin; then creates the client,
reads the whole stream doing nothing per chunk, prints ``done N`` and waits for stdin to
close. So the CPU used between ``ready`` and ``done`` is the client's creation and the
stream alone, measured the same way as the app's.
"""

from __future__ import annotations

import asyncio
import sys

from openai import AsyncOpenAI


async def consume(base_url: str) -> int:
    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    stream = await client.chat.completions.create(
        model="tuichat-demo", messages=[{"role": "user", "content": "go"}], stream=True
    )
    count = 0
    async for _chunk in stream:
        count += 1
    await client.close()
    return count


def main() -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    count = asyncio.run(consume(sys.argv[1]))
    print(f"done {count}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
