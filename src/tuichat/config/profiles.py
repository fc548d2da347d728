"""Provider profiles: the built-in presets, and turning settings + environment + options into
the `Provider` the client connects to.

Precedence, highest first: command line, environment, config file, presets/defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tuichat.core.client import Provider

if TYPE_CHECKING:
    from tuichat.config.settings import Settings

DEFAULT_PROFILE = "openai"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
DEFAULT_TIMEOUT = 60.0
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
    """Seconds to wait for the server before giving up (default 60; `--timeout` wins)."""

    max_retries: int | None = None
    """How often the client retries a failed connection or a 429/5xx (default 2)."""

    def merged_over(self, base: ProfileSettings) -> ProfileSettings:
        """This profile's set fields over `base`'s (headers and params merge key by key)."""
        changes: dict[str, Any] = {
            name: getattr(self, name) for name in _SCALAR_FIELDS if getattr(self, name) is not None
        }
        changes["headers"] = MappingProxyType({**base.headers, **self.headers})
        changes["params"] = MappingProxyType({**base.params, **self.params})
        return replace(base, name=self.name, **changes)


_SCALAR_FIELDS = (
    "base_url",
    "api_key",
    "api_key_env",
    "model",
    "include_usage",
    "system_prompt",
    "stream",
    "timeout",
    "max_retries",
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
        )
    }
)
"""Profiles available without any config; `[profiles.NAME]` in the file overrides fields of them."""

CLI_OVERRIDE_KEYS = frozenset(
    {
        "base_url",
        "model",
        "api_key_env",
        "api_key",
        "stream",
        "timeout",
        "max_retries",
        "include_usage",
        "headers",
        "params",
    }
)


def profile_names(settings: Settings) -> list[str]:
    """Every profile one can choose: presets and the file's, sorted."""
    return sorted(settings.profiles)


def resolve_profile(settings: Settings, profile_name: str | None = None) -> ProfileSettings:
    """The profile in use: `profile_name` (from `--profile`), else the file's `profile`, else
    `openai`; presets already merged with the file's fields.

    Raises:
        UnknownProfileError: `profile_name` names no profile.
    """
    from tuichat.config.settings import UnknownProfileError, format_key  # (imports this module)

    name = profile_name or settings.profile or DEFAULT_PROFILE
    try:
        return settings.profiles[name]
    except KeyError:
        raise UnknownProfileError(
            f"unknown profile {name!r}. Known profiles: {', '.join(profile_names(settings))}. "
            f"Define it as a [profiles.{format_key((name,))}] table in the config file "
            "(tuichat config example shows one).",
            key="profile",
        ) from None


def resolve_provider(
    settings: Settings,
    profile_name: str | None,
    cli_overrides: Mapping[str, Any],
    environ: Mapping[str, str],
) -> Provider:
    """Build the provider from options, environment, file and presets, in that order.

    Args:
        settings: the loaded settings (presets merged with the file's profiles).
        profile_name: `--profile NAME`, or None to use the file's `profile` (else `openai`).
        cli_overrides: command-line values, None meaning "not given": `base_url`, `model`,
            `api_key_env`, `api_key`, `stream`, `timeout`, `max_retries`, `include_usage`,
            `headers`, `params` (the last two merge over the profile's).
        environ: the environment. `$OPENAI_BASE_URL` replaces the profile's base URL unless
            the profile was chosen on the command line (a `--profile` is more specific than an
            environment variable); the key comes from the variable named by `--api-key-env`
            or the profile's `api_key_env`, falling back to the file's `api_key`.

    Returns:
        A new `Provider`.

    Raises:
        UnknownProfileError: the profile does not exist.
        ValueError: `cli_overrides` holds a key not listed above (a programming error).
    """
    unknown = set(cli_overrides) - CLI_OVERRIDE_KEYS
    if unknown:
        raise ValueError(f"unknown provider overrides: {sorted(unknown)}")
    cli = {key: value for key, value in cli_overrides.items() if value is not None}
    profile = resolve_profile(settings, profile_name)

    env_base_url = environ.get(BASE_URL_ENV, "") if profile_name is None else ""
    base_url = cli.get("base_url") or env_base_url or profile.base_url or DEFAULT_BASE_URL
    from_profile = base_url == (profile.base_url or DEFAULT_BASE_URL)

    key_env = cli.get("api_key_env") or profile.api_key_env or ""
    api_key = (
        cli.get("api_key") or (environ.get(key_env, "") if key_env else "") or profile.api_key or ""
    )

    return Provider(
        base_url=base_url,
        model=cli.get("model") or profile.model or DEFAULT_MODEL,
        api_key=api_key,
        name=profile.name if from_profile else host_name(base_url),
        stream=_first(cli.get("stream"), profile.stream, True),
        timeout=float(_first(cli.get("timeout"), profile.timeout, DEFAULT_TIMEOUT)),
        max_retries=int(_first(cli.get("max_retries"), profile.max_retries, DEFAULT_MAX_RETRIES)),
        include_usage=_first(cli.get("include_usage"), profile.include_usage, True),
        api_key_env=key_env,
        extra_headers={**profile.headers, **cli.get("headers", {})},
        params={**profile.params, **cli.get("params", {})},
    )


def wants_demo(
    settings: Settings,
    profile_name: str | None,
    cli_overrides: Mapping[str, Any],
    environ: Mapping[str, str],
) -> bool:
    """Whether nothing points at a real server, so the built-in demo model should answer.

    True when no profile is chosen (neither `--profile` nor the file's `profile`), no base URL
    is given (`--base-url`, `$OPENAI_BASE_URL`, or a changed `[profiles.openai] base_url`) and
    no key is found.
    """
    if profile_name or settings.profile:
        return False
    if cli_overrides.get("base_url") or environ.get(BASE_URL_ENV):
        return False
    provider = resolve_provider(settings, None, cli_overrides, environ)
    return not provider.api_key and provider.base_url == DEFAULT_BASE_URL


def host_name(base_url: str) -> str:
    """A short name for an endpoint: `openai` for api.openai.com, else its host."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    return "openai" if host == "api.openai.com" else host


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)
