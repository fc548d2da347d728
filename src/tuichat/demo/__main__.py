"""Run the demo server in the foreground: `python -m tuichat.demo [--port N] [--tps X]`.

The first line on stdout is the server's base URL (flushed at once), so a script or a
benchmark can start the server in a separate process and read where it listens:

    python -m tuichat.demo --flood 20000 | head -1   # -> http://127.0.0.1:PORT/v1

Point tuichat (`--base-url`) or curl at it; stop it with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from tuichat.demo import DEMO_MODEL, DEMO_TOKENS_PER_SECOND
from tuichat.demo.replies import Flood
from tuichat.demo.server import ChatServer


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tuichat.demo",
        description="Offline OpenAI-compatible chat server with a scripted demo model.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument(
        "--tps",
        type=float,
        default=None,
        metavar="X",
        help=(
            f"streamed events per second; 0 = as fast as possible "
            f"(default: {DEMO_TOKENS_PER_SECOND:g}, or as fast as possible with --flood)"
        ),
    )
    parser.add_argument(
        "--flood",
        type=int,
        default=None,
        metavar="N",
        help="answer every chat request with N small chunks of prose (for benchmarks)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted.

    Args:
        argv: Command-line arguments (default: `sys.argv[1:]`).

    Returns:
        The process exit code.
    """
    args = _parse_args(argv)
    if args.tps is None:
        tps = None if args.flood is not None else DEMO_TOKENS_PER_SECOND
    else:
        tps = args.tps if args.tps > 0 else None
    server = ChatServer(
        tps,
        host=args.host,
        port=args.port,
        default_reply=Flood(args.flood) if args.flood is not None else None,
    )
    # SIGTERM (e.g. from a benchmark harness) stops as cleanly as Ctrl-C; installed before
    # the URL is printed, so a harness that reads it may signal at once.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.start()
    except OSError as exc:
        print(
            f"tuichat demo server: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1

    # From here on SIGTERM / Ctrl-C may come at any moment (a harness signals as soon as it
    # has read the URL): everything is inside the try, so it always stops cleanly.
    try:
        print(server.base_url, flush=True)
        mode = f"flood of {args.flood} chunks" if args.flood is not None else "scripted demo model"
        pace = f"{tps:g} events/s" if tps else "unthrottled"
        print(
            f"tuichat demo server ({mode}, {pace}); try: tuichat --base-url {server.base_url} "
            f"--model {DEMO_MODEL} (or {' or '.join(server.models)}: other speeds). "
            "Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
