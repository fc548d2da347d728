"""The vocabulary of tool calls that the tool loop, the tools and the config share.

Defined here, below all three, so that none of them has to import another for it.
"""

from __future__ import annotations

from typing import Literal

ToolPolicy = Literal["run", "ask", "never"]
"""What happens to a call of a tool: it runs, the user is asked first, or it never runs."""

TOOL_POLICIES: tuple[ToolPolicy, ...] = ("run", "ask", "never")

ToolStatus = Literal["done", "failed", "timed_out", "denied", "not_allowed", "cancelled"]
"""How a call ended: ran, failed (bad arguments, unknown tool, the tool raised), ran out of
time, the user said no, the policy says never, or the user cancelled the turn."""

TOOL_STATUSES: tuple[ToolStatus, ...] = (
    "done",
    "failed",
    "timed_out",
    "denied",
    "not_allowed",
    "cancelled",
)
