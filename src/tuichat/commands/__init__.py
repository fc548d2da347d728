"""Commands: `tuichat ask`, `list`, `export`, `config` (no full screen), `serve` (the app in
a browser).

Each module has `run(argv) -> int`, called by `tuichat.cli.main` with the whole argv
(the command's name first); it returns the exit code. No textual or rich in here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO


def fail(prog: str, message: str, stream: TextIO | None = None) -> int:
    """Print a one-line error for `prog` and return exit code 1."""
    line = " ".join(str(message).split())
    with contextlib.suppress(OSError):  # nowhere to say it (stderr closed or hung up)
        print(f"{prog}: {line}", file=stream or sys.stderr, flush=True)
    return 1


def write_output(out: TextIO, text: str) -> None:
    """Write a command's output and flush it; a reader that stopped early ends it quietly.

    `tuichat list | head -1`: once `head` has its line it closes the pipe, and the rest of
    the output is not wanted. It is dropped with no traceback, and the command still
    succeeds (exit status 0), as `git log | head` does.

    Args:
        out: where the output goes (stdout).
        text: all of it.
    """
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        silence_closed_pipe(out)


def silence_closed_pipe(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at /dev/null, so that what is still buffered for it
    goes nowhere at exit instead of failing once more ("Exception ignored ...")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no descriptor: a StringIO, a closed file
        pass
