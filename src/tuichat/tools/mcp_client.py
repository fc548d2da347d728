"""Tools from MCP servers (Model Context Protocol), with the official `mcp` SDK.

`McpManager` starts the configured servers concurrently (stdio subprocesses or Streamable HTTP
endpoints), lists their tools and registers each in a `ToolRegistry` as `server__tool`
(`source="mcp:SERVER"`), backed by an async function that calls the server. A server that fails
to start, does not answer within its start timeout, or dies later has its tools withdrawn, and
its status says why; `aclose()` stops every server.

Each server lives in one asyncio task that owns its transport and session: anyio's cancel
scopes (used inside the SDK) must be entered and left by the same task, so the connection is
opened, used for listing and closed in that task, while tool calls from other tasks only send
requests through the session.

A stdio server's stderr goes to a temporary file, never to the terminal (it would scribble
over the UI); its last lines explain a failure in the status.

Stdlib and `mcp` only: this package must stay importable without the UI stack.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import IO, Any, Literal, Self

import anyio
import mcp_types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tuichat.core.tooling import MCP_SERVER_NAME, MCP_SERVER_NAME_MAX
from tuichat.tools.registry import Tool, ToolRegistry

CLOSE_TIMEOUT = 5.0
"""Seconds `aclose()` waits for a server to stop before abandoning its task."""

SEPARATOR = "__"
"""Between the server name and the tool name in a registered tool's name."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_STDERR_TAIL_CHARS = 300

ServerState = Literal["starting", "ready", "failed", "stopped"]


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """One MCP server: a command speaking stdio, or a Streamable HTTP URL.

    Attributes:
        name: Prefixes the server's tools (`name__tool`): letters, digits, `-` and single `_`.
        command: The executable of a stdio server.
        args: Its arguments.
        env: Extra environment variables (over the SDK's minimal default environment).
        cwd: Its working directory.
        url: The endpoint of a Streamable HTTP server.
        headers: HTTP headers sent with every request (e.g. authorisation).
        start_timeout: Seconds to start and list tools; None uses the manager's `start_timeout`.
    """

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] | None = None
    start_timeout: float | None = None

    def __post_init__(self) -> None:
        if not MCP_SERVER_NAME.match(self.name) or len(self.name) > MCP_SERVER_NAME_MAX:
            raise ValueError(
                f"invalid MCP server name {self.name!r}: use up to {MCP_SERVER_NAME_MAX} "
                "letters, digits, '-' and single '_'"
            )
        if (self.command is None) == (self.url is None):
            raise ValueError(f"MCP server {self.name!r}: give either command or url")

    @property
    def transport(self) -> Literal["stdio", "http"]:
        """`stdio` for a command, `http` for a URL."""
        return "stdio" if self.command is not None else "http"


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """Where a server is in its life.

    Attributes:
        state: `starting`, `ready`, `failed` or `stopped`.
        reason: Why it failed (or stopped unexpectedly); None otherwise.
        tools: The registered names of its tools (empty unless ready).
    """

    state: ServerState
    reason: str | None = None
    tools: tuple[str, ...] = ()


StatusCallback = Callable[[str, ServerStatus], None]
"""Called with `(server_name, status)` on every status change."""


class McpToolError(Exception):
    """The server reported the tool call as failed; the message is its explanation."""


@dataclass
class _Server:
    config: McpServerConfig
    status: ServerStatus = field(default_factory=lambda: ServerStatus("starting"))
    session: ClientSession | None = None
    task: asyncio.Task[None] | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False
    disconnected: bool = False
    errlog: IO[str] | None = None
    tool_names: tuple[str, ...] = ()


