"""Tool policies and result truncation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.config.settings import ConfigError
from tuichat.tools.policy import policy_for, truncate_result
from tuichat.tools.registry import Tool, default_registry


def user_tool() -> str:
    """A user tool."""
    return "x"


def test_builtins_run_by_default() -> None:
    for tool in default_registry():
        assert policy_for(tool, {}) == "run"


@pytest.mark.parametrize("source", ["plugin:demo", "file:/tmp/t.py", "mcp:files"])
def test_other_sources_ask_by_default(source: str) -> None:
    tool = Tool.from_function(user_tool, source=source)
    assert policy_for(tool, {}) == "ask"
    assert policy_for(tool, None) == "ask"


def test_overrides_win_both_ways() -> None:
    builtin = default_registry().get("calculate")
    assert builtin is not None
    assert policy_for(builtin, {"calculate": "never"}) == "never"
    assert policy_for(builtin, {"calculate": "ask"}) == "ask"
    mcp = Tool.from_function(user_tool, name="files__read", source="mcp:files")
    assert policy_for(mcp, {"files__read": "run"}) == "run"
    assert policy_for(mcp, {"other": "run"}) == "ask"


def test_bad_override_is_ignored_and_reported(tmp_path: Path) -> None:
    tool = Tool.from_function(user_tool, source="plugin:x")
    assert policy_for(tool, {"user_tool": "always"}) == "ask"
    # The config check reports the bad value (not the good one), naming file, line and key.
    config = tmp_path / "config.toml"
    config.write_text('[tools.policy]\ncalculate = "run"\nuser_tool = "always"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    error = caught.value
    assert (error.path, error.line, error.key) == (config, 3, "tools.policy.user_tool")
    assert "'always'" in str(error) and '"run", "ask", "never"' in str(error)


def test_short_result_is_untouched() -> None:
    assert truncate_result("hello", 10) == ("hello", False)
    assert truncate_result("x" * 10, 10) == ("x" * 10, False)


def test_no_limit() -> None:
    assert truncate_result("x" * 100, 0) == ("x" * 100, False)


def test_long_result_is_cut_with_a_note() -> None:
    text = "a" * 1000 + "b" * 99_000
    cut, truncated = truncate_result(text, 2000)
    assert truncated
    assert len(cut) <= 2000
    assert cut.startswith("a" * 1000)
    assert "truncated" in cut and "100000" in cut
    head = cut.split("\n\n[tuichat:")[0]
    assert set(head) == {"a", "b"}
    assert f"first {len(head)} of 100000" in cut


def test_tiny_limit_still_returns_the_note() -> None:
    cut, truncated = truncate_result("x" * 500, 5)
    assert truncated
    assert "truncated" in cut
