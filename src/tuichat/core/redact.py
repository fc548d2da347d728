"""Keeping API keys out of everything a user or a file can see."""

from __future__ import annotations

import re

REDACTED = "[redacted]"
_SECRET_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie", re.IGNORECASE)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Copy headers with the values of auth-like ones replaced.

    Args:
        headers: request headers.

    Returns:
        The same names; `Authorization: Bearer [redacted]` keeps its scheme so it stays useful.
    """
    out: dict[str, str] = {}
    for name, value in headers.items():
        if not _SECRET_HEADER.search(name):
            out[name] = value
        elif value.lower().startswith("bearer "):
            out[name] = f"Bearer {REDACTED}"
        else:
            out[name] = REDACTED
    return out
