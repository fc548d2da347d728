"""Commands for scripts: `tuichat ask`, `tuichat list`, `tuichat export` (no full screen).

Each module has `run(argv) -> int`, called by `tuichat.cli.main` with the whole argv
(the command's name first); it returns the exit code. No textual or rich in here.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The `--db PATH` option (the app and every command share it; `Settings.database_path`
    resolves it)."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="history database file (default: the config file's db_path, else "
        "$XDG_DATA_HOME/tuichat/history.sqlite3 or the platform's data directory)",
    )


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """The `--config PATH` option of the commands that only need the config for paths."""
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: see `tuichat config path`)"
    )


def fail(prog: str, message: str, stream: TextIO | None = None) -> int:
    """Print a one-line error for `prog` and return exit code 1."""
    line = " ".join(str(message).split())
    print(f"{prog}: {line}", file=stream or sys.stderr, flush=True)
    return 1
