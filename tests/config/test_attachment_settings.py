"""The `[attachments]` table: the limits of files attached to prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import parse_settings
from tuichat.config.settings import AttachmentSettings, ConfigError


def test_the_limits_default_to_200_kb_a_file_and_1_mb_a_prompt() -> None:
    assert parse_settings("").attachments == AttachmentSettings(200_000, 1_000_000)


def test_the_limits_are_read_from_the_file(tmp_path: Path) -> None:
    text = "[attachments]\nmax_file_bytes = 5000\nmax_prompt_bytes = 9000\n"
    settings = parse_settings(text, tmp_path / "config.toml")
    assert settings.attachments == AttachmentSettings(5000, 9000)


def test_a_limit_below_one_byte_names_the_key_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings("[attachments]\nmax_file_bytes = 0\n", tmp_path / "config.toml")
    assert "attachments.max_file_bytes" in str(error.value)
    assert "max_file_bytes = 200000" in str(error.value)


def test_an_unknown_key_is_a_warning(tmp_path: Path) -> None:
    settings = parse_settings("[attachments]\nmax_files = 3\n", tmp_path / "config.toml")
    assert any("max_files" in warning for warning in settings.warnings)
