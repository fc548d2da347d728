"""Benchmark: streaming an answer into StreamingMarkdown vs Textual's stock Markdown.

Runs a headless app (120x40) with a VerticalScroll that holds one Markdown widget
and feeds it N chunks of 4-6 characters of Markdown prose (a paragraph break every
~40 chunks, a code block or a list now and then), yielding to the event loop every
k chunks as a network consumer would, then waits for the last frame to be painted.

Two arrival patterns:

* burst: ``await asyncio.sleep(0)`` every k chunks, i.e. the whole answer arrives
  as fast as the loop can take it (few frames happen; mostly measures throughput);
* paced: chunks arrive at ``--rate`` chunks per second (default 2,000/s, faster than
  any real provider), so frames happen all along the answer, as in real use.

Prints wall and CPU seconds, microseconds per chunk, frames painted, and for
StreamingMarkdown the cost of its per-frame flush at the start and at the end of
the answer (it must not grow with the answer's length).

Usage::

    /tmp/venv/bin/python bench/markdown_view.py              # N = 2,000 and 20,000
    /tmp/venv/bin/python bench/markdown_view.py --n 5000 --k 1 --stock-max 2000
    /tmp/venv/bin/python bench/markdown_view.py --mode paced --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from tuichat.ui.widgets.markdown_view import StreamingMarkdown

PROSE = (
    "the model streams tokens into a terminal chat client and every frame should "
    "cost what is visible not what was said before so we measure how long it takes "
    "to paint a long answer with *emphasis* and `inline code` and **strong** words"
)
WORDS = PROSE.split()

CODE = [
    "def fibonacci(n: int) -> int:",
    '    """Return the n-th Fibonacci number."""',
    "    a, b = 0, 1",
    "",
    "    for _ in range(n):",
    "        a, b = b, a + b",
    "    return a",
    "",
    "print([fibonacci(i) for i in range(10)])",
]


def make_source(chunk_count: int, seed: int = 1) -> list[str]:
    """Build a deterministic Markdown answer cut into chunks of 4-6 characters.

    Args:
        chunk_count: Number of chunks wanted.
        seed: Random seed.

    Returns:
        The chunks (joined, they are the answer).
    """
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    target = chunk_count * 5
    paragraphs = 0
    while size < target:
        words = [rng.choice(WORDS) for _ in range(rng.randint(30, 45))]
        parts.append(" ".join(words) + ".\n\n")
        paragraphs += 1
        if paragraphs % 10 == 0:
            parts.append("```python\n" + "\n".join(CODE) + "\n```\n\n")
        elif paragraphs % 10 == 5:
            parts.append("".join(f"- item {i}: {rng.choice(WORDS)}\n" for i in range(4)) + "\n")
        size = sum(map(len, parts))
    text = "".join(parts)
    chunks: list[str] = []
    position = 0
    while position < len(text) and len(chunks) < chunk_count:
        step = rng.randint(4, 6)
        chunks.append(text[position : position + step])
        position += step
    return chunks


class BenchApp(App[None]):
    """One VerticalScroll (anchored to the bottom, like a chat) holding one widget."""

    def __init__(self, widget_factory: Callable[[], Any]) -> None:
        super().__init__()
        self.widget_factory = widget_factory
        self.frames = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="messages"):
            yield self.widget_factory()

    def on_mount(self) -> None:
        self.query_one("#messages", VerticalScroll).anchor()

    def _display(self, screen: Any, renderable: Any) -> None:
        self.frames += 1
        super()._display(screen, renderable)


@dataclass
class Result:
    """Figures of one run."""

    name: str
    chunks: int
    wall: float
    cpu: float
    frames: int
    lines: int
    flushes: list[float] = field(default_factory=list)

    def report(self, baseline: Result | None = None) -> str:
        """One line of figures."""
        text = (
            f"{self.name:<18} N={self.chunks:>6}  wall {self.wall:7.3f} s  "
            f"cpu {self.cpu:7.3f} s  {self.cpu / self.chunks * 1e6:7.1f} us/chunk (cpu)  "
            f"frames {self.frames:>5}  lines {self.lines:>5}"
        )
        if baseline is not None and baseline.cpu > 0:
            text += f"  x{self.cpu / baseline.cpu:.1f} bare cpu"
        if self.flushes:
            tenth = max(1, len(self.flushes) // 10)
            first = statistics.mean(self.flushes[:tenth]) * 1e3
            last = statistics.mean(self.flushes[-tenth:]) * 1e3
            text += (
                f"\n{'':<18} flushes {len(self.flushes)}: mean {first:.2f} ms in the first "
                f"tenth, {last:.2f} ms in the last tenth, max {max(self.flushes) * 1e3:.2f} ms"
            )
        return text


async def feed(
    chunks: list[str],
    k: int,
    rate: float | None,
    write: Callable[[str], Awaitable[None] | None],
) -> None:
    """Deliver the chunks like a network consumer.

    Args:
        chunks: The chunks.
        k: Yield to the event loop every k chunks.
        rate: Chunks per second, or None to deliver as fast as possible.
        write: Called with each chunk (awaited if it returns an awaitable).
    """
    started = time.perf_counter()
    for index, chunk in enumerate(chunks):
        result = write(chunk)
        if result is not None:
            await result
        if index % k == 0:
            if rate is None:
                await asyncio.sleep(0)
            else:
                delay = started + (index + 1) / rate - time.perf_counter()
                await asyncio.sleep(max(0.0, delay))


async def run_bare(chunks: list[str], k: int, rate: float | None) -> Result:
    """The network consumer alone: same loop, chunks go to a list."""
    received: list[str] = []
    wall, cpu = time.perf_counter(), time.process_time()
    await feed(chunks, k, rate, received.append)
    return Result(
        "bare consumer",
        len(chunks),
        time.perf_counter() - wall,
        time.process_time() - cpu,
        0,
        0,
    )


async def run_streaming(chunks: list[str], k: int, rate: float | None) -> Result:
    """Feed StreamingMarkdown.append, then finish() and wait for the last paint."""
    app = BenchApp(StreamingMarkdown)
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        widget = app.query_one(StreamingMarkdown)
        flushes: list[float] = []
        flush = widget._flush

        def timed_flush() -> None:
            started = time.perf_counter()
            flush()
            flushes.append(time.perf_counter() - started)

        widget._flush = timed_flush  # type: ignore[method-assign]
        app.frames = 0
        wall, cpu = time.perf_counter(), time.process_time()
        await feed(chunks, k, rate, widget.append)
        widget.finish()
        await pilot.pause()
        result = Result(
            "StreamingMarkdown",
            len(chunks),
            time.perf_counter() - wall,
            time.process_time() - cpu,
            app.frames,
            widget.line_count,
            flushes,
        )
        assert widget.text == "".join(chunks)
    return result


async def run_stock(chunks: list[str], k: int, rate: float | None) -> Result:
    """Feed Textual's Markdown through MarkdownStream.write (which yields every chunk)."""
    app = BenchApp(Markdown)
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        widget = app.query_one(Markdown)
        stream = Markdown.get_stream(widget)
        app.frames = 0
        wall, cpu = time.perf_counter(), time.process_time()
        await feed(chunks, k, rate, stream.write)
        await stream.stop()
        await pilot.pause()
        result = Result(
            "stock Markdown",
            len(chunks),
            time.perf_counter() - wall,
            time.process_time() - cpu,
            app.frames,
            widget.virtual_size.height,
        )
    return result


async def main() -> None:
    """Run the benchmark for each mode and N."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=[2_000, 20_000])
    parser.add_argument("--k", type=int, default=1, help="yield to the loop every k chunks")
    parser.add_argument("--mode", choices=["burst", "paced", "both"], default="both")
    parser.add_argument("--rate", type=float, default=2_000.0, help="paced: chunks per second")
    parser.add_argument(
        "--stock-max", type=int, default=2_000, help="largest N to run the stock widget for"
    )
    args = parser.parse_args()
    modes = ["burst", "paced"] if args.mode == "both" else [args.mode]
    for mode in modes:
        rate = args.rate if mode == "paced" else None
        print(f"== {mode}" + (f" ({args.rate:g} chunks/s)" if rate else "") + f", k={args.k}")
        for count in args.n:
            chunks = make_source(count)
            bare = await run_bare(chunks, args.k, rate)
            print(bare.report())
            print((await run_streaming(chunks, args.k, rate)).report(bare))
            if count <= args.stock_max:
                print((await run_stock(chunks, args.k, rate)).report(bare))
            else:
                print(
                    f"{'stock Markdown':<18} N={count:>6}  skipped (--stock-max {args.stock_max})"
                )
            print()


if __name__ == "__main__":
    asyncio.run(main())
