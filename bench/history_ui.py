"""How fast the app shows a long saved conversation, and what it costs in memory.

Builds a 2,000-message conversation (Markdown answers with lists, tables and code, tool
rounds) in a temporary database with `HistoryStore`, opens it in the headless app the way
`--conversation ID` does, and measures:

- first paint: from starting the app until a frame shows the newest message;
- Home: from ctrl+home (or Home on the empty prompt) until a frame shows the first message;
- End: from ctrl+end (or End) until a frame shows the newest message again;
- scrolling up: PageUp at a held key's pace from the newest message to the first one, the
  window growing as it goes: pages, time, the longest pause of the event loop (a stall),
  the longest pause without a full garbage collection in it, and those collections;
- the most message widgets mounted at once, and the peak RSS of the process.

The pauses while scrolling are mostly full garbage collections: each scans every object
alive, Textual's many per-widget objects included. `--gc-freeze` shows what `gc.freeze()` at
start-up (objects from start-up are never scanned again) does to them.

    python bench/history_ui.py [--messages 2000] [--size 120x40] [--no-scroll] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuichat.config.settings import Settings
from tuichat.demo.essay import long_text
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.storage.store import HistoryStore
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen

PAGE_UP_RATE = 50  # PageUp presses per second, about a held key's repeat rate

CODE = '''```python
def fibonacci(count: int) -> list[int]:
    """The first `count` Fibonacci numbers."""
    numbers = [0, 1]
    while len(numbers) < count:
        numbers.append(numbers[-1] + numbers[-2])
    return numbers[:count]


if __name__ == "__main__":
    for index, value in enumerate(fibonacci(20)):
        print(f"{index:>3} {value:>8}")
```'''

TABLE = """| Format | Lossless | Typical use |
|--------|----------|-------------|
| PNG    | yes      | screenshots, diagrams |
| JPEG   | no       | photographs |
| WebP   | both     | the web |
| AVIF   | both     | newer browsers |"""


def answer_text(turn: int, paragraphs: list[str]) -> str:
    """A varied Markdown answer: prose, a list, and now and then code or a table."""
    start = (turn * 3) % len(paragraphs)
    prose = paragraphs[start : start + 3]
    parts = [f"## Part {turn}", *prose[:2]]
    parts.append(
        "\n".join(f"- point {i} of answer {turn}: *emphasis* and `code`" for i in range(4))
    )
    if turn % 3 == 0:
        parts.append(CODE)
    if turn % 5 == 0:
        parts.append(TABLE)
    parts.extend(prose[2:])
    return "\n\n".join(parts)


def build(path: Path, count: int) -> int:
    """Write a conversation of `count` messages; returns its id."""
    paragraphs = [p for p in long_text("history-ui").split("\n\n") if not p.startswith("#")]
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
            if turn % 7 == 0 and written + 3 < count:  # a tool round now and then
                function = {"name": "get_current_time", "arguments": '{"timezone": "Asia/Seoul"}'}
                call = {"id": f"call_{turn}", "type": "function", "function": function}
                store.add_message(
                    conversation_id,
                    {"role": "assistant", "content": None, "tool_calls": [call], "reasoning": None,
                     "finish_reason": "tool_calls", "usage": None},
                    model="gpt-bench",
                )  # fmt: skip
                result = '{"datetime": "2025-01-01T12:00:00+09:00"}'
                store.add_message(conversation_id, {"role": "tool", "tool_call_id": f"call_{turn}",
                                                    "content": result})  # fmt: skip
                written += 2
            store.add_message(
                conversation_id,
                {"role": "assistant", "content": answer_text(turn, paragraphs), "reasoning": None,
                 "finish_reason": "stop", "usage": {"prompt_tokens": 100, "completion_tokens": 300},
                 "timing": {"time_to_first_token": 0.3, "duration": 6.0}},
                model="gpt-bench",
            )  # fmt: skip
            written += 1
    return conversation_id


class BenchApp(TuichatApp):
    """The app, noting when a painted frame first satisfies a condition."""

    # Relative CSS paths are resolved next to the subclass's module: point at the app's.
    CSS_PATH = str(Path(sys.modules[TuichatApp.__module__].__file__ or "").with_name("app.tcss"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goal: Callable[[], bool] | None = None
        self.reached: float | None = None
        self.most_mounted = 0

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)
        chat = self.screen
        if isinstance(chat, ChatScreen) and chat.is_mounted:
            self.most_mounted = max(self.most_mounted, chat.messages.mounted_count)
        if self.goal is not None and self.reached is None and self.goal():
            self.reached = time.perf_counter()


def entry_in_view(app: TuichatApp, index: int) -> bool:
    """Whether the widget of entry `index` (negative: from the end) is painted in the view."""
    screen = app.screen
    if not isinstance(screen, ChatScreen) or not screen.is_mounted:
        return False
    entries = screen.messages.entries
    if not entries:
        return False
    widget = entries[index].widget
    if widget is None or not widget.is_mounted:
        return False
    region = widget.region
    return bool(region.height) and screen.messages.region.overlaps(region)


async def until_reached(app: BenchApp, goal: Callable[[], bool], timeout: float = 30.0) -> float:
    """Seconds from now until a frame shows `goal` true."""
    started = time.perf_counter()
    app.goal, app.reached = goal, None
    while app.reached is None:
        if time.perf_counter() - started > timeout:
            raise TimeoutError("not reached")
        await asyncio.sleep(0.001)
    app.goal = None
    return app.reached - started


async def page_up_to_the_top(app: BenchApp, screen: ChatScreen) -> dict[str, Any]:
    """PageUp at a held key's pace from the newest message until the first is on screen.

    Returns:
        pages, seconds, the longest pause of the event loop (a stall), the longest pause
        without a full garbage collection in it, the number of full collections and the
        longest of them.
    """
    pauses = {"any": 0.0, "no gc": 0.0}
    collections: list[float] = []
    gc_started = [0.0]
    running = True

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                collections.append(time.perf_counter() - gc_started[0])

    async def heartbeat() -> None:
        last, seen = time.perf_counter(), 0
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            pauses["any"] = max(pauses["any"], now - last)
            if len(collections) == seen:
                pauses["no gc"] = max(pauses["no gc"], now - last)
            last, seen = now, len(collections)

    gc.callbacks.append(on_gc)
    beat = asyncio.create_task(heartbeat())
    started, pages = time.perf_counter(), 0
    try:
        while not entry_in_view(app, 0):
            screen.action_page_up()
            pages += 1
            await asyncio.sleep(1 / PAGE_UP_RATE)
            if pages > 20_000:
                raise RuntimeError("never reached the top")
    finally:
        running = False
        await beat
        gc.callbacks.remove(on_gc)
    return {
        "pages": pages,
        "seconds": time.perf_counter() - started,
        "longest pause": pauses["any"],
        "longest pause without gc": pauses["no gc"],
        "collections": len(collections),
        "longest gc": max(collections, default=0.0),
    }


async def measure(
    db: Path, conversation_id: int, size: tuple[int, int], scroll: bool
) -> dict[str, Any]:
    options = SessionOptions(
        base_url="http://127.0.0.1:9/v1",
        model="gpt-bench",
        max_retries=0,
        db=db,
        resume=conversation_id,
    )
    app = BenchApp(build_session(Settings(), options, {}), subtitle="bench")
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    app.goal = lambda: entry_in_view(app, -1)
    async with app.run_test(headless=True, size=size) as pilot:
        while app.reached is None:
            await asyncio.sleep(0.001)
        figures["first paint"] = app.reached - started
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        figures["messages"] = len(app.session.messages)
        figures["entries"] = len(screen.messages.entries)
        figures["mounted on open"] = screen.messages.mounted_count
        await pilot.pause()

        # The actions of ctrl+home and ctrl+end (Home and End on the empty prompt), run
        # directly: Pilot.press adds waits of its own.
        pending = asyncio.ensure_future(screen.run_action("scroll_top"))
        figures["Home"] = await until_reached(app, lambda: entry_in_view(app, 0))
        await pending
        await pilot.pause()
        pending = asyncio.ensure_future(screen.run_action("scroll_bottom"))
        figures["End"] = await until_reached(app, lambda: entry_in_view(app, -1))
        await pending
        await pilot.pause()

        if scroll:
            figures["PageUp to the top"] = await page_up_to_the_top(app, screen)
        figures["most mounted"] = app.most_mounted
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--no-scroll", action="store_true", help="skip the PageUp run")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() before starting the app (what a full collection then skips)",
    )
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / "history.sqlite3"
        conversation_id = build(db, args.messages)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()  # what has lived since start-up is never scanned again
        figures = asyncio.run(measure(db, conversation_id, (width, height), not args.no_scroll))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # macOS: bytes; else KiB

    def row(label: str, value: float, unit: str = "ms", target: str = "") -> None:
        print(f"  {label:<40} {value:8.0f} {unit}{'   target < ' + target if target else ''}")

    frozen = ", gc.freeze() at start" if args.gc_freeze else ""
    print(
        f"history UI benchmark: {figures['messages']} messages ({figures['entries']} shown "
        f"entries), headless at {width}x{height}{frozen}"
    )
    row("first paint (newest message on screen)", figures["first paint"] * 1000, target="1000")
    row("Home (first message on screen)", figures["Home"] * 1000, target="1000")
    row("End (newest message again)", figures["End"] * 1000)
    if "PageUp to the top" in figures:
        run = figures["PageUp to the top"]
        print(
            f"  PageUp at {PAGE_UP_RATE}/s to the top: {run['pages']} pages in "
            f"{run['seconds']:.1f} s"
        )
        row("  longest pause", run["longest pause"] * 1000)
        row("  longest pause without a full gc", run["longest pause without gc"] * 1000)
        row(f"  longest of {run['collections']} full gcs", run["longest gc"] * 1000)
    row("message widgets mounted on open", figures["mounted on open"], "")
    row("message widgets mounted at most", figures["most mounted"], "")
    row("peak RSS", peak_mb, "MB", "300")


if __name__ == "__main__":
    main()
