"""Presets, and the provider chosen from options > environment > file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.config.profiles import PRESETS
from tuichat.config.provider import resolve_profile, resolve_provider, wants_demo
from tuichat.config.settings import ConfigError, Settings, UnknownProfileError
from tuichat.core.provider import Provider

FILE = """
profile = "work"

[profiles.work]
base_url = "http://file.example/v1"
api_key_env = "WORK_KEY"
api_key = "file-key"
model = "file-model"
headers = { X-Team = "file" }
params = { temperature = 0.5, top_p = 0.9 }
stream = false
timeout = 90
stall_timeout = 45
max_retries = 5
include_usage = false
"""


def settings_from(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


@pytest.mark.parametrize(
    ("name", "base_url", "key_env", "model"),
    [
        ("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini"),
        ("ollama", "http://localhost:11434/v1", None, "llama3.2"),
        ("lmstudio", "http://localhost:1234/v1", None, "qwen2.5-7b-instruct"),
        ("llamacpp", "http://localhost:8080/v1", None, "local"),
        ("vllm", "http://localhost:8000/v1", None, "Qwen/Qwen2.5-7B-Instruct"),
        ("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4o-mini"),
        ("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "llama-3.3-70b-versatile"),
        ("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "deepseek-chat"),
    ],
)
def test_presets_work_without_any_config(
    name: str, base_url: str, key_env: str | None, model: str
) -> None:
    assert PRESETS[name].base_url == base_url and PRESETS[name].api_key_env == key_env
    environ = {key_env: f"{name}-key"} if key_env else {"OPENAI_API_KEY": "not-for-local-servers"}
    provider = resolve_provider(Settings(), name, {}, environ)
    assert (provider.name, provider.base_url, provider.model) == (name, base_url, model)
    assert provider.api_key == (f"{name}-key" if key_env else "")
    assert (provider.stream, provider.timeout, provider.max_retries, provider.include_usage) == (
        True,
        60.0,
        2,
        True,
    )
    assert provider.stall_timeout == 60.0


def test_defaults_without_file_options_or_environment() -> None:
    provider = resolve_provider(Settings(), None, {}, {})
    assert provider == Provider(
        base_url="https://api.openai.com/v1",
        model="gpt-4o-mini",
        api_key="",
        name="openai",
        api_key_env="OPENAI_API_KEY",
        profile="openai",
        base_url_from="the profile `openai`",
        model_from="the profile `openai`",
    )


def test_the_file_beats_the_defaults(tmp_path: Path) -> None:
    provider = resolve_provider(settings_from(tmp_path, FILE), None, {}, {})
    assert provider.name == "work"
    assert provider.base_url == "http://file.example/v1"
    assert provider.api_key == "file-key"
    assert provider.model == "file-model"
    assert provider.extra_headers == {"X-Team": "file"}
    assert provider.params == {"temperature": 0.5, "top_p": 0.9}
    assert (provider.stream, provider.timeout, provider.max_retries, provider.include_usage) == (
        False,
        90.0,
        5,
        False,
    )
    assert provider.stall_timeout == 45.0


def test_the_environment_beats_the_file(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, FILE)  # has api_key = "file-key" and api_key_env
    environ = {"OPENAI_BASE_URL": "http://env.example/v1", "WORK_KEY": "env-key"}
    provider = resolve_provider(settings, None, {}, environ)
    assert provider.base_url == "http://env.example/v1"
    assert provider.name == "env.example"  # no longer the profile's endpoint
    assert provider.api_key == "env-key"
    assert provider.model == "file-model"  # nothing in the environment sets it


def test_the_key_variable_beats_the_key_in_the_file(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path, '[profiles.openai]\napi_key = "file-key"\n'
    )  # the preset keeps api_key_env = OPENAI_API_KEY
    assert resolve_provider(settings, "openai", {}, {}).api_key == "file-key"
    assert resolve_provider(settings, "openai", {}, {"OPENAI_API_KEY": "env"}).api_key == "env"
    assert resolve_provider(settings, "openai", {}, {"OPENAI_API_KEY": ""}).api_key == "file-key"


def test_the_command_line_beats_everything(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, FILE)
    environ = {
        "OPENAI_BASE_URL": "http://env.example/v1",
        "WORK_KEY": "env-key",
        "CLI_KEY": "cli-key",
    }
    cli = {
        "base_url": "http://cli.example/v1",
        "model": "cli-model",
        "api_key_env": "CLI_KEY",
        "stream": True,
        "timeout": 5.0,
        "stall_timeout": 7.5,
        "max_retries": 0,
        "include_usage": True,
        "headers": {"X-Team": "cli", "X-More": "1"},
        "params": {"temperature": 0.0},
    }
    provider = resolve_provider(settings, None, cli, environ)
    assert provider.base_url == "http://cli.example/v1"
    assert provider.model == "cli-model"
    assert provider.api_key == "cli-key" and provider.api_key_env == "CLI_KEY"
    assert (provider.stream, provider.timeout, provider.max_retries, provider.include_usage) == (
        True,
        5.0,
        0,
        True,
    )
    assert provider.stall_timeout == 7.5
    assert provider.extra_headers == {"X-Team": "cli", "X-More": "1"}
    assert provider.params == {"temperature": 0.0, "top_p": 0.9}  # merged key by key
    none_given = dict.fromkeys(cli)  # argparse's "not given"
    assert resolve_provider(settings, None, none_given, environ).model == "file-model"


def test_a_profile_named_on_the_command_line_ignores_openai_base_url() -> None:
    environ = {"OPENAI_BASE_URL": "http://proxy.example/v1"}
    assert (
        resolve_provider(Settings(), "ollama", {}, environ).base_url == "http://localhost:11434/v1"
    )
    assert resolve_provider(Settings(profile="ollama"), None, {}, environ).base_url == (
        "http://proxy.example/v1"
    )
    assert resolve_provider(Settings(), None, {}, environ).base_url == "http://proxy.example/v1"


def test_profile_choice_order_and_unknown_profiles(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, FILE)
    assert resolve_profile(settings).name == "work"
    assert resolve_profile(settings, "groq").name == "groq"
    assert resolve_profile(Settings()).name == "openai"
    with pytest.raises(
        UnknownProfileError, match=r"unknown profile 'nope'.*groq.*\[profiles\.nope\]"
    ):
        resolve_provider(settings, "nope", {}, {})
    assert issubclass(UnknownProfileError, ConfigError)  # one exception for the CLI to catch
    with pytest.raises(ValueError, match="unknown provider overrides"):
        resolve_provider(settings, None, {"modle": "x"}, {})


def test_the_provider_is_a_fresh_object_each_time(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, FILE)
    first = resolve_provider(settings, None, {}, {})
    first.extra_headers["X-Changed"] = "1"
    first.params["seed"] = 1
    second = resolve_provider(settings, None, {}, {})
    assert "X-Changed" not in second.extra_headers and "seed" not in second.params
    assert "X-Changed" not in settings.profiles["work"].headers


def test_demo_only_when_nothing_points_at_a_server(tmp_path: Path) -> None:
    assert wants_demo(Settings(), None, {}, {})
    assert wants_demo(Settings(), None, {"model": "x", "base_url": None}, {})
    assert not wants_demo(Settings(), None, {}, {"OPENAI_API_KEY": "k"})
    assert not wants_demo(Settings(), None, {}, {"OPENAI_BASE_URL": "http://h/v1"})
    assert not wants_demo(Settings(), None, {"base_url": "http://h/v1"}, {})
    assert not wants_demo(Settings(), "ollama", {}, {})
    assert not wants_demo(Settings(profile="ollama"), None, {}, {})
    assert not wants_demo(Settings(), None, {"api_key_env": "MINE"}, {"MINE": "k"})
    key_in_file = settings_from(tmp_path, '[profiles.openai]\napi_key = "sk-x"\n')
    assert not wants_demo(key_in_file, None, {}, {})
    proxy_in_file = settings_from(tmp_path, '[profiles.openai]\nbase_url = "http://proxy/v1"\n')
    assert not wants_demo(proxy_in_file, None, {}, {})


def test_hints_can_name_where_the_url_and_model_came_from(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, FILE)
    from_file = resolve_provider(settings, None, {}, {})
    assert from_file.base_url_from == "the profile `work`"
    assert from_file.model_from == "the profile `work`"
    assert from_file.settings_source == "the profile `work`"
    from_env = resolve_provider(settings, None, {}, {"OPENAI_BASE_URL": "http://env.example/v1"})
    assert from_env.base_url_from == "$OPENAI_BASE_URL"
    given = {"base_url": "http://cli.example/v1", "model": "cli-model"}
    from_cli = resolve_provider(settings, None, given, {})
    assert (from_cli.base_url_from, from_cli.model_from) == ("--base-url", "--model")
