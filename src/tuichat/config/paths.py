"""Where tuichat keeps its files: the config dir, the config file, user themes and prompts, the
data dir and the history database's default place. The one module that decides them (storage
takes the database's path as given; `Settings.database_path` adds `--db` and `db_path` on top).

Computed on each call, never at import time, and never created here: whoever writes a file
creates its directory (so tests can point XDG_* at a temp dir).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "tuichat"
CONFIG_FILE_NAME = "config.toml"
THEMES_DIR_NAME = "themes"
PROMPTS_DIR_NAME = "prompts"
DB_FILE_NAME = "history.sqlite3"


def _xdg(variable: str, environ: Mapping[str, str] | None) -> Path | None:
    # The XDG spec ignores relative values; so do we. Honoured on every platform, so that
    # people who set it on macOS get what they asked for.
    value = (os.environ if environ is None else environ).get(variable, "")
    return Path(value) / APP_NAME if value and os.path.isabs(value) else None


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory for config.toml and user themes.

    Args:
        environ: the environment to read `XDG_CONFIG_HOME` from (default: `os.environ`).

    Returns:
        `$XDG_CONFIG_HOME/tuichat` when that is set, else the platform's convention
        (`~/.config/tuichat`, `~/Library/Application Support/tuichat`, `%APPDATA%\\tuichat`).
    """
    return _xdg("XDG_CONFIG_HOME", environ) or platformdirs.user_config_path(
        APP_NAME, appauthor=False
    )


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory for the history database: `$XDG_DATA_HOME/tuichat` or the platform's."""
    return _xdg("XDG_DATA_HOME", environ) or platformdirs.user_data_path(APP_NAME, appauthor=False)


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    """The config file to read: `--config PATH` when given, else `config_dir()/config.toml`."""
    if override is not None:
        return Path(override).expanduser()
    return config_dir() / CONFIG_FILE_NAME


def user_themes_dir() -> Path:
    """Where user themes live (`<config dir>/themes/*.toml`); they override bundled ones."""
    return config_dir() / THEMES_DIR_NAME


def user_prompts_dir() -> Path:
    """Where user prompts live (`<config dir>/prompts/*.toml`); they override bundled ones."""
    return config_dir() / PROMPTS_DIR_NAME


def default_db_path() -> Path:
    """The history database when neither `--db` nor `db_path` is given:
    `<data dir>/history.sqlite3`."""
    return data_dir() / DB_FILE_NAME
