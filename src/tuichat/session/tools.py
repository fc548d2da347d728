"""From settings to tools: the registry the model is offered, the policy each call follows, and
the MCP servers to start.

The config keeps paths as the user wrote them; they are resolved here, against the config
file's directory (the current directory when there is no file), so `tuichat config show`
prints what the user wrote and a moved config file takes its relative paths with it.

Stdlib only at import time: `mcp_client` (which loads the heavy `mcp` SDK) is imported inside
`mcp_server_configs`, so building a registry without MCP servers never pays for it. No textual,
no rich: this package must stay importable without the UI stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tuichat.config.settings import Settings
from tuichat.tools.policy import ToolPolicies
from tuichat.tools.registry import ToolRegistry, default_registry
from tuichat.tools.sources import OutputSink, register_user_tools

if TYPE_CHECKING:
    from tuichat.tools.mcp_client import McpManager, McpServerConfig, ServerStatus


def config_base_dir(settings: Settings) -> Path:
    """The directory relative paths in the config start from.

    Args:
        settings: The loaded settings.

    Returns:
        The config file's directory, or the current directory when there is no file.
    """
    return settings.path.parent if settings.path is not None else Path.cwd()


def _resolve(raw: str, base: Path) -> Path:
    """`~` expanded; a relative path joined to `base` (as `load_tool_files` does)."""
    path = Path(raw).expanduser()
    return path if path.is_absolute() else base / path


def apply_disabled(registry: ToolRegistry, disabled: Iterable[str]) -> None:
    """Switch off the named tools that are registered; other names are ignored.

    Call it again after tools arrive later (an MCP server's, once it has started): the names
    in `[tools] disabled` may be any tool's, and an unknown one must not break start-up.

    Args:
        registry: The registry.
        disabled: Tool names to switch off.
    """
    for name in disabled:
        if name in registry:
            registry.set_enabled(name, False)


def build_registry(
    settings: Settings, *, sink: OutputSink | None = None
) -> tuple[ToolRegistry, list[str]]:
    """The built-in tools plus the user's (plugins and tool files), with `disabled` applied.

    Never raises for a broken plugin or tool file: each becomes a problem message and the
    other tools still load.

    Args:
        settings: The loaded settings (`[tools]` files, plugins, disabled).
        sink: Receives `(tool_name, text)` when a user tool prints; default: the debug log.

    Returns:
        The registry, and one problem message per plugin, file or tool that could not be
        loaded (empty when everything loaded).
    """
    tools = settings.tools
    registry = default_registry(disabled=tools.disabled)
    problems = register_user_tools(
        registry,
        tools.files,
        plugins=tools.plugins,
        base=config_base_dir(settings),
        sink=sink,
    )
    # default_registry only knows the built-ins; a disabled plugin or file tool exists only
    # now.
    apply_disabled(registry, tools.disabled)
    return registry, problems


def policy_function(registry: ToolRegistry, settings: Settings) -> ToolPolicies:
    """The policies of the config's `[tools.policy]` over the defaults.

    Args:
        registry: The live registry.
        settings: The loaded settings.

    Returns:
        A callable `name -> policy` whose overrides can still be changed with `set()`.
    """
    return ToolPolicies(registry, settings.tools.policy)


def mcp_server_configs(settings: Settings) -> list[McpServerConfig]:
    """The enabled `[mcp.servers.NAME]` tables, ready for `McpManager`.

    A server's `cwd` is resolved (`~` expanded, relative to the config file's directory), and
    a server without its own `start_timeout` gets `[mcp] start_timeout`, so each config stands
    on its own whatever default the manager has.

    Args:
        settings: The loaded settings.

    Returns:
        One config per enabled server, in file order.
    """
    # Imported here: it loads the `mcp` SDK, which is slow to import and not needed without
    # servers.
    from tuichat.tools.mcp_client import McpServerConfig

    base = config_base_dir(settings)
    configs: list[McpServerConfig] = []
    for server in settings.mcp.servers:
        if not server.enabled:
            continue
        configs.append(
            McpServerConfig(
                name=server.name,
                command=server.command,
                args=server.args,
                env=dict(server.env) or None,
                cwd=str(_resolve(server.cwd, base)) if server.cwd is not None else None,
                url=server.url,
                headers=dict(server.headers) or None,
                start_timeout=server.start_timeout
                if server.start_timeout is not None
                else settings.mcp.start_timeout,
            )
        )
    return configs


def mcp_manager(
    registry: ToolRegistry,
    settings: Settings,
    *,
    on_status: Callable[[str, ServerStatus], None] | None = None,
) -> McpManager | None:
    """A manager for the config's MCP servers, not started yet; None when there are none.

    Hold on to it before starting it: `aclose()` must reach servers still starting when the
    program ends (a stdio server is a child process).

    Args:
        registry: Where the servers' tools go.
        settings: The loaded settings (`[mcp]`, `tool_timeout`).
        on_status: Called on every server status change (a dying server, later on).
    """
    configs = mcp_server_configs(settings)
    if not configs:
        return None
    from tuichat.tools.mcp_client import McpManager

    return McpManager(
        registry,
        configs,
        start_timeout=settings.mcp.start_timeout,
        call_timeout=settings.tool_timeout,
        on_status=on_status,
    )


async def start_mcp_servers(
    manager: McpManager, registry: ToolRegistry, settings: Settings
) -> None:
    """Start the servers; return when each is ready or has failed (never raises for one).

    `[tools] disabled` is applied to the tools that arrived.
    """
    await manager.start()
    apply_disabled(registry, settings.tools.disabled)


def server_problems(statuses: Mapping[str, ServerStatus]) -> list[str]:
    """One line per MCP server that is not ready, saying why."""
    return [
        f"MCP server {name!r} {status.state}"
        + (f": {status.reason}" if status.reason else "")
        + " (its tools are not offered)"
        for name, status in statuses.items()
        if status.state != "ready"
    ]
