"""Provider profiles: the `[profiles.NAME]` table, the built-in presets, and the defaults a
profile falls back to. `tuichat.config.provider` turns them into the `Provider` to connect to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

DEFAULT_PROFILE = "openai"
DEMO_PROFILE = "demo"
"""The built-in offline demo model: its server starts inside tuichat, so it has no base URL."""
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_TIMEOUT = 60.0
DEFAULT_STALL_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """One `[profiles.NAME]` table: an OpenAI-compatible endpoint and how to talk to it.

    Every field but `name` may be left out (None); the preset of the same name, then
    tuichat's defaults, fill it in.
    """

    name: str
    """The profile's name: `tuichat --profile NAME`, or `profile = "NAME"` in the file."""

    base_url: str | None = None
    """The API base URL, usually ending in `/v1`, e.g. `http://localhost:11434/v1`."""

    api_key: str | None = field(default=None, repr=False)
    """The API key itself. Prefer `api_key_env`; a file holding a key is written with mode 0600."""

    api_key_env: str | None = None
    """The environment variable that holds the key, e.g. `GROQ_API_KEY`; it wins over `api_key`."""

    model: str | None = None
    """The model to ask, e.g. `gpt-4o-mini` or `llama3.2`."""

    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Extra HTTP headers sent with every request (values are redacted when shown)."""

    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    """Extra request body fields: `temperature`, `max_tokens`, `top_p`, `seed`, `stop`, ..."""

    include_usage: bool | None = None
    """Ask for token usage at the end of a stream (`stream_options.include_usage`; default true)."""

    system_prompt: str | None = None
    """The system prompt for new conversations with this profile (`--system` wins)."""

    stream: bool | None = None
    """Stream answers as they are written (default true; `--no-stream` wins)."""

    timeout: float | None = None
    """Seconds to connect and for the server to answer (default 60; `--timeout` wins)."""

    stall_timeout: float | None = None
    """Seconds an answer may stay silent, before its first token or in its middle, before it
    is given up with what arrived kept (default 60; `--stall-timeout` wins)."""

    max_retries: int | None = None
    """How often the client retries a failed connection, a timeout or a 408/409/429/5xx
    before any byte of the answer arrived (default 2)."""

    def merged_over(self, base: ProfileSettings) -> ProfileSettings:
        """This profile's set fields over `base`'s (headers and params merge key by key)."""
        changes: dict[str, Any] = {
            name: getattr(self, name) for name in _SCALAR_FIELDS if getattr(self, name) is not None
        }
        changes["headers"] = MappingProxyType({**base.headers, **self.headers})
        changes["params"] = MappingProxyType({**base.params, **self.params})
        return replace(base, name=self.name, **changes)


# The fields `merged_over` takes whole when set: all but the name (kept from the profile) and the
# two tables that merge key by key.
_SCALAR_FIELDS = tuple(
    f.name for f in fields(ProfileSettings) if f.name not in ("name", "headers", "params")
)

PRESETS: Mapping[str, ProfileSettings] = MappingProxyType(
    {
        preset.name: preset
        for preset in (
            ProfileSettings(
                "openai", DEFAULT_BASE_URL, api_key_env=DEFAULT_KEY_ENV, model=DEFAULT_MODEL
            ),
            ProfileSettings("ollama", "http://localhost:11434/v1", model="llama3.2"),
            ProfileSettings("lmstudio", "http://localhost:1234/v1", model="qwen2.5-7b-instruct"),
            # llama-server answers with whatever model it loaded, whatever the request names.
            ProfileSettings("llamacpp", "http://localhost:8080/v1", model="local"),
            ProfileSettings("vllm", "http://localhost:8000/v1", model="Qwen/Qwen2.5-7B-Instruct"),
            ProfileSettings(
                "openrouter",
                "https://openrouter.ai/api/v1",
                api_key_env="OPENROUTER_API_KEY",
                model="openai/gpt-4o-mini",
            ),
            ProfileSettings(
                "groq",
                "https://api.groq.com/openai/v1",
                api_key_env="GROQ_API_KEY",
                model="llama-3.3-70b-versatile",
            ),
            ProfileSettings(
                "deepseek",
                "https://api.deepseek.com/v1",
                api_key_env="DEEPSEEK_API_KEY",
                model="deepseek-chat",
            ),
            ProfileSettings(DEMO_PROFILE),
        )
    }
)
"""Profiles available without any config; `[profiles.NAME]` in the file overrides fields of them."""
