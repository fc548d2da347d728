"""`tuichat config path|show|example`, through the real entry point."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tuichat.cli import main

SECRET = "sk-live-0123456789abcdef"


def test_path_prints_the_config_file(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "path"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{isolated_dirs / 'config' / 'tuichat' / 'config.toml'}\n"
    assert "not created yet" in err
    assert main(["config", "path", "--config", "/somewhere/else.toml"]) == 0
    assert capsys.readouterr().out == "/somewhere/else.toml\n"
    assert main(["config", "--config", "/before/action.toml", "path"]) == 0
    assert capsys.readouterr().out == "/before/action.toml\n"


def test_example_prints_the_commented_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "example"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# tuichat's config file")
    assert tomllib.loads(out)["max_tool_rounds"] == 8


def test_show_prints_effective_settings_with_secrets_redacted(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_dirs / "config" / "tuichat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f"""
theme = "nord"
unknown_thing = 1

[profiles.work]
base_url = "https://llm.example.com/v1"
api_key = "{SECRET}"
model = "big"
[profiles.work.headers]
Authorization = "Bearer {SECRET}"
"X-Api-Key" = "{SECRET}"
"X-Auth-Token" = "t0k3n-value"
"X-Team" = "r"
""",
        encoding="utf-8",
    )
    assert main(["config", "show"]) == 0
    out, err = capsys.readouterr()
    assert SECRET not in out and "t0k3n-value" not in out
    shown = tomllib.loads(out)
    assert shown["theme"] == "nord"
    work = shown["profiles"]["work"]
    assert work["api_key"] == "[redacted]" and work["model"] == "big"
    assert work["headers"] == {
        "Authorization": "Bearer [redacted]",
        "X-Api-Key": "[redacted]",
        "X-Auth-Token": "[redacted]",
        "X-Team": "r",
    }
    assert shown["profiles"]["ollama"]["base_url"] == "http://localhost:11434/v1"  # presets too
    assert shown["max_tool_rounds"] == 8 and shown["history"] == {"save_raw_chunks": True}
    assert shown["db_path"] == str(isolated_dirs / "data" / "tuichat" / "history.sqlite3")
    assert f"# Effective settings: defaults and presets, overridden by {config}." in out
    assert "unknown setting unknown_thing" in err


def test_show_without_a_file_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "(no file: defaults)" in out and "offline demo model" in out
    assert tomllib.loads(out)["theme"] == "tuichat-dark"


def test_show_names_the_active_provider(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "openai at https://api.openai.com/v1, model gpt-4o-mini, key from $OPENAI_API_KEY" in out
    assert SECRET not in out


def test_show_reports_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[profiles.x]\nstream = 'yes'\n")
    assert main(["config", "show", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{config}, line 2: profiles.x.stream must be true or false" in err
    assert main(["config", "show", "--config", str(tmp_path / "missing.toml")]) == 1
    assert "no such config file" in capsys.readouterr().err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 2
    assert main(["config", "frobnicate"]) == 2
    assert "path" in capsys.readouterr().err
    assert main(["config", "--help"]) == 0
    assert "example" in capsys.readouterr().out
