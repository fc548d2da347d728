"""The words of a tool call that several layers share: how a call may be handled (its policy),
how it ended (its status), how much of its result the model sees by default, and what an MCP
server may be called.

They live in core because the tool loop (`tuichat.session.conversation`), the tools
(`tuichat.tools`) and the config (`tuichat.config`, which checks `[tools.policy]`,
`[tools] result_limit` and `[mcp.servers.NAME]`) all speak them, and tools and config are
siblings that must not import each other: the one place both may import is core. Stdlib only,
like the rest of core.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

ToolPolicy = Literal["run", "ask", "never"]
"""`run`: call without asking; `ask`: the user approves each call; `never`: refuse the call."""

TOOL_POLICIES: tuple[ToolPolicy, ...] = get_args(ToolPolicy)
"""Every policy, in the order messages list them."""

ToolStatus = Literal["done", "failed", "timed_out", "denied", "not_allowed", "cancelled", "not_run"]
"""How a call ended: ran, failed (bad arguments, unknown tool, the tool raised), ran out of
time, the user said no, the policy says never, the user cancelled the turn, or it was shown
and not run (a replay of a recorded turn, `tuichat replay`)."""

TOOL_STATUSES: tuple[ToolStatus, ...] = get_args(ToolStatus)

DEFAULT_RESULT_LIMIT = 20_000
"""Characters of a tool result sent to the model by default (about 5,000 tokens); the default
of `[tools] result_limit`."""

MCP_SERVER_NAME = re.compile(r"^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$")
"""What an MCP server name may be: letters, digits, `-` and single `_` (a double `__`
separates the server from the tool in `server__tool`), at most `MCP_SERVER_NAME_MAX` long."""

MCP_SERVER_NAME_MAX = 40
"""The longest MCP server name, in characters (leaves room for the tool in 64)."""
