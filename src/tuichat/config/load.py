"""Reading the config file: TOML read with `tomllib`, checked (`tuichat.config.validate`) into
the frozen dataclasses of `tuichat.config.settings`.

Unknown keys are not errors: they are kept in the file (a newer tuichat may use them) and
reported in `Settings.warnings`, with a suggestion when they look like a typo.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from tuichat.config.paths import config_file
from tuichat.config.settings import ConfigError, Settings
from tuichat.config.toml_lines import format_key, key_at_line
from tuichat.config.validate import check_document


def load_settings(path: Path | None = None, *, required: bool = False) -> Settings:
    """Read and check the config file.

    Args:
        path: the file (`paths.config_file(args.config)`). None: defaults, no file.
        required: a missing file is an error (for an explicit `--config PATH`); otherwise a
            missing file means the defaults.

    Returns:
        The settings; `warnings` lists unknown keys.

    Raises:
        ConfigError: unreadable file, invalid TOML or a wrong value. Nothing is written.
    """
    if path is None:
        return Settings()
    text = read_config_text(path, required=required)
    if text is None:
        return Settings(path=path)
    return check_document(path, text, parse_toml(path, text))


def load_config_file(option: str | os.PathLike[str] | None = None) -> Settings:
    """The settings of the config file `--config PATH` names, else of the default one.

    Args:
        option: the value of `--config`, if given; that file must exist. Without it a
            missing default file means the defaults.

    Raises:
        ConfigError: the file is missing though named, unreadable, or wrong.
    """
    return load_settings(config_file(option), required=option is not None)


def parse_settings(text: str, path: Path | None = None) -> Settings:
    """Check TOML text as a config file (`path` is only named in messages)."""
    where = path or Path("config.toml")
    return check_document(where, text, parse_toml(where, text))


def read_config_text(path: Path, *, required: bool) -> str | None:
    """The file's text, or None when it is missing and not `required`.

    Raises:
        ConfigError: missing though required, unreadable, or not UTF-8 (the line named).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"{path}: no such config file. Create it (tuichat config example > {path}) "
                "or leave out --config to use the default location.",
                path=path,
            ) from None
        return None
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read the config file ({error.strerror or error}). "
            "Check that it is a file you may read.",
            path=path,
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: the file is not UTF-8 text. Save it as UTF-8.",
            path=path,
            line=line,
        ) from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """The TOML document in `text`, read from `path` (which is only named in messages).

    Raises:
        ConfigError: not valid TOML; names the line, column and key, and shows the line.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message).rstrip(".") if found else message
        if found is None:
            raise ConfigError(
                f"{path}: not valid TOML: {reason}. Check the end of the file "
                "(an unclosed string, bracket or table?).",
                path=path,
            ) from None
        line, column = int(found.group(1)), int(found.group(2))
        key_path = key_at_line(text, line)
        key = format_key(key_path) if key_path else None
        lines = text.splitlines()
        shown = lines[line - 1] if 0 < line <= len(lines) else ""
        raise ConfigError(
            f"{path}, line {line}, column {column}"
            + (f" (key {key})" if key else "")
            + f": not valid TOML: {reason}.\n"
            + f"    {line} | {shown}\n"
            + "Fix: each setting is `key = value` on its own line, text in double quotes "
            + '(theme = "nord"), true/false and numbers without; a table is [name] on its own '
            + "line. `tuichat config example` shows every setting.",
            path=path,
            line=line,
            key=key,
        ) from None
