"""What `tuichat config show` prints: the effective settings as a TOML document, presets and
defaults filled in, secrets redacted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import tomli_w

from tuichat.config.settings import DEFAULT_THEME, McpServerSettings, Settings
from tuichat.config.validate import PROFILE_KEYS
from tuichat.core.redact import REDACTED, redact_headers

_SECRET_ENV = re.compile(r"key|token|secret|password|auth", re.IGNORECASE)


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """Copy environment variables with the values of secret-looking ones replaced.

    Args:
        env: variable name -> value.

    Returns:
        The same names; a value is `[redacted]` when its name holds KEY, TOKEN, SECRET,
        PASSWORD or AUTH (in any case).
    """
    return {name: REDACTED if _SECRET_ENV.search(name) else value for name, value in env.items()}


def settings_document(settings: Settings, *, redact: bool = True) -> dict[str, Any]:
    """The effective settings as a TOML-ready dict (presets included, defaults filled in).

    Args:
        settings: the settings.
        redact: replace `api_key` values, the values of auth-like headers (profiles' and MCP
            servers'), and secret-looking MCP `env` values (see `redact_env`).
    """
    document: dict[str, Any] = {"theme": settings.theme or DEFAULT_THEME}
    if settings.profile is not None:
        document["profile"] = settings.profile
    document["max_tool_rounds"] = settings.max_tool_rounds
    document["tool_timeout"] = settings.tool_timeout
    document["db_path"] = str(settings.database_path())
    tools = settings.tools
    document["tools"] = {
        "disabled": list(tools.disabled),
        "files": list(tools.files),
        "plugins": tools.plugins,
        "result_limit": tools.result_limit,
        "policy": dict(tools.policy),
    }
    document["history"] = {"save_raw_chunks": settings.history.save_raw_chunks}
    document["attachments"] = {
        "max_file_bytes": settings.attachments.max_file_bytes,
        "max_prompt_bytes": settings.attachments.max_prompt_bytes,
    }
    document["mcp"] = {
        "start_timeout": settings.mcp.start_timeout,
        "servers": {
            server.name: _server_document(server, redact=redact) for server in settings.mcp.servers
        },
    }
    document["keys"] = dict(settings.keys)
    document["prices"] = {
        model: {"input": price.input, "output": price.output}
        for model, price in settings.prices.items()
    }
    profiles: dict[str, Any] = {}
    for name, profile in sorted(settings.profiles.items()):
        table: dict[str, Any] = {}
        for key in PROFILE_KEYS:
            value = getattr(profile, key)
            if key in ("headers", "params"):
                value = dict(value) or None
                if value and key == "headers" and redact:
                    value = redact_headers(value)
            elif key == "api_key" and value and redact:
                value = REDACTED
            if value is not None:
                table[key] = value
        profiles[name] = table
    document["profiles"] = profiles
    return document


def _server_document(server: McpServerSettings, *, redact: bool) -> dict[str, Any]:
    """One MCP server's table for `settings_document()`; unset keys are left out."""
    table: dict[str, Any] = {}
    if server.command is not None:
        table["command"] = server.command
        table["args"] = list(server.args)
        if server.env:
            table["env"] = redact_env(server.env) if redact else dict(server.env)
        if server.cwd is not None:
            table["cwd"] = server.cwd
    else:
        table["url"] = server.url
        if server.headers:
            table["headers"] = (
                redact_headers(dict(server.headers)) if redact else dict(server.headers)
            )
    if server.start_timeout is not None:
        table["start_timeout"] = server.start_timeout
    table["enabled"] = server.enabled
    return table


def settings_toml(settings: Settings, *, redact: bool = True) -> str:
    """`settings_document()` as TOML text."""
    return tomli_w.dumps(settings_document(settings, redact=redact))
