"""Commands for scripts: `tuichat ask`, `tuichat list`, `tuichat export` (no full screen).

Each module has `run(argv) -> int`, called by `tuichat.cli.main` with the whole argv
(the command's name first); it returns the exit code. No textual or rich in here.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TextIO


def fail(prog: str, message: str, stream: TextIO | None = None) -> int:
    """Print a one-line error for `prog` and return exit code 1."""
    line = " ".join(str(message).split())
    with contextlib.suppress(OSError):  # nowhere to say it (stderr closed or hung up)
        print(f"{prog}: {line}", file=stream or sys.stderr, flush=True)
    return 1
