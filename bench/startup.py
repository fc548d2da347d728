"""How long from launching tuichat to its first painted frame, in a real terminal?

Both run in the same 120x40 pane of a private tmux server, interleaved, in the same run:

  (a) a minimal Textual app (`bench/_minimal_app.py`: a Header, an Input and a Footer);
  (b) the ``tuichat`` console script of this venv, pointed at a base URL (nothing listens
      there: no request is made before the first prompt), with its own config and data
      dirs and a database in a temp dir.

The clock starts just before tmux is asked to run the program and stops when the screen
shows text only the app's first screen shows (the minimal app's placeholder; tuichat's
prompt placeholder), polling every 5 ms through a tmux control client. Prints each run
and the medians. Not a test: figures only.

    python bench/startup.py [--repeat 7] [--tools]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import _tmux  # beside this script, so on sys.path when run as a script

BENCH = Path(__file__).parent
TUICHAT = Path(sys.executable).parent / "tuichat"  # the venv's console script
MINIMAL_SHOWN = re.compile(r"minimal app: first frame")
TUICHAT_SHOWN = re.compile(r"Message \(Enter sends")


def first_frame(
    pane: _tmux.Tmux, argv: list[str], env: dict[str, str], shown: re.Pattern[str]
) -> float:
    """Seconds from launch to `shown` on screen."""
    pane.clear()
    time.sleep(0.2)  # let the previous program go
    started = time.perf_counter()
    pane.launch(argv, env)
    painted, _screen = pane.wait_for(shown, 30)
    return painted - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--tools", action="store_true", help="without --no-tools (the built-in tools load)"
    )
    args = parser.parse_args()
    with _tmux.tmux() as pane, tempfile.TemporaryDirectory(prefix="tuichat-start-") as tmp:
        home = Path(tmp)
        env = {"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
        tuichat = [
            str(TUICHAT),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "tuichat-demo",
            "--db",
            str(home / "data" / "start.db"),
            *([] if args.tools else ["--no-tools"]),
        ]
        minimal = [sys.executable, str(BENCH / "_minimal_app.py")]
        first_frame(pane, tuichat, env, TUICHAT_SHOWN)  # warm the file cache for both
        first_frame(pane, minimal, env, MINIMAL_SHOWN)
        runs = _tmux.repeat_alternating(
            args.repeat,
            lambda: {"s": first_frame(pane, minimal, env, MINIMAL_SHOWN)},
            lambda: {"s": first_frame(pane, tuichat, env, TUICHAT_SHOWN)},
        )
        pane.clear()
    base, app = ([run["s"] for run in kind] for kind in runs)
    tools = "with tools" if args.tools else "--no-tools"
    print(
        f"start-up to first frame in tmux ({os.cpu_count()} cores, {_tmux.COLUMNS}x{_tmux.ROWS}, "
        f"{args.repeat} runs each, interleaved; tuichat {tools})"
    )
    print(f"minimal Textual app: {' '.join(f'{s:.3f}' for s in base)}")
    print(f"tuichat:             {' '.join(f'{s:.3f}' for s in app)}")
    median_base, median_app = _tmux.median(base), _tmux.median(app)
    print(
        f"medians: minimal {median_base:.3f} s, tuichat {median_app:.3f} s, "
        f"ratio {median_app / median_base:.2f}"
    )


if __name__ == "__main__":
    main()
