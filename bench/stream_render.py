"""How much does rendering a stream cost beyond reading it?

A loopback server (the demo server, in its own process so that its CPU is not counted)
streams N small chunks. Measured in this process, side by side:

  (a) a bare `AsyncOpenAI` consumer that does nothing per chunk;
  (b) the headless tuichat app, from Enter until the last token is on screen.

It prints wall and CPU seconds for both and the ratio b/a, for 2,000 and 20,000 chunks
unthrottled, and CPU seconds for a stream paced at 200 chunks/s. Not a test: figures only.

    python bench/stream_render.py [--sizes 2000 20000] [--paced 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from openai import AsyncOpenAI

from tuichat.config.settings import Settings
from tuichat.session import SessionOptions, build_session
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.chat_message import AssistantMessage

SIZE = (120, 40)


@contextmanager
def flood_server(chunks: int, tps: float | None) -> Iterator[str]:
    """Run `python -m tuichat.demo --flood N` in a subprocess; yield its base URL."""
    command = [sys.executable, "-m", "tuichat.demo", "--port", "0", "--flood", str(chunks)]
    if tps:
        command += ["--tps", str(tps)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.strip().split()[-1]
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(coro_factory) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(coro_factory())
    return time.perf_counter() - wall, time.process_time() - cpu


async def bare_consumer(base_url: str) -> None:
    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    stream = await client.chat.completions.create(
        model="tuichat-demo", messages=[{"role": "user", "content": "go"}], stream=True
    )
    count = 0
    async for _chunk in stream:
        count += 1
    await client.close()
    assert count > 0


STREAMING: dict[str, float] = {}  # wall and CPU from Enter to the last token on screen


INSPECTOR = {"shown": False}  # --inspector: the raw-chunk panel open while streaming


async def app_consumer(base_url: str) -> None:
    options = SessionOptions(base_url=base_url, model="tuichat-demo", max_retries=0, history=False)
    app = TuichatApp(build_session(Settings(), options, {}), subtitle="bench")
    async with app.run_test(headless=True, size=SIZE) as pilot:
        if INSPECTOR["shown"]:
            await pilot.press("f2")
        await pilot.press(*"go")
        wall, cpu = time.perf_counter(), time.process_time()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()  # the frame with the last token
        STREAMING["wall"] = time.perf_counter() - wall
        STREAMING["cpu"] = time.process_time() - cpu
        answer = app.screen.query(AssistantMessage).last()
        assert answer.ended and answer.body.text


def run(sizes: list[int], paced: int, repeat: int) -> None:
    panel = ", inspector open" if INSPECTOR["shown"] else ""
    print(
        f"stream render benchmark ({os.cpu_count()} cores, headless app at "
        f"{SIZE[0]}x{SIZE[1]}{panel})"
    )
    print("bare: an AsyncOpenAI consumer that does nothing per chunk (client creation included)")
    print("app:  the headless app, from Enter until the last token is painted (start-up apart)")
    print(
        f"{'chunks':>8} {'pace':>6} {'bare wall':>10} {'bare cpu':>9} {'app wall':>9} "
        f"{'app cpu':>8} "
        f"{'wall b/a':>9} {'cpu b/a':>8} {'app µs/chunk':>13} {'app start-up':>13}"
    )

    def row(
        chunks: int, pace: str, bare: tuple[float, float], app: tuple[float, float], total: float
    ) -> None:
        (bw, bc), (aw, ac) = bare, app
        print(
            f"{chunks:>8} {pace:>6} {bw:>10.2f} {bc:>9.2f} {aw:>9.2f} {ac:>8.2f} "
            f"{aw / bw:>9.2f} {ac / bc:>8.2f} {aw / chunks * 1e6:>13.1f} {total - aw:>12.2f}s"
        )

    for chunks in sizes:
        best: dict[str, tuple[float, float]] = {}
        app_total = 0.0
        for _ in range(repeat):
            with flood_server(chunks, None) as url:
                bare = measure(lambda: bare_consumer(url))
                if "bare" not in best or bare[0] < best["bare"][0]:
                    best["bare"] = bare
                total, _cpu = measure(lambda: app_consumer(url))
                if "app" not in best or STREAMING["wall"] < best["app"][0]:
                    best["app"] = (STREAMING["wall"], STREAMING["cpu"])
                    app_total = total
        row(chunks, "fast", best["bare"], best["app"], app_total)
    if paced:
        with flood_server(paced, 200.0) as url:
            bare = measure(lambda: bare_consumer(url))
        with flood_server(paced, 200.0) as url:
            total, _cpu = measure(lambda: app_consumer(url))
        row(paced, "200/s", bare, (STREAMING["wall"], STREAMING["cpu"]), total)
        print("(paced at 200 chunks/s the walls match the stream; compare the CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--paced", type=int, default=2000, help="chunks at 200/s (0 to skip)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--inspector", action="store_true", help="with the inspector (F2) open")
    args = parser.parse_args()
    INSPECTOR["shown"] = args.inspector
    run(args.sizes, args.paced, args.repeat)


if __name__ == "__main__":
    main()
