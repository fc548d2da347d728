"""Choosing the provider from options and environment."""

from __future__ import annotations

from tuichat.cli import choose_provider, parse_args, subtitle


def test_no_key_and_no_base_url_is_the_demo() -> None:
    provider, demo = choose_provider(parse_args([]), {})
    assert demo and provider.model == "tuichat-demo"
    assert "demo model" in subtitle(provider, demo) and "OPENAI_API_KEY" in subtitle(provider, demo)


def test_a_key_means_openai() -> None:
    provider, demo = choose_provider(parse_args(["--model", "gpt-4o"]), {"OPENAI_API_KEY": "sk-x"})
    assert not demo
    assert provider.base_url == "https://api.openai.com/v1" and provider.api_key == "sk-x"
    assert subtitle(provider, demo) == "openai · gpt-4o"


def test_openai_base_url_is_honoured_and_the_option_wins() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}
    provider, demo = choose_provider(parse_args(["--model", "llama3.2"]), env)
    assert not demo and provider.base_url == env["OPENAI_BASE_URL"] and provider.api_key == ""
    args = parse_args(["--base-url", "http://127.0.0.1:1234/v1", "--model", "m"])
    provider, _ = choose_provider(args, env)
    assert provider.base_url == "http://127.0.0.1:1234/v1"
    assert subtitle(provider, False) == "127.0.0.1:1234 · m"


def test_api_key_env_names_the_variable() -> None:
    args = parse_args(
        ["--api-key-env", "GROQ_API_KEY", "--base-url", "https://api.groq.com/openai/v1"]
    )
    provider, _ = choose_provider(args, {"GROQ_API_KEY": "gsk-1", "OPENAI_API_KEY": "sk-other"})
    assert provider.api_key == "gsk-1" and provider.api_key_env == "GROQ_API_KEY"


def test_demo_flag_and_no_stream() -> None:
    provider, demo = choose_provider(
        parse_args(["--demo", "--no-stream"]), {"OPENAI_API_KEY": "sk-x"}
    )
    assert demo and provider.stream is False
    assert "no-stream" in subtitle(provider, demo)
