"""How much does rendering a stream cost beyond reading it?

A loopback server (the demo server, in its own process so that its CPU is not counted)
streams N small chunks. Measured side by side, in the same run:

  (a) a bare `AsyncOpenAI` consumer that does nothing per chunk;
  (b) the tuichat app, from Enter until the last token is on screen.

It prints wall and CPU seconds for both and the ratio b/a, for 2,000 and 20,000 chunks
unthrottled, and for a stream paced at 200 chunks/s (where the walls match the stream and
the CPU is what counts). Not a test: figures only.

Two ways to run the app:

* headless (the default): both in this process, the app under `run_test`; nothing is
  written to a terminal.
* ``--tmux``: the real ``tuichat`` console script in a 120x40 tmux pane (a private tmux
  server), with its own config and data dirs and a database in a temp dir; the prompt is
  typed with ``send-keys`` and the end of the answer is its status line on the screen. The
  bare consumer runs in a process of its own (``bench/_bare.py``). CPU is read from
  ``/proc/PID/stat`` for both, from just before Enter (the app) or the request (bare), so
  start-up is not counted; the client's creation is, for both. Also prints the app's peak
  memory (VmHWM). Medians of ``--repeat`` runs, app and bare interleaved.

    python bench/stream_render.py [--sizes 2000 20000] [--paced 2000] [--repeat 3]
    python bench/stream_render.py --tmux [--sizes 20000] [--paced 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openai import AsyncOpenAI

import _tmux  # beside this script, so on sys.path when run as a script
from tuichat.config.settings import Settings
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.ui.app import TuichatApp
from tuichat.ui.widgets.chat_message import AssistantMessage

SIZE = (120, 40)
BENCH = Path(__file__).parent
TUICHAT = Path(sys.executable).parent / "tuichat"  # the venv's console script
FIRST_SCREEN = re.compile(r"Message \(Enter sends")  # the prompt's placeholder
ANSWER_ENDED = re.compile(r"stop · [\d.]+ s · [\d,]+ → [\d,]+ tokens")  # the answer's status


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
            await pilot.press("f2", "escape")  # open it, and give the keys back to the prompt
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


def tmux_app(pane: _tmux.Tmux, url: str, home: Path, timeout: float) -> dict[str, float]:
    """One answer in the real app in tmux: CPU and wall from Enter to the status line."""
    data = home / "data"
    for folder in (home / "config", data):
        folder.mkdir(parents=True, exist_ok=True)
    database = data / f"bench-{time.monotonic_ns()}.db"
    argv = [str(TUICHAT), "--base-url", url, "--model", "tuichat-demo", "--no-tools"]
    env = {"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(data)}
    pid = pane.launch([*argv, "--db", str(database)], env)
    try:
        pane.wait_for(FIRST_SCREEN, 30)
        _tmux.wait_idle(pid)
        pane.send_keys("go", literal=True)
        _tmux.wait_idle(pid, quiet=0.2)
        cpu = _tmux.cpu_seconds(pid)
        wall = time.perf_counter()
        pane.send_keys("Enter")
        ended, _screen = pane.wait_for(ANSWER_ENDED, timeout, interval=0.01)
        result = {
            "wall": ended - wall,
            "cpu": _tmux.cpu_seconds(pid) - cpu,
            "rss": _tmux.peak_rss_mb(pid),
        }
    finally:
        pane.clear()
        database.unlink(missing_ok=True)
    return result


def tmux_bare(url: str) -> dict[str, float]:
    """One answer read by a bare AsyncOpenAI consumer in its own process."""
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "_bare.py"), url],
        env=_tmux.bytecode_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "ready"
        _tmux.wait_idle(process.pid, quiet=0.2)
        cpu = _tmux.cpu_seconds(process.pid)
        wall = time.perf_counter()
        process.stdin.write("go\n")
        process.stdin.flush()
        done = process.stdout.readline()
        result = {"wall": time.perf_counter() - wall, "cpu": _tmux.cpu_seconds(process.pid) - cpu}
        assert done.startswith("done"), done
    finally:
        process.stdin.close()
        process.wait(timeout=10)
    return result


def run_tmux(sizes: list[int], paced: int, repeat: int) -> None:
    print(
        f"stream render benchmark in tmux ({os.cpu_count()} cores, the tuichat binary in a "
        f"{_tmux.COLUMNS}x{_tmux.ROWS} pane; medians of {repeat}, app and bare interleaved)"
    )
    print("bare: AsyncOpenAI in its own process, from the request (client creation included)")
    print("app:  tuichat, from Enter until the answer's status line is on screen")
    print(
        f"{'chunks':>8} {'pace':>6} {'bare wall':>10} {'bare cpu':>9} {'app wall':>9} "
        f"{'app cpu':>8} {'wall b/a':>9} {'cpu b/a':>8} {'app peak MB':>12}"
    )
    cases = [(chunks, None) for chunks in sizes] + ([(paced, 200.0)] if paced else [])
    with _tmux.tmux() as pane, tempfile.TemporaryDirectory(prefix="tuichat-bench-") as tmp:
        for chunks, tps in cases:
            timeout = 60 + (chunks / tps if tps else chunks / 500)
            apps: list[dict[str, float]] = []
            bares: list[dict[str, float]] = []
            for _ in range(repeat):
                with flood_server(chunks, tps) as url:
                    apps.append(tmux_app(pane, url, Path(tmp), timeout))
                    bares.append(tmux_bare(url))

            def med(runs: list[dict[str, float]], key: str) -> float:
                return _tmux.median([run[key] for run in runs])

            bw, bc, aw, ac = (
                med(bares, "wall"),
                med(bares, "cpu"),
                med(apps, "wall"),
                med(apps, "cpu"),
            )
            pace = f"{tps:g}/s" if tps else "fast"
            print(
                f"{chunks:>8} {pace:>6} {bw:>10.2f} {bc:>9.2f} {aw:>9.2f} {ac:>8.2f} "
                f"{aw / bw:>9.2f} {ac / bc:>8.2f} {max(r['rss'] for r in apps):>12.0f}"
            )
            print(
                "         cpu b/a per run: "
                + " ".join(f"{a['cpu'] / b['cpu']:.2f}" for a, b in zip(apps, bares, strict=True))
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--paced", type=int, default=2000, help="chunks at 200/s (0 to skip)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--inspector", action="store_true", help="with the inspector (F2) open")
    parser.add_argument(
        "--tmux", action="store_true", help="the real binary in a tmux pane (see above)"
    )
    args = parser.parse_args()
    INSPECTOR["shown"] = args.inspector
    if args.tmux:
        run_tmux(args.sizes, args.paced, args.repeat)
    else:
        run(args.sizes, args.paced, args.repeat)


if __name__ == "__main__":
    main()