class McpManager:
    """Starts MCP servers, keeps their tools in a registry, and stops them.

    Use as `async with McpManager(registry, configs, start_timeout=15, call_timeout=30) as
    manager:` or call `start()` and `aclose()`. The timeouts come from the config
    (`tuichat.tools.setup.mcp_manager`); the tools carry no defaults of their own.
    """

    def __init__(
        self,
        registry: ToolRegistry,
        servers: Iterable[McpServerConfig],
        *,
        start_timeout: float,
        call_timeout: float | None,
        on_status: StatusCallback | None = None,
    ) -> None:
        """Prepare the servers; nothing starts until `start()`.

        Args:
            registry: Where the servers' tools are registered (and withdrawn from).
            servers: The servers; names must be unique.
            start_timeout: Seconds for a server to start and list its tools, unless its config
                says (the config's `[mcp] start_timeout`).
            call_timeout: Seconds a tool call may wait for the server's answer (the executor's
                timeout applies as well; the config's `tool_timeout`); None waits forever.
            on_status: Called on every status change, e.g. to notify the user.

        Raises:
            ValueError: If two servers have the same name.
        """
        self._registry = registry
        self._start_timeout = start_timeout
        self._call_timeout = call_timeout
        self._on_status = on_status
        self._servers: dict[str, _Server] = {}
        for config in servers:
            if config.name in self._servers:
                raise ValueError(f"two MCP servers are named {config.name!r}")
            self._servers[config.name] = _Server(config)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def status(self, name: str) -> ServerStatus:
        """The status of server `name`.

        Raises:
            KeyError: If no server has that name.
        """
        return self._servers[name].status

    def statuses(self) -> dict[str, ServerStatus]:
        """Every server's status, by name, in configuration order."""
        return {name: server.status for name, server in self._servers.items()}

    async def start(self) -> None:
        """Start every server concurrently; return when each is ready or has failed.

        Never raises for a failing server: see `statuses()`.
        """
        for server in self._servers.values():
            if server.task is None:
                server.task = asyncio.create_task(
                    self._run(server), name=f"mcp:{server.config.name}"
                )
        await asyncio.gather(*(server.settled.wait() for server in self._servers.values()))

    async def aclose(self) -> None:
        """Withdraw every tool and stop every server (a stdio process gets its stdin closed,
        then is terminated if it lingers)."""
        for server in self._servers.values():
            server.stopping = True
            server.wake.set()
        tasks = [server.task for server in self._servers.values() if server.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=CLOSE_TIMEOUT)
        for server in self._servers.values():
            self._withdraw(server)
            if server.status.state != "failed":
                self._set_status(server, ServerStatus("stopped"))

    # --- one server ----------------------------------------------------------------------

    async def _run(self, server: _Server) -> None:
        """Own one server's connection from start to stop."""
        config = server.config
        timeout = config.start_timeout if config.start_timeout is not None else self._start_timeout
        try:
            async with AsyncExitStack() as stack:
                read, write = await self._open_transport(server, stack)
                # Relay the transport's messages so we notice when the server goes away.
                relay_send, relay_receive = anyio.create_memory_object_stream[Any](0)
                group = await stack.enter_async_context(anyio.create_task_group())
                # Runs before the group exits: the relay would otherwise keep it open.
                stack.callback(group.cancel_scope.cancel)
                group.start_soon(self._relay, server, read, relay_send)
                session = await stack.enter_async_context(ClientSession(relay_receive, write))
                try:
                    with anyio.fail_after(timeout):
                        await session.initialize()
                        listed = await self._list_tools(session)
                except TimeoutError:
                    raise TimeoutError(f"did not start within {timeout:g} s") from None
                server.session = session
                self._register(server, listed)
                self._set_status(server, ServerStatus("ready", tools=server.tool_names))
                server.settled.set()
                await server.wake.wait()
                server.session = None
                self._withdraw(server)
                if server.disconnected and not server.stopping:
                    self._fail(server, "the server closed the connection")
        except asyncio.CancelledError:
            self._withdraw(server)
            raise
        except Exception as exc:
            self._fail(server, _describe(exc))
        finally:
            server.session = None
            self._withdraw(server)
            server.settled.set()
            if server.errlog is not None:
                server.errlog.close()
                server.errlog = None

    async def _open_transport(self, server: _Server, stack: AsyncExitStack) -> tuple[Any, Any]:
        """Spawn or connect; the stack closes it."""
        config = server.config
        if config.command is not None:
            # Open for the server's whole life; closed when its task ends.
            server.errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
            params = StdioServerParameters(
                command=config.command,
                args=list(config.args),
                env=dict(config.env) if config.env else None,
                cwd=config.cwd,
            )
            streams = await stack.enter_async_context(stdio_client(params, errlog=server.errlog))
        else:
            assert config.url is not None
            import httpx2  # the SDK's own HTTP client; imported here as only HTTP needs it

            client = await stack.enter_async_context(
                httpx2.AsyncClient(headers=dict(config.headers or {}), timeout=30.0)
            )
            streams = await stack.enter_async_context(
                streamable_http_client(config.url, http_client=client)
            )
        return streams[0], streams[1]

    async def _relay(self, server: _Server, read: Any, send: Any) -> None:
        """Forward messages to the session; when the transport ends, the server is gone."""
        try:
            async with send:
                async for item in read:
                    await send.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
            pass
        server.disconnected = True
        server.wake.set()

    async def _list_tools(self, session: ClientSession) -> list[mcp_types.Tool]:
        """Every tool, following pagination."""
        tools: list[mcp_types.Tool] = []
        cursor: str | None = None
        while True:
            params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await session.list_tools(params=params)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return tools

    def _register(self, server: _Server, listed: list[mcp_types.Tool]) -> None:
        """Register the listed tools as `server__tool`; skip names that clash."""
        names: list[str] = []
        source = f"mcp:{server.config.name}"
        for remote in listed:
            local = _tool_name(server.config.name, remote.name)
            schema = dict(remote.input_schema or {})
            schema.setdefault("type", "object")
            schema.setdefault("properties", {})
            tool = Tool(
                name=local,
                description=remote.description or remote.title or remote.name,
                parameters=schema,
                function=self._caller(server, remote.name),
                source=source,
            )
            try:
                self._registry.register(tool)
            except ValueError:
                continue  # an existing tool keeps its name; this one is not offered
            names.append(local)
        server.tool_names = tuple(names)

    def _caller(self, server: _Server, remote_name: str) -> Callable[..., Any]:
        """The async function the executor calls for one remote tool."""

        async def call_mcp_tool(**arguments: Any) -> str:
            session = server.session
            if session is None or server.status.state != "ready":
                raise McpToolError(f"MCP server {server.config.name!r} is not running")
            try:
                result = await session.call_tool(
                    remote_name, arguments, read_timeout_seconds=self._call_timeout
                )
            except MCPError as exc:
                if server.disconnected or "closed" in str(exc).lower():
                    self._fail(server, "the server closed the connection")
                    server.wake.set()
                raise McpToolError(str(exc)) from None
            if not isinstance(result, mcp_types.CallToolResult):
                raise McpToolError(f"unexpected result type {type(result).__name__}")
            text = _result_text(result)
            if result.is_error:
                raise McpToolError(text or "the tool failed")
            return text

        call_mcp_tool.__name__ = _tool_name(server.config.name, remote_name)
        return call_mcp_tool

    def _withdraw(self, server: _Server) -> None:
        for name in server.tool_names:
            self._registry.unregister(name)
        server.tool_names = ()

    def _fail(self, server: _Server, reason: str) -> None:
        if server.status.state == "failed":
            return
        tail = _stderr_tail(server.errlog)
        self._withdraw(server)
        self._set_status(server, ServerStatus("failed", f"{reason}{tail}"))

    def _set_status(self, server: _Server, status: ServerStatus) -> None:
        if status == server.status:
            return
        server.status = status
        if self._on_status is not None:
            self._on_status(server.config.name, status)


