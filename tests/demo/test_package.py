"""The `tuichat.demo` package itself: its constants, its texts (package data), a cheap import."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

from tuichat.demo import DEMO_MODEL, DEMO_TOKENS_PER_SECOND
from tuichat.demo.server import ChatServer
from tuichat.demo.texts import read_text

TEXT_FILES = {
    "essay_en.txt",
    "essay_en_closers.txt",
    "essay_ko.txt",
    "markdown_en.md",
    "markdown_ko.md",
    "try_en.md",
    "try_ko.md",
}


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


def test_texts_are_package_data_found_through_importlib_resources() -> None:
    folder = resources.files("tuichat.demo.texts")
    found = {entry.name for entry in folder.iterdir() if entry.is_file()}
    assert found - {"__init__.py"} == TEXT_FILES
    for name in TEXT_FILES:
        text = (folder / name).read_text(encoding="utf-8")
        assert text.strip() and text.endswith("\n") and not text.endswith("\n\n"), name
        assert read_text(name) == text
