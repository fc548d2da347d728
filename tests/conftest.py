"""Fixtures shared by every test: isolated user dirs, and a real loopback model server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tuichat.demo.server import ChatServer


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data and cache dirs under tmp_path: no test touches the user's home."""
    home = tmp_path / "home"
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return home


@pytest.fixture
def server() -> Iterator[ChatServer]:
    """The demo model's HTTP server on 127.0.0.1, unthrottled."""
    with ChatServer(tokens_per_second=None) as running:
        yield running


PLUGIN_PROJECT = Path(__file__).parent / "tools" / "plugin_pkg"


@pytest.fixture
def installed_test_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test plugin package installed as an installer would: its module and a `.dist-info`
    with its entry points, in a site directory on `sys.path` for this test only.

    No build backend or network is needed, and `importlib.metadata` finds the distribution
    exactly as it finds one that pip installed.
    """
    import shutil
    import tomllib

    project = tomllib.loads((PLUGIN_PROJECT / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site-packages"
    shutil.copytree(PLUGIN_PROJECT / "src", site)
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = []
    for group, entries in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {value}" for name, value in entries.items())
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))  # also invalidates the import caches
    yield site
    import sys

    sys.modules.pop("tuichat_test_plugin", None)


@pytest.fixture
def mcp_http_server() -> Iterator[str]:
    """The calc server over Streamable HTTP on 127.0.0.1, run by uvicorn in a thread."""
    import socket
    import threading
    import time

    import uvicorn

    from tests.tools.mcp_servers.calc_server import build

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build().streamable_http_app(), log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
