"""A chunk's JSON pretty-printed line by line, with the lines of some fields marked.

The inspector's detail shows a chunk as `json.dumps(indent=2)` would, and marks the lines of
the fields that added something to the answer (`chunk_reading.ChunkReading.added`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuichat.core.text import strip_control

JsonPath = tuple[str | int, ...]
"""Where a value sits in a chunk's JSON: `("choices", 0, "delta", "content")`; `()` is all."""


@dataclass(frozen=True, slots=True)
class PrettyLine:
    """One line of a chunk's pretty-printed JSON.

    Attributes:
        text: the line, indented like `json.dumps(indent=2, ensure_ascii=False)`.
        marked: whether it belongs to a field that added something to the answer.
        path: the JSON path of the value on this line.
    """

    text: str
    marked: bool
    path: JsonPath


def pretty_lines(data: str, marked: Sequence[JsonPath] = (), indent: int = 2) -> list[PrettyLine]:
    """A chunk's JSON pretty-printed line by line, the lines of the marked fields flagged.

    The lines are exactly those of `json.dumps(value, indent=indent, ensure_ascii=False)`;
    a marked path marks every line of its value (an object's braces included). Text that is
    not JSON comes back line by line, unmarked. Control characters are removed (the result
    is for a screen).

    Args:
        data: the payload as it arrived.
        marked: the paths to mark (`ChunkReading.added`).
        indent: spaces per level.
    """
    try:
        value = json.loads(data)
    except ValueError:
        return [PrettyLine(strip_control(line), False, ()) for line in data.splitlines() or [""]]
    marks = set(marked)
    lines: list[PrettyLine] = []
    _emit(value, (), "", "", indent, marks, () in marks, lines)
    return lines


def _emit(
    value: Any,
    path: JsonPath,
    prefix: str,
    suffix: str,
    indent: int,
    marks: set[JsonPath],
    inherited: bool,
    lines: list[PrettyLine],
) -> None:
    """Append the lines of `value` at `path`; `prefix` is the indentation and key, `suffix`
    the comma after it."""
    marked = inherited or path in marks
    pad = " " * indent * len(path)
    if isinstance(value, dict) and value:
        lines.append(PrettyLine(strip_control(prefix + "{"), marked, path))
        items = list(value.items())
        inner = pad + " " * indent
        for i, (key, item) in enumerate(items):
            key_text = json.dumps(key, ensure_ascii=False)
            comma = "," if i < len(items) - 1 else ""
            _emit(item, (*path, key), f"{inner}{key_text}: ", comma, indent, marks, marked, lines)
        lines.append(PrettyLine(pad + "}" + suffix, marked, path))
    elif isinstance(value, list) and value:
        lines.append(PrettyLine(strip_control(prefix + "["), marked, path))
        inner = pad + " " * indent
        for i, item in enumerate(value):
            comma = "," if i < len(value) - 1 else ""
            _emit(item, (*path, i), inner, comma, indent, marks, marked, lines)
        lines.append(PrettyLine(pad + "]" + suffix, marked, path))
    else:
        text = json.dumps(value, ensure_ascii=False)
        lines.append(PrettyLine(strip_control(prefix + text + suffix), marked, path))
