"""From settings to tools: the registry with user tools, per-tool policies, MCP server configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.load import load_settings
from tuichat.config.settings import DEFAULT_TOOL_TIMEOUT, Settings, ToolsSettings
from tuichat.session.tools import (
    apply_disabled,
    build_registry,
    config_base_dir,
    mcp_server_configs,
    policy_function,
)
from tuichat.tools.executor import run_tool_call
from tuichat.tools.policy import ToolPolicies
from tuichat.tools.registry import default_registry

BUILTINS = ["get_current_time", "calculate", "convert_units"]

TOOL_FILE = '''
def shout(text: str) -> str:
    """Say it loudly.

    Args:
        text: What to say.
    """
    return text.upper()


def whisper(text: str) -> str:
    """Say it quietly.

    Args:
        text: What to say.
    """
    return text.lower()
'''

BROKEN_FILE = "def oops(:\n    pass\n"


def config(tmp_path: Path, text: str) -> Settings:
    """Write a config file under `tmp_path/conf` and load it."""
    directory = tmp_path / "conf"
    directory.mkdir(exist_ok=True)
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def tool_file(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- build_registry -----------------------------------------------------------------------


def test_build_registry_without_user_tools_is_the_builtins(tmp_path: Path) -> None:
    registry, problems = build_registry(config(tmp_path, "[tools]\nplugins = false\n"))
    assert problems == []
    assert registry.names() == BUILTINS
    assert registry.enabled_names() == BUILTINS


def test_relative_tool_files_start_from_the_config_dir_and_a_broken_one_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool_file(tmp_path / "conf" / "tools", "loud.py", TOOL_FILE)
    broken = tool_file(tmp_path / "conf", "broken.py", BROKEN_FILE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not where the files are: only the config dir finds them
    settings = config(
        tmp_path,
        '[tools]\nplugins = false\nfiles = ["tools/loud.py", "broken.py", "missing.py"]\n',
    )
    registry, problems = build_registry(settings)
    assert registry.names() == [*BUILTINS, "shout", "whisper"]
    shout = registry.get("shout")
    assert shout is not None
    assert shout.source == f"file:{tmp_path / 'conf' / 'tools' / 'loud.py'}"
    assert len(problems) == 2
    assert str(broken) in problems[0] and "SyntaxError" in problems[0]
    assert str(tmp_path / "conf" / "missing.py") in problems[1] and "no such file" in problems[1]


def test_without_a_config_file_relative_paths_start_from_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool_file(tmp_path / "work", "loud.py", TOOL_FILE)
    monkeypatch.chdir(tmp_path / "work")
    settings = Settings(tools=ToolsSettings(files=("loud.py",), plugins=False))
    assert config_base_dir(settings) == tmp_path / "work"
    registry, problems = build_registry(settings)
    assert problems == [] and "shout" in registry


async def test_the_loaded_tools_run(tmp_path: Path) -> None:
    tool_file(tmp_path / "conf", "loud.py", TOOL_FILE)
    registry, _ = build_registry(
        config(tmp_path, '[tools]\nplugins = false\nfiles = ["loud.py"]\n')
    )
    outcome = await run_tool_call(
        registry, "shout", '{"text": "hey"}', timeout=DEFAULT_TOOL_TIMEOUT
    )
    assert (outcome.content, outcome.is_error) == ("HEY", False)


def test_disabled_applies_to_file_tools_and_builtins(tmp_path: Path) -> None:
    tool_file(tmp_path / "conf", "loud.py", TOOL_FILE)
    settings = config(
        tmp_path,
        '[tools]\nplugins = false\nfiles = ["loud.py"]\n'
        'disabled = ["whisper", "calculate", "no_such_tool"]\n',
    )
    registry, problems = build_registry(settings)
    assert problems == []  # an unknown disabled name is not a problem
    assert "whisper" in registry and not registry.is_enabled("whisper")
    assert "calculate" in registry and not registry.is_enabled("calculate")
    assert registry.is_enabled("shout")
    assert registry.enabled_names() == ["get_current_time", "convert_units", "shout"]


def test_a_file_tool_cannot_shadow_a_builtin(tmp_path: Path) -> None:
    tool_file(
        tmp_path / "conf",
        "clash.py",
        'def calculate(expression: str) -> str:\n    """Not the real one."""\n    return "0"\n',
    )
    registry, problems = build_registry(
        config(tmp_path, '[tools]\nplugins = false\nfiles = ["clash.py"]\n')
    )
    calculate = registry.get("calculate")
    assert calculate is not None and calculate.source == "builtin"
    assert len(problems) == 1 and "calculate" in problems[0]


@pytest.mark.usefixtures("installed_test_plugin")
def test_plugins_load_only_when_enabled(tmp_path: Path) -> None:
    with_plugins, _ = build_registry(config(tmp_path, "[tools]\nplugins = true\n"))
    without, _ = build_registry(config(tmp_path, "[tools]\nplugins = false\n"))
    shout = with_plugins.get("shout")
    assert shout is not None and shout.source == "plugin:shout"
    assert "shout" not in without


def test_output_sink_receives_what_a_tool_prints(tmp_path: Path) -> None:
    tool_file(
        tmp_path / "conf",
        "chatty.py",
        'def chatty() -> str:\n    """Talk."""\n    print("hello there")\n    return "ok"\n',
    )
    seen: list[tuple[str, str]] = []
    registry, _ = build_registry(
        config(tmp_path, '[tools]\nplugins = false\nfiles = ["chatty.py"]\n'),
        sink=lambda name, text: seen.append((name, text)),
    )
    tool = registry.get("chatty")
    assert tool is not None and tool.function() == "ok"
    assert seen == [("chatty", "hello there\n")]


def test_apply_disabled_switches_off_tools_registered_later() -> None:
    registry = default_registry()

    def remote__lookup() -> str:
        """A tool an MCP server registers after start-up."""
        return ""

    registry.register(remote__lookup, source="mcp:remote")
    apply_disabled(registry, ["remote__lookup", "never_registered"])
    assert not registry.is_enabled("remote__lookup")
    assert registry.is_enabled("calculate")


# --- policies -------------------------------------------------------------------------------


def test_policies_default_by_source_and_follow_overrides(tmp_path: Path) -> None:
    tool_file(tmp_path / "conf", "loud.py", TOOL_FILE)
    settings = config(
        tmp_path,
        '[tools]\nplugins = false\nfiles = ["loud.py"]\n\n'
        '[tools.policy]\nwhisper = "run"\nconvert_units = "never"\n',
    )
    registry, _ = build_registry(settings)
    policies = policy_function(registry, settings)
    assert isinstance(policies, ToolPolicies)
    assert policies("calculate") == "run"  # a built-in
    assert policies("shout") == "ask"  # a file tool
    assert policies("whisper") == "run"  # overridden
    assert policies("convert_units") == "never"  # overridden
    assert policies("no_such_tool") == "run"  # the executor reports it as unknown
    assert dict(policies.overrides) == {"whisper": "run", "convert_units": "never"}


# --- MCP servers ----------------------------------------------------------------------------


def test_mcp_server_configs_map_enabled_servers(tmp_path: Path) -> None:
    settings = config(
        tmp_path,
        """
