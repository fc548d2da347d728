"""Building the app for Pilot tests, against the loopback demo server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tuichat.config.settings import Settings
from tuichat.config.theme_files import ThemeSpec
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.ui.app import TuichatApp

AppFactory = Callable[..., TuichatApp]


def loopback_options(server: ChatServer, **options: Any) -> SessionOptions:
    """Options for a session with the loopback server (no history unless `db` is given)."""
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "model": "tuichat-demo",
        "max_retries": 0,
        "history": options.get("db") is not None,
    }
    values.update(options)
    return SessionOptions(**values)


def loopback_app(
    server: ChatServer,
    *,
    welcome: str | None = None,
    settings: Settings | None = None,
    environ: dict[str, str] | None = None,
    db: Path | None = None,
    subtitle: str | None = "test",
    theme_specs: Mapping[str, ThemeSpec] | None = None,
    theme: str | None = None,
    **options: Any,
) -> TuichatApp:
    """An app whose session talks to the loopback server; keywords are session options."""
    session = build_session(
        settings or Settings(), loopback_options(server, db=db, **options), environ or {}
    )
    return TuichatApp(
        session, subtitle=subtitle, welcome=welcome, theme_specs=theme_specs, theme=theme
    )


@pytest.fixture
def make_app(server: ChatServer) -> AppFactory:
    """`loopback_app` for the test's server."""

    def make(**options: Any) -> TuichatApp:
        return loopback_app(server, **options)

    return make
