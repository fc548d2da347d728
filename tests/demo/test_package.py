"""The `tuichat.demo` package itself: its constants, and that importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

from tuichat.demo import DEMO_MODEL, DEMO_TOKENS_PER_SECOND
from tuichat.demo.server import ChatServer


def test_constants_are_the_servers_defaults() -> None:
    assert DEMO_MODEL == "tuichat-demo"
    assert DEMO_TOKENS_PER_SECOND == 60.0
    assert ChatServer().model == DEMO_MODEL


def test_importing_the_package_loads_none_of_its_modules() -> None:
    code = (
        "import sys\n"
        "import tuichat.demo\n"
        "print(sorted(m for m in sys.modules if m.startswith('tuichat.demo.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
