"""Tool policies and result truncation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.config.settings import ConfigError
from tuichat.tools.policy import ToolPolicies, policy_for, truncate_result
from tuichat.tools.registry import Tool, ToolRegistry, default_registry


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


def test_set_changes_a_policy_for_the_session_only() -> None:
    registry = ToolRegistry()

    def remote__write() -> str:
        """Writes something."""
        return ""

    registry.register(remote__write, source="mcp:remote")
    config_overrides = {"calculate": "ask"}
    policies = ToolPolicies(registry, config_overrides)
    assert policies("remote__write") == "ask"
    policies.set("remote__write", "run")  # "always run" from the approval dialog
    assert policies("remote__write") == "run"
    assert config_overrides == {"calculate": "ask"}  # the caller's mapping is untouched
    assert dict(policies.overrides) == {"calculate": "ask", "remote__write": "run"}
    with pytest.raises(TypeError):
        policies.overrides["x"] = "run"  # type: ignore[index]
    with pytest.raises(ValueError, match=r"'always'.*'run', 'ask', 'never'"):
        policies.set("remote__write", "always")
    assert policies("remote__write") == "run"


def test_policies_see_tools_registered_after_they_were_made() -> None:
    registry = ToolRegistry()
    policies = ToolPolicies(registry)
    assert policies("late__tool") == "run"  # unknown yet

    def late__tool() -> str:
        """Arrives when its server has started."""
        return ""

    registry.register(late__tool, source="mcp:late")
    assert policies("late__tool") == "ask"
