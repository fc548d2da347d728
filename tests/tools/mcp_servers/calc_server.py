"""A tiny MCP server for tests: `add`, `slow` and `crash` tools.

Run over stdio: `python calc_server.py`. `build()` returns the server, so the Streamable HTTP
test can serve the same tools.
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer


def build() -> MCPServer:
    """The server with its tools."""
    server = MCPServer("calc")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers.

        Args:
            a: The first.
            b: The second.
        """
        return a + b

    @server.tool()
    def fail(message: str) -> str:
        """Raise an error with the message."""
        raise ValueError(message)

    @server.tool()
    def slow(seconds: float) -> str:
        """Sleep, then answer."""
        time.sleep(seconds)
        return "done"

    @server.tool()
    def crash() -> str:
        """Kill the server process at once."""
        sys.stderr.write("calc server: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(3)

    return server


if __name__ == "__main__":
    if "--die-at-start" in sys.argv:
        sys.stderr.write("calc server: refusing to start\n")
        sys.exit(2)
    if "--hang-at-start" in sys.argv:
        sys.stdin.read()  # never answers; exits when the client closes stdin
        sys.exit(0)
    build().run("stdio")
