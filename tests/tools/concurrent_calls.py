"""Running several tool calls at once, as the tool loop does (`tuichat.session.conversation`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from tuichat.config.settings import DEFAULT_TOOL_TIMEOUT
from tuichat.tools.executor import ToolOutcome, run_tool_call
from tuichat.tools.registry import ToolRegistry


async def run_concurrently(
    registry: ToolRegistry,
    calls: Iterable[tuple[str, str]],
    timeout: float = DEFAULT_TOOL_TIMEOUT,
) -> list[ToolOutcome]:
    """Run `(name, arguments_text)` calls together; outcomes in the order of the calls."""
    runs = (run_tool_call(registry, name, text, timeout=timeout) for name, text in calls)
    return list(await asyncio.gather(*runs))
