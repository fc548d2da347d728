"""Replace a file in one step: readers see the old content or the new one, never half of it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o644
PRIVATE_MODE = 0o600


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> Path:
    """Write `text` to `path` through a temp file in the same directory and `os.replace`.

    The temp file is flushed and fsynced before the rename, so a crash leaves either the old
    file or the new one. If anything fails, the temp file is removed and the original is
    untouched. A symlinked path is followed, so a dotfile manager's link stays a link.

    Args:
        path: the file to (re)write; its directory is created if missing.
        text: the new content, written as UTF-8.
        private: write with mode 0600 (set on the temp file before any byte is written), for
            files that hold secrets. Otherwise an existing file keeps its mode and a new one
            gets 0644.

    Returns:
        The path actually written (the symlink's target, if `path` was a symlink).
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    if private:
        mode = PRIVATE_MODE
    else:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.chmod(temp_name, mode)
        file = os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        _remove(temp_name)
        raise
    try:
        with file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
    except BaseException:
        _remove(temp_name)
        raise
    _fsync_directory(target.parent)
    return target


def _remove(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open directories.
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
