"""What do ten tabs cost, one of them streaming, against one tab?

A loopback demo server (its own process) streams an answer of N chunks at 200 chunks/s. Each
case runs in a process of its own (so that its peak memory is its own), in the headless app at
120x40, and prints the CPU seconds from Enter to the answer's end, the wall time, and the peak
memory (VmHWM):

  one          one tab, the answer streaming in it (the baseline)
  ten-hidden   ten tabs, the answer streaming in the first while the tenth is shown
  ten-shown    ten tabs, the answer streaming in the one shown
  ten-idle     ten tabs open, nothing streaming, for as long as the answer takes

Only the shown tab paints, so ten tabs should cost about what one does. Not a test: figures.

    python bench/tabs.py [--chunks 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from stream_render import flood_server  # beside this script
from tuichat.config.settings import Settings
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.ui.app import TuichatApp

SIZE = (120, 40)
CASES = ("one", "ten-hidden", "ten-shown", "ten-idle")
PACE = 200.0


def peak_mb() -> float:
    """This process's peak resident memory, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_case(case: str, base_url: str, chunks: int) -> dict[str, float]:
    options = SessionOptions(base_url=base_url, model="tuichat-demo", max_retries=0, history=False)
    app = TuichatApp(build_session(Settings(), options, {}), subtitle="bench")
    async with app.run_test(headless=True, size=SIZE) as pilot:
        if case != "one":
            for _ in range(9):
                await pilot.press("ctrl+t")
            await pilot.pause()
        if case in ("ten-shown", "ten-hidden"):
            for _ in range(9):
                await pilot.press("ctrl+pageup")  # back to the first tab
            await pilot.pause()
        wall, cpu = time.perf_counter(), time.process_time()
        if case == "ten-idle":
            await asyncio.sleep(chunks / PACE)
        else:
            await pilot.press(*"go", "enter")
            if case == "ten-hidden":
                # Not pilot.press: it waits for the screen to go idle, which a stream never does.
                for _ in range(9):
                    await app.run_action("next_tab")  # to the tenth: the answer goes on unseen
            await app.workers.wait_for_complete()
            await pilot.pause()
        result = {
            "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "tabs": float(len(app.tabs.tabs)),
        }
    result["peak_mb"] = peak_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # one case, in a child
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(asyncio.run(run_case(args.case, args.url, args.chunks))))
        return
    print(
        f"tabs benchmark ({os.cpu_count()} cores, headless app at {SIZE[0]}x{SIZE[1]}, "
        f"{args.chunks:,} chunks at {PACE:g}/s, each case in its own process)"
    )
    print(f"{'case':>11} {'tabs':>5} {'wall s':>7} {'cpu s':>6} {'cpu/one':>8} {'peak MB':>8}")
    base: float | None = None
    for case in CASES:
        with flood_server(args.chunks, PACE) as url:
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--case",
                    case,
                    "--url",
                    url,
                    "--chunks",
                    str(args.chunks),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        base = base if base is not None else result["cpu"]
        print(
            f"{case:>11} {result['tabs']:>5.0f} {result['wall']:>7.2f} {result['cpu']:>6.2f} "
            f"{result['cpu'] / base:>8.2f} {result['peak_mb']:>8.0f}"
        )
    print("(ten-hidden includes stepping through nine tabs to the tenth as the answer starts)")


if __name__ == "__main__":
    main()
