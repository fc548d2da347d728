"""`[context_windows]` in the config file: windows for models the server does not describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.config.settings import ConfigError
from tuichat.core.client import ChatClient
from tuichat.core.provider import Provider
from tuichat.demo.server import ChatServer
from tuichat.session.context_budget import find_context_window


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_context_windows_are_read_and_a_bad_one_is_named(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path, '[context_windows]\n"my-model" = 32768\n'))
    assert dict(settings.context_windows) == {"my-model": 32768}
    with pytest.raises(ConfigError, match=r"line 2: context_windows\.my-model must be a whole"):
        load_settings(config(tmp_path, '[context_windows]\n"my-model" = "big"\n'))


async def test_the_servers_window_wins_then_the_configs_then_the_known_table(
    server: ChatServer,
) -> None:
    server.context_length = 4096
    client = ChatClient(Provider(base_url=server.base_url, model=server.model, api_key="k"))
    configured = {server.model: 999, "gpt-4o": 64_000, "mine": 1000}
    try:
        assert await find_context_window(client, server.model, configured) == 4096
        assert await find_context_window(client, "gpt-4o", configured) == 64_000
        assert await find_context_window(client, "mine", configured) == 1000
    finally:
        await client.aclose()
