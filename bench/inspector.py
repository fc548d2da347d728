"""What does the inspector panel cost per key, on a short answer and on a 20,000-chunk one?

A loopback demo server (its own process) streams an answer of N chunks; the headless app shows
it with the inspector (F2) open. Then each key is pressed `--moves` times in the panel, and the
wall time from the press to the frame after it is measured (`pilot.press` + one pause: the
key's handling, the list's and the chunk's repaint, the compositor). Printed side by side for
the short answer (the baseline) and the long one, in the same run: the cost of a move should
depend on what is in view, not on how many chunks the answer has. Not a test: figures only.

    python bench/inspector.py [--sizes 200 20000] [--moves 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from stream_render import flood_server  # beside this script
from tuichat.config.settings import Settings
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.inspector import Inspector

SIZE = (120, 40)
KEYS = ("x", "down", "up", "pagedown", "pageup", "end", "home")
"""`x` does nothing in the panel: what a press and a frame cost in Pilot, the floor."""


async def panel_costs(base_url: str, moves: int) -> tuple[int, dict[str, float]]:
    """Stream one answer with the panel open; the median ms per press of each key."""
    options = SessionOptions(base_url=base_url, model="tuichat-demo", max_retries=0, history=False)
    app = TuichatApp(build_session(Settings(), options, {}), subtitle="bench")
    costs: dict[str, float] = {}
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await pilot.press("f2", "escape", *"go", "enter")  # open, back to the prompt, send
        await app.workers.wait_for_complete()
        await pilot.pause()
        inspector = app.screen.query_one(Inspector)
        inspector.sync()
        inspector.chunk_list.focus()
        await pilot.pause()
        rows = len(inspector.turn.rows)
        for key in (*KEYS, "f"):
            times = []
            for _ in range(moves):
                started = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                times.append(time.perf_counter() - started)
            costs[key] = statistics.median(times) * 1000
    return rows, costs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 20000])
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    print(
        f"inspector panel benchmark ({os.cpu_count()} cores, headless app at "
        f"{SIZE[0]}x{SIZE[1]}, median ms from a key press to the frame after it)"
    )
    results: list[tuple[int, int, dict[str, float]]] = []
    for chunks in args.sizes:
        with flood_server(chunks, None) as url:
            rows, costs = asyncio.run(panel_costs(url, args.moves))
        results.append((chunks, rows, costs))
    keys = (*KEYS, "f")
    print(f"{'chunks':>8} {'rows':>7} " + " ".join(f"{key:>9}" for key in keys))
    for chunks, rows, costs in results:
        print(f"{chunks:>8} {rows:>7} " + " ".join(f"{costs[key]:>9.1f}" for key in keys))
    if len(results) > 1:
        base = results[0][2]
        for chunks, _rows, costs in results[1:]:
            ratios = " ".join(f"{costs[key] / base[key]:>9.2f}" for key in keys)
            print(f"{'ratio':>8} {chunks:>7} {ratios}")
    print("(x is the floor: a key the panel ignores; f steps the kind filter, which reads every")
    print(" row once, so it grows with the turn)")


if __name__ == "__main__":
    main()
