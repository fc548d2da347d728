"""The demo model's long texts: the files beside this one, shipped as package data.

Each text is read on first use and kept, so importing the demo costs nothing for them and a
running server reads each file once. The files hold exactly what is streamed: edit them as
Markdown (`*.md`) or in the essay format that `tuichat.demo.essay` documents (`essay_*.txt`).
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["read_text"]


@functools.cache
def read_text(name: str) -> str:
    """Return a text exactly as its file holds it.

    Args:
        name: the file's name in `tuichat/demo/texts/`, e.g. `"markdown_en.md"`.

    Returns:
        The file's content (UTF-8), final newline included.

    Raises:
        FileNotFoundError: there is no such text.
    """
    return (resources.files(__name__) / name).read_text(encoding="utf-8")
