"""Reading a parsed TOML document key by key: typed access with defaults and bounds, unknown keys
collected as warnings, and errors that name the file, the line and the key, with the fix.

`tuichat.config.validate` says what tuichat's tables hold; this is how it asks for them.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from tuichat.config.settings import ConfigError
from tuichat.config.toml_lines import find_key_line, format_key

_EMPTY: Mapping[str, Any] = MappingProxyType({})

_KIND_WORDS = {
    "str": "text in double quotes",
    "bool": "true or false (no quotes)",
    "int": "a whole number (no quotes)",
    "float": "a number (no quotes)",
    "str_list": "a list of strings",
    "table": "a table",
}


class TableChecker:
    """Checks a parsed document, naming the file, line and key of the first problem.

    Subclasses read their tables with the typed accessors below; `fail` raises the error.
    """

    def __init__(self, path: Path, text: str | None, examples: Mapping[str, str]) -> None:
        """Prepare to check a document.

        Args:
            path: the file, named in every message.
            text: its text, to find the line of a key (None: messages name no line).
            examples: an example value by key name, for the fix hints (`"theme": '"nord"'`).
        """
        self.path = path
        self.text = text
        self.examples = examples
        self.warnings: list[tuple[int, str]] = []  # (line, message), shown in file order

    # Typed access ---------------------------------------------------------------------------

    def _take(self, table: Mapping[str, Any], at: tuple[str, ...], key: str, kind: str) -> Any:
        """The value under `key`, or None if missing; a value of the wrong type fails."""
        if key not in table:
            return None
        value = table[key]
        ok = {
            "str": lambda v: isinstance(v, str),
            "bool": lambda v: isinstance(v, bool),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "str_list": lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
        }[kind](value)
        if not ok:
            example = self.examples.get(key, '"..."' if kind == "str" else "...")
            self.fail(
                (*at, key),
                f"must be {_KIND_WORDS[kind]}, not {describe(value)}",
                f"write it as {format_key((key,))} = {example}",
            )
        return value

    def _number(
        self,
        table: Mapping[str, Any],
        at: tuple[str, ...],
        key: str,
        kind: str,
        default: float,
        minimum: float,
        exclusive: bool = False,
    ) -> Any:
        value = self._take(table, at, key, kind)
        if value is None:
            return default
        if value < minimum or (exclusive and value == minimum):
            bound = f"more than {minimum:g}" if exclusive else f"at least {minimum:g}"
            self.fail(
                (*at, key),
                f"must be {bound}, not {value!r}",
                f"write e.g. {key} = {self.examples[key]}",
            )
        return float(value) if kind == "float" else value

    def _table(self, table: Mapping[str, Any], at: tuple[str, ...], key: str) -> Mapping[str, Any]:
        if key not in table:
            return _EMPTY
        value = table[key]
        if not isinstance(value, Mapping):
            path = format_key((*at, key))
            self.fail(
                (*at, key),
                f"must be a table, not {describe(value)}",
                f"write [{path}] on its own line with its keys below it, or {key} = {{ ... }}",
            )
        return value

    def _strings(
        self, table: Mapping[str, Any], at: tuple[str, ...], key: str, *, non_empty: bool = False
    ) -> dict[str, str]:
        values = self._table(table, at, key)
        for name, value in values.items():
            if not isinstance(value, str) or (non_empty and not value.strip()):
                self.fail(
                    (*at, key, name),
                    f"must be non-empty text in double quotes, not {describe(value)}",
                    f'write it as {format_key((name,))} = "..."',
                )
        return dict(values)

    def _unknown(
        self, table: Mapping[str, Any], at: tuple[str, ...], known: Collection[str]
    ) -> None:
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            line = self._line((*at, key))
            message = (
                f"{self._where(line)}: unknown setting {format_key((*at, key))} is ignored "
                f"(and kept in the file){hint}"
            )
            self.warnings.append((line or 0, message))

    # Errors ---------------------------------------------------------------------------------

    def _line(self, key_path: tuple[str, ...]) -> int | None:
        return find_key_line(self.text, key_path) if self.text is not None else None

    def _where(self, line: int | None) -> str:
        return f"{self.path}, line {line}" if line else str(self.path)

    def fail(self, key_path: tuple[str, ...], problem: str, fix: str) -> NoReturn:
        """Raise the `ConfigError` for a key: `problem` says what is wrong, `fix` what to write."""
        line = self._line(key_path)
        key = format_key(key_path)
        raise ConfigError(
            f"{self._where(line)}: {key} {problem}. Fix: {fix}.",
            path=self.path,
            line=line,
            key=key,
        )


def describe(value: Any) -> str:
    """A value as a message shows it, with its TOML type: `3 (a whole number)`, `a table`."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int):
        return f"{value} (a whole number)"
    if isinstance(value, float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{value!r} (text)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return f"{value} (a date/time)"