def _tool_name(server: str, tool: str) -> str:
    """`server__tool`, with characters the API rejects replaced, at most 64 long."""
    return f"{server}{SEPARATOR}{_UNSAFE.sub('_', tool)}"[:64]


def _result_text(result: mcp_types.CallToolResult) -> str:
    """The text of a tool result; non-text content is described, not dropped silently."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        elif isinstance(block, (mcp_types.ImageContent, mcp_types.AudioContent)):
            parts.append(f"[{block.type}: {block.mime_type}, not shown]")
        elif isinstance(block, mcp_types.ResourceLink):
            parts.append(f"[resource: {block.uri}]")
        elif isinstance(block, mcp_types.EmbeddedResource):
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(text if isinstance(text, str) else f"[resource: {resource.uri}]")
        else:
            parts.append(f"[{getattr(block, 'type', 'content')}]")
    if not parts and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False, default=str)
    return "\n".join(parts)


def _describe(exc: BaseException) -> str:
    """A one-line reason, unwrapping exception groups from anyio task groups."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in exc.exceptions)
    if isinstance(exc, TimeoutError) and str(exc):
        return str(exc)
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _stderr_tail(errlog: IO[str] | None) -> str:
    """The end of a stdio server's stderr, to explain a failure, or ``""``."""
    if errlog is None or errlog.closed:
        return ""
    try:
        errlog.flush()
        errlog.seek(0)
        text = errlog.read().strip()
    except (OSError, ValueError):
        return ""
    if not text:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tail = lines[-1] if lines else ""
    return f" (stderr: {tail[-_STDERR_TAIL_CHARS:]})"
