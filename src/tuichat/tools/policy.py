"""Whether a tool call runs at once, asks the user first, or is refused; and how much of a long
result the model gets to see.

The defaults follow where a tool comes from: the built-ins only read (time, arithmetic, unit
conversion), so they run; anything else (a plugin, a tool file, an MCP server) may write files or
reach the network, so the user is asked. The config can override per tool name.

Stdlib only: this package must stay importable without the UI stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tuichat.core.tooling import DEFAULT_RESULT_LIMIT, TOOL_POLICIES, ToolPolicy
from tuichat.tools.registry import Tool, ToolRegistry

READ_ONLY_SOURCES = frozenset({"builtin"})
"""Tool sources whose tools only read, so they run without asking by default."""


def policy_for(tool: Tool, overrides: Mapping[str, str] | None = None) -> ToolPolicy:
    """Decide how a call to `tool` is handled.

    Args:
        tool: The tool the model called.
        overrides: Policies from the config, by tool name (`"servername__toolname"` for MCP
            tools). A value that is not a policy is ignored (the config check reports it).

    Returns:
        `"run"` for built-in tools, `"ask"` for user, plugin and MCP tools, unless overridden.
    """
    if overrides:
        override = overrides.get(tool.name)
        if override in TOOL_POLICIES:
            return override
    return "run" if tool.source in READ_ONLY_SOURCES else "ask"


def truncate_result(text: str, limit: int = DEFAULT_RESULT_LIMIT) -> tuple[str, bool]:
    """Cut a long tool result down for the model; the UI keeps and shows the whole text.

    The head is kept (results usually lead with what matters) and a note at the end tells the
    model how much was left out, so it can ask for less instead of guessing.

    Args:
        text: The tool's full result.
        limit: The most characters to send, note included (a limit shorter than the note
            yields the note alone); 0 or less means no limit.

    Returns:
        The text for the model, and whether it was cut.
    """
    if limit <= 0 or len(text) <= limit:
        return text, False
    omitted_note = (
        f"\n\n[tuichat: result truncated: showing the first {{kept}} of {len(text)} "
        "characters; ask for a narrower result if you need the rest]"
    )
    # The note's length depends on the kept count's digits; size it for the worst case.
    note_room = len(omitted_note.format(kept=len(text)))
    kept = max(limit - note_room, 0)
    return text[:kept] + omitted_note.format(kept=kept), True


class ToolPolicies:
    """Decides, per tool name, whether a call runs, asks first, or is refused.

    Built-in tools run and every other tool asks (`policy_for`), unless an override says
    otherwise. The overrides start as the config's `[tools.policy]` and can change while the
    app runs (an "always run this tool" answer), so each call reads them afresh; the registry
    is read afresh too, since MCP tools arrive after start-up.
    """

    def __init__(self, registry: ToolRegistry, overrides: Mapping[str, str] | None = None) -> None:
        """Create the policies.

        Args:
            registry: The live registry the tools are looked up in.
            overrides: Policies by tool name; copied, so later `set()` calls do not touch the
                caller's mapping.
        """
        self._registry = registry
        self._overrides: dict[str, str] = dict(overrides or {})

    def __call__(self, name: str) -> ToolPolicy:
        """The policy for a call to the tool `name`.

        Args:
            name: The name the model called.

        Returns:
            The tool's policy; `"run"` for a name that is not registered, so the executor gets
            to report the unknown tool to the model instead of the user being asked about it.
        """
        tool = self._registry.get(name)
        if tool is None:
            return "run"
        return policy_for(tool, self._overrides)

    def set(self, name: str, policy: str) -> None:
        """Override the policy of one tool for the rest of the session.

        Args:
            name: The tool's name.
            policy: `"run"`, `"ask"` or `"never"`.

        Raises:
            ValueError: If `policy` is not one of those.
        """
        if policy not in TOOL_POLICIES:
            allowed = ", ".join(repr(p) for p in TOOL_POLICIES)
            raise ValueError(f"unknown tool policy {policy!r}; use one of {allowed}")
        self._overrides[name] = policy

    @property
    def overrides(self) -> Mapping[str, str]:
        """The current overrides, by tool name (a read-only view: change them with `set`)."""
        return MappingProxyType(self._overrides)
