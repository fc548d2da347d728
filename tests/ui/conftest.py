"""Building the app for Pilot tests, against the loopback demo server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tuichat.core.client import ChatClient, Provider
from tuichat.core.conversation import Conversation
from tuichat.demo.server import ChatServer
from tuichat.tools.registry import default_registry
from tuichat.ui.app import TuichatApp

AppFactory = Callable[..., TuichatApp]


@pytest.fixture
def make_app(server: ChatServer) -> AppFactory:
    """An app talking to the loopback server; keyword arguments adjust the provider."""

    def make(
        *, welcome: str | None = None, max_tool_rounds: int = 8, **provider: Any
    ) -> TuichatApp:
        settings: dict[str, Any] = {
            "base_url": server.base_url,
            "model": "tuichat-demo",
            "max_retries": 0,
        }
        settings.update(provider)
        conversation = Conversation(
            ChatClient(Provider(**settings)), default_registry(), max_tool_rounds=max_tool_rounds
        )
        return TuichatApp(conversation, subtitle="test", welcome=welcome)

    return make
