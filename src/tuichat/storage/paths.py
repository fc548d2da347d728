"""Where the history database lives.

Computed in functions, never at import time, so tests (and `--db`) can point it elsewhere.
`$XDG_DATA_HOME` wins on every platform when set (it is how tests and XDG users isolate
data); otherwise platformdirs gives the platform's convention (`~/.local/share/tuichat`,
`~/Library/Application Support/tuichat`, `%LOCALAPPDATA%\\tuichat`).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tuichat"
DB_FILENAME = "history.sqlite3"


def data_dir() -> Path:
    """The directory for tuichat's data (not created here).

    Returns:
        `$XDG_DATA_HOME/tuichat` when the variable holds an absolute path, else the
        platform's user data directory for tuichat.
    """
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore relative values
        return Path(xdg) / APP_NAME
    import platformdirs  # imported lazily: only needed without XDG_DATA_HOME

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def default_db_path() -> Path:
    """The history database used when no `--db` is given."""
    return data_dir() / DB_FILENAME


def resolve_db_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The database path to use.

    Args:
        option: the value of `--db`, if given (`~` is expanded).

    Returns:
        The path (its directory is created only when the database is opened for writing).
    """
    if option:
        return Path(option).expanduser()
    return default_db_path()
