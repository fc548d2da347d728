"""MCP servers driven through McpManager: a real stdio server (tests/tools/mcp_servers)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from tuichat.config.settings import DEFAULT_MCP_START_TIMEOUT, DEFAULT_TOOL_TIMEOUT
from tuichat.tools.executor import run_tool_call
from tuichat.tools.mcp_client import McpManager, McpServerConfig, ServerStatus
from tuichat.tools.registry import ToolRegistry, default_registry

SERVER = str(Path(__file__).parent / "mcp_servers" / "calc_server.py")


def stdio(name: str, *flags: str, **kwargs: object) -> McpServerConfig:
    return McpServerConfig(name=name, command=sys.executable, args=(SERVER, *flags), **kwargs)  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="either command or url"):
        McpServerConfig(name="x")
    with pytest.raises(ValueError, match="either command or url"):
        McpServerConfig(name="x", command="a", url="http://b")
    with pytest.raises(ValueError, match="invalid MCP server name"):
        McpServerConfig(name="a__b", command="a")
    assert McpServerConfig(name="files-1", url="http://x/mcp").transport == "http"
    with pytest.raises(ValueError, match="two MCP servers"):
        McpManager(
            ToolRegistry(),
            [stdio("a"), stdio("a")],
            start_timeout=DEFAULT_MCP_START_TIMEOUT,
            call_timeout=DEFAULT_TOOL_TIMEOUT,
        )


async def test_stdio_server_lifecycle() -> None:
    """One run covers start (three servers at once), calls, a crash and aclose, since each
    server start costs about a second."""
    registry = default_registry()
    seen: list[tuple[str, ServerStatus]] = []
    manager = McpManager(
        registry,
        [
            stdio("calc"),
            stdio("dead", "--die-at-start"),
            stdio("mute", "--hang-at-start", start_timeout=1.0),
            McpServerConfig(name="missing", command="/nonexistent/mcp-server"),
        ],
        on_status=lambda name, status: seen.append((name, status)),
        start_timeout=DEFAULT_MCP_START_TIMEOUT,
        call_timeout=DEFAULT_TOOL_TIMEOUT,
    )
    try:
        await manager.start()
        statuses = manager.statuses()
        assert statuses["calc"].state == "ready"
        assert statuses["calc"].tools == ("calc__add", "calc__fail", "calc__slow", "calc__crash")
        assert statuses["dead"].state == "failed"
        assert "refusing to start" in (statuses["dead"].reason or "")
        assert statuses["mute"] == ServerStatus("failed", "did not start within 1 s")
        assert statuses["missing"].state == "failed"
        assert "nonexistent" in (statuses["missing"].reason or "")

        names = registry.names()
        assert names[:3] == ["get_current_time", "calculate", "convert_units"]
        assert names[3:] == ["calc__add", "calc__fail", "calc__slow", "calc__crash"]
        add = registry.get("calc__add")
        assert add is not None and add.source == "mcp:calc"
        assert add.description.startswith("Add two integers.")
        assert add.parameters["required"] == ["a", "b"]

        outcome = await run_tool_call(
            registry, "calc__add", '{"a": 2, "b": 3}', timeout=DEFAULT_TOOL_TIMEOUT
        )
        assert (outcome.content, outcome.is_error) == ("5", False)
        # The executor checks arguments against the server's schema before sending.
        bad = await run_tool_call(
            registry, "calc__add", '{"a": "two", "b": 3}', timeout=DEFAULT_TOOL_TIMEOUT
        )
        assert bad.is_error and "must be an integer" in bad.content
        failed = await run_tool_call(
            registry, "calc__fail", '{"message": "nope"}', timeout=DEFAULT_TOOL_TIMEOUT
        )
        assert failed.is_error and failed.content.startswith("Error: McpToolError:")
        slow = await run_tool_call(registry, "calc__slow", '{"seconds": 5}', timeout=0.3)
        assert slow.is_error and "timed out after 0.3 s" in slow.content
        # A timed-out call does not take the server down.
        again = await run_tool_call(
            registry, "calc__add", '{"a": 1, "b": 1}', timeout=DEFAULT_TOOL_TIMEOUT
        )
        assert again.content == "2"

        crash = await run_tool_call(registry, "calc__crash", "{}", timeout=DEFAULT_TOOL_TIMEOUT)
        assert crash.is_error
        status = manager.status("calc")
        assert status.state == "failed"
        assert "closed the connection" in (status.reason or "")
        assert "crashing on purpose" in (status.reason or "")
        assert registry.names() == ["get_current_time", "calculate", "convert_units"]
        gone = await run_tool_call(
            registry, "calc__add", '{"a": 1, "b": 1}', timeout=DEFAULT_TOOL_TIMEOUT
        )
        assert gone.is_error and "unknown tool" in gone.content
    finally:
        await manager.aclose()
    assert [state for name, state in seen if name == "calc"] == [
        ServerStatus("ready", tools=("calc__add", "calc__fail", "calc__slow", "calc__crash")),
        status,
    ]


async def test_aclose_stops_the_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    registry = ToolRegistry()
    config = McpServerConfig(
        name="calc",
        command=sys.executable,
        args=("-c", PID_WRAPPER, str(pid_file), SERVER),
    )
    async with McpManager(
        registry,
        [config],
        start_timeout=DEFAULT_MCP_START_TIMEOUT,
        call_timeout=DEFAULT_TOOL_TIMEOUT,
    ) as manager:
        assert manager.status("calc").state == "ready"
        pid = int(pid_file.read_text())
        assert alive(pid)
        assert "calc__add" in registry
    assert manager.status("calc") == ServerStatus("stopped")
    assert len(registry) == 0
    assert not alive(pid)


# Records the server's pid, then becomes the server (exec keeps the pid).
PID_WRAPPER = (
    "import os, sys; open(sys.argv[1], 'w').write(str(os.getpid())); "
    "os.execv(sys.executable, [sys.executable, sys.argv[2]])"
)


# --- Streamable HTTP ---------------------------------------------------------------------------


async def test_streamable_http_server(mcp_http_server: str) -> None:
    registry = ToolRegistry()
    config = McpServerConfig(name="web", url=mcp_http_server, headers={"X-Test": "1"})
    async with McpManager(
        registry,
        [config],
        start_timeout=DEFAULT_MCP_START_TIMEOUT,
        call_timeout=DEFAULT_TOOL_TIMEOUT,
    ) as manager:
        assert manager.status("web").state == "ready", manager.status("web")
        outcome = await run_tool_call(
            registry, "web__add", '{"a": 20, "b": 22}', timeout=DEFAULT_TOOL_TIMEOUT
        )
        assert (outcome.content, outcome.is_error) == ("42", False)
        tool = registry.get("web__add")
        assert tool is not None and tool.source == "mcp:web"
    assert manager.status("web") == ServerStatus("stopped")
    assert len(registry) == 0


async def test_http_server_not_listening() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on the port now
    registry = ToolRegistry()
    config = McpServerConfig(name="web", url=f"http://127.0.0.1:{port}/mcp", start_timeout=3)
    async with McpManager(
        registry,
        [config],
        start_timeout=DEFAULT_MCP_START_TIMEOUT,
        call_timeout=DEFAULT_TOOL_TIMEOUT,
    ) as manager:
        status = manager.status("web")
        assert status.state == "failed"
        assert "ConnectError" in (status.reason or "")
    assert len(registry) == 0
