"""Choosing the provider from options, environment and config; the header that names it."""

from __future__ import annotations

import pytest

from tuichat.cli import parse_args
from tuichat.config.load import parse_settings
from tuichat.config.settings import Settings
from tuichat.core.events import TextDelta
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.session.provider import Endpoint, choose_endpoint
from tuichat.ui.screens.chat import subtitle


def endpoint(
    argv: list[str], environ: dict[str, str], settings: Settings | None = None
) -> Endpoint:
    options = SessionOptions.from_args(parse_args(argv))
    return choose_endpoint(settings or Settings(), options, environ)


async def test_no_key_and_no_base_url_is_the_demo() -> None:
    chosen = endpoint([], {})
    assert chosen.demo and chosen.provider.model == "tuichat-demo" and chosen.profile == "demo"
    session = build_session(Settings(), SessionOptions(history=False), {})
    try:
        assert session.demo and session.provider.base_url.startswith("http://127.0.0.1:")
        header = subtitle(session)
        assert "demo model tuichat-demo" in header and "OPENAI_API_KEY" in header
        # The demo model answers, offline, through the same client as any server.
        text = ""
        async for batch in session.send("hello"):
            text += "".join(e.text for e in batch if isinstance(e, TextDelta))
        assert "Hello" in text and session.messages[-1]["content"] == text
    finally:
        await session.aclose()


def test_a_key_means_openai() -> None:
    chosen = endpoint(["--model", "gpt-4o"], {"OPENAI_API_KEY": "sk-x"})
    assert not chosen.demo and chosen.profile == "openai"
    assert chosen.provider.base_url == "https://api.openai.com/v1"
    assert chosen.provider.api_key == "sk-x"
    assert (chosen.provider.name, chosen.provider.model) == ("openai", "gpt-4o")


def test_openai_base_url_is_honoured_and_the_option_wins() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}
    chosen = endpoint(["--model", "llama3.2"], env)
    assert not chosen.demo and chosen.provider.base_url == env["OPENAI_BASE_URL"]
    assert chosen.provider.api_key == ""
    chosen = endpoint(["--base-url", "http://127.0.0.1:1234/v1", "--model", "m"], env)
    assert chosen.provider.base_url == "http://127.0.0.1:1234/v1"
    # Not a profile's endpoint: a model picked in the app has no profile to be saved in.
    assert (chosen.provider.name, chosen.profile) == ("127.0.0.1:1234", None)


def test_api_key_env_names_the_variable() -> None:
    argv = ["--api-key-env", "GROQ_API_KEY", "--base-url", "https://api.groq.com/openai/v1"]
    chosen = endpoint(argv, {"GROQ_API_KEY": "gsk-1", "OPENAI_API_KEY": "sk-other"})
    assert chosen.provider.api_key == "gsk-1" and chosen.provider.api_key_env == "GROQ_API_KEY"


async def test_demo_flag_and_no_stream() -> None:
    chosen = endpoint(["--demo", "--no-stream"], {"OPENAI_API_KEY": "sk-x"})
    assert chosen.demo and chosen.provider.stream is False
    options = SessionOptions.from_args(parse_args(["--demo", "--no-stream"]), history=False)
    session = build_session(Settings(), options, {"OPENAI_API_KEY": "sk-x"})
    try:
        assert "no-stream" in subtitle(session)
    finally:
        await session.aclose()


def test_a_profile_of_the_file_is_the_endpoint_and_names_itself() -> None:
    settings = parse_settings('profile = "local"\n[profiles.local]\nbase_url = "http://h/v1"\n')
    chosen = endpoint([], {}, settings)
    assert (chosen.provider.name, chosen.profile, chosen.demo) == ("local", "local", False)


def test_an_unknown_profile_is_a_config_error() -> None:
    from tuichat.config.settings import ConfigError

    with pytest.raises(ConfigError, match="unknown profile 'nope'"):
        build_session(Settings(), SessionOptions(profile="nope", history=False), {})


def test_the_stall_timeout_option_reaches_every_kind_of_endpoint() -> None:
    given = ["--stall-timeout", "2.5", "--timeout", "4"]
    for argv in (
        given,  # the demo
        [*given, "--base-url", "http://127.0.0.1:1234/v1"],
        [*given, "--profile", "ollama"],
    ):
        chosen = endpoint(argv, {})
        assert (chosen.provider.stall_timeout, chosen.provider.timeout) == (2.5, 4.0), argv
    assert endpoint([], {}).provider.stall_timeout == 60.0


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_stall_timeout_that_is_no_wait_is_bad_usage(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--stall-timeout", value])
    assert stopped.value.code == 2
    assert "--stall-timeout" in capsys.readouterr().err
