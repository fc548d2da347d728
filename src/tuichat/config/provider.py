"""From settings, environment and command-line options to the `Provider` the client connects
to, and whether the offline demo model should answer instead.

Precedence, highest first: command line, environment, config file, presets/defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from tuichat.config.profiles import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    DEFAULT_PROFILE,
    DEFAULT_STALL_TIMEOUT,
    DEFAULT_TIMEOUT,
    ProfileSettings,
)
from tuichat.config.settings import Settings, UnknownProfileError
from tuichat.config.toml_lines import format_key
from tuichat.core.provider import Provider

CLI_OVERRIDE_KEYS = frozenset(
    f.name for f in fields(ProfileSettings) if f.name not in ("name", "system_prompt")
)
"""What the command line may override in a profile: every field but the profile's name and its
system prompt, which belongs to the conversation (`--system`), not to the `Provider`."""


def profile_names(settings: Settings) -> list[str]:
    """Every profile one can choose: presets and the file's, sorted."""
    return sorted(settings.profiles)


def resolve_profile(settings: Settings, profile_name: str | None = None) -> ProfileSettings:
    """The profile in use: `profile_name` (from `--profile`), else the file's `profile`, else
    `openai`; presets already merged with the file's fields.

    Raises:
        UnknownProfileError: `profile_name` names no profile.
    """
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
            `api_key_env`, `api_key`, `stream`, `timeout`, `stall_timeout`, `max_retries`,
            `include_usage`,
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

    if cli.get("base_url"):
        base_url_from = "--base-url"
    elif env_base_url:
        base_url_from = f"${BASE_URL_ENV}"
    else:
        base_url_from = f"the profile `{profile.name}`"
    return Provider(
        profile=profile.name if from_profile else None,
        base_url_from=base_url_from,
        model_from="--model" if cli.get("model") else f"the profile `{profile.name}`",
        base_url=base_url,
        model=cli.get("model") or profile.model or DEFAULT_MODEL,
        api_key=api_key,
        name=profile.name if from_profile else host_name(base_url),
        stream=_first(cli.get("stream"), profile.stream, True),
        timeout=float(_first(cli.get("timeout"), profile.timeout, DEFAULT_TIMEOUT)),
        stall_timeout=float(
            _first(cli.get("stall_timeout"), profile.stall_timeout, DEFAULT_STALL_TIMEOUT)
        ),
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
