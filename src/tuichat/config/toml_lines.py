"""Where a key sits in TOML text: the line that sets `prices."gpt-4o".input`, the key set on
line 12, and how TOML writes a key path. Error messages and warnings point at lines with it.

`tomllib` gives values without positions, so this reads the text itself, line by line. It
tolerates broken TOML: it only needs to be right on the lines before the first error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}


def format_key(key_path: tuple[str, ...] | list[str]) -> str:
    """A key path as TOML writes it: `prices."gpt-4o.mini".input`."""
    return ".".join(
        part
        if _BARE_KEY.fullmatch(part)
        else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for part in key_path
    )


def find_key_line(text: str, key_path: tuple[str, ...] | list[str]) -> int | None:
    """The 1-based line where a key is set (`key =`, a dotted key, or its `[table]` header).

    When the exact key is not on a line of its own (inside an inline table, say), the line of
    the nearest enclosing key or table is returned; None when nothing matches.
    """
    wanted = tuple(key_path)
    best_length, best_line = 0, None
    inner_line = None  # first line of a table nested under the wanted one
    for line, path in _key_lines(text):
        if path == wanted:
            return line
        length = len(path)
        if length > best_length and wanted[:length] == path:
            best_length, best_line = length, line
        if inner_line is None and path[: len(wanted)] == wanted:
            inner_line = line
    return inner_line or best_line


def key_at_line(text: str, line: int) -> tuple[str, ...] | None:
    """The full key path set (or table opened) on a line, if one is."""
    for number, path in _key_lines(text):
        if number == line:
            return path
        if number > line:
            break
    return None


def _key_lines(text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Each line that opens a table or sets a key, with the key's full path. Tolerates
    broken TOML: it only needs to be right on the lines before the first error."""
    table: tuple[str, ...] = ()
    depth = 0
    open_string: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if open_string is not None:
            end = raw.find(open_string)
            if end < 0:
                continue
            open_string = None
            depth, open_string = _scan_value(raw, end + 3, depth)
            continue
        if depth > 0:
            depth, open_string = _scan_value(raw, 0, depth)
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            key = _read_key(line, 2 if line.startswith("[[") else 1)
            if key is not None:
                table = key[0]
                yield number, table
            continue
        key = _read_key(line, 0)
        if key is None:
            continue
        parts, end = key
        if end < len(line) and line[end] == "=":
            yield number, table + parts
            depth, open_string = _scan_value(line, end + 1, 0)


def _read_key(text: str, start: int) -> tuple[tuple[str, ...], int] | None:
    """A (dotted) key starting at `start`: its parts and the index after it."""
    parts: list[str] = []
    i, n = start, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        if text[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    chars.append(_ESCAPES.get(text[i + 1], text[i + 1]))
                    i += 2
                else:
                    chars.append(text[i])
                    i += 1
            if i >= n:
                return None
            parts.append("".join(chars))
            i += 1
        elif text[i] == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = _BARE_KEY.match(text, i)
            if match is None:
                return None
            parts.append(match.group())
            i = match.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        return tuple(parts), i


def _scan_value(text: str, i: int, depth: int) -> tuple[int, str | None]:
    """Follow a value to the end of the line: the bracket depth left open, and the delimiter
    of a multi-line string left open (so their lines are not mistaken for keys)."""
    n = len(text)
    while i < n:
        if text.startswith(('"""', "'''"), i):
            delimiter = text[i : i + 3]
            end = text.find(delimiter, i + 3)
            if end < 0:
                return depth, delimiter
            i = end + 3
            continue
        char = text[i]
        if char == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif char == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
        elif char == "#":
            break
        else:
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth = max(0, depth - 1)
            i += 1
    return depth, None
