"""ruff's lint rules and formatting (configured in pyproject.toml) hold for the whole tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent  # where pyproject.toml configures ruff


@pytest.mark.parametrize(
    "command", [["check", "--no-fix"], ["format", "--check"]], ids=["check", "format"]
)
def test_ruff_passes(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "src", "tests", "bench"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