[mcp]
start_timeout = 7

[mcp.servers.fetch]
command = "uvx"
args = ["mcp-server-fetch"]
env = { HTTPS_PROXY = "http://proxy:3128" }
cwd = "servers/fetch"

[mcp.servers.off]
command = "nothing"
enabled = false

[mcp.servers.home]
command = "home-mcp"
cwd = "~/mcp"
start_timeout = 30

[mcp.servers.web]
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer abc" }
""",
    )
    from tuichat.tools.mcp_client import McpServerConfig

    configs = mcp_server_configs(settings)
    assert configs == [
        McpServerConfig(
            name="fetch",
            command="uvx",
            args=("mcp-server-fetch",),
            env={"HTTPS_PROXY": "http://proxy:3128"},
            cwd=str(tmp_path / "conf" / "servers" / "fetch"),
            start_timeout=7.0,
        ),
        McpServerConfig(
            name="home",
            command="home-mcp",
            cwd=str(Path.home() / "mcp"),
            start_timeout=30.0,
        ),
        McpServerConfig(
            name="web",
            url="https://mcp.example.com/mcp",
            headers={"Authorization": "Bearer abc"},
            start_timeout=7.0,
        ),
    ]
    assert [config.transport for config in configs] == ["stdio", "stdio", "http"]
    assert configs[1].env is None and configs[2].cwd is None  # unset, not empty


def test_no_mcp_servers_gives_no_configs() -> None:
    assert mcp_server_configs(Settings()) == []
