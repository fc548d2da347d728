"""The `[tools]`, `[tools.policy]` and `[mcp]` config keys: reading, precise errors, redaction
in `config show`, and the private file mode for secrets."""

from __future__ import annotations

import dataclasses
import stat
import tomllib
from pathlib import Path

import pytest

from tuichat.cli import main
from tuichat.config.document import redact_env, settings_document
from tuichat.config.load import load_settings, parse_settings
from tuichat.config.settings import (
    DEFAULT_MCP_START_TIMEOUT,
    ConfigError,
    McpServerSettings,
    McpSettings,
    Settings,
    ToolsSettings,
)
from tuichat.config.write import holds_api_key, save_settings_changes
from tuichat.core.tooling import DEFAULT_RESULT_LIMIT

EXAMPLE = Path(__file__).parents[2] / "src" / "tuichat" / "config" / "example.toml"
SECRET = "sk-live-0123456789abcdef"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading --------------------------------------------------------------------------------


def test_defaults_without_the_new_tables(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'theme = "nord"\n'))
    assert settings.tools == ToolsSettings()
    assert settings.tools.files == () and settings.tools.plugins is True
    assert settings.tools.result_limit == DEFAULT_RESULT_LIMIT
    assert dict(settings.tools.policy) == {}
    assert settings.mcp == McpSettings(start_timeout=DEFAULT_MCP_START_TIMEOUT, servers=())


def test_every_tools_key_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[tools]
disabled = ["calculate", "shout"]
files = ["~/tools.py", "local/more.py"]
plugins = false
result_limit = 0

[tools.policy]
calculate = "ask"
fetch__fetch = "run"
"shell__rm" = "never"
""",
    )
    settings = load_settings(path)
    assert settings.tools == ToolsSettings(
        disabled=("calculate", "shout"),
        files=("~/tools.py", "local/more.py"),  # kept as written: resolved when loading
        plugins=False,
        result_limit=0,
        policy={"calculate": "ask", "fetch__fetch": "run", "shell__rm": "never"},
    )
    assert settings.warnings == ()
    with pytest.raises(TypeError):
        settings.tools.policy["x"] = "run"  # type: ignore[index]


def test_every_mcp_key_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[mcp]
start_timeout = 4

[mcp.servers.fetch]
command = "uvx"
args = ["mcp-server-fetch", "--ignore-robots-txt"]
env = { HTTPS_PROXY = "http://proxy:3128", API_TOKEN = "t" }
cwd = "servers"
start_timeout = 30

[mcp.servers.notes-2]
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer abc" }
enabled = false
""",
    )
    settings = load_settings(path)
    assert settings.warnings == ()
    assert settings.mcp.start_timeout == 4.0 and isinstance(settings.mcp.start_timeout, float)
    fetch, notes = settings.mcp.servers
    assert fetch == McpServerSettings(
        name="fetch",
        command="uvx",
        args=("mcp-server-fetch", "--ignore-robots-txt"),
        env={"HTTPS_PROXY": "http://proxy:3128", "API_TOKEN": "t"},
        cwd="servers",
        start_timeout=30.0,
    )
    assert fetch.enabled is True and fetch.url is None and dict(fetch.headers) == {}
    assert notes == McpServerSettings(
        name="notes-2",
        url="https://mcp.example.com/mcp",
        headers={"Authorization": "Bearer abc"},
        enabled=False,
    )
    assert notes.command is None and notes.start_timeout is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        fetch.command = "x"  # type: ignore[misc]


def test_unknown_keys_in_the_new_tables_are_warnings_with_suggestions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[tools]
file = ["a.py"]

[mcp]
start_timout = 3

[mcp.servers.x]
command = "run-x"
arg = ["--fast"]
""",
    )
    settings = load_settings(path)
    first, second, third = settings.warnings
    assert f"{path}, line 2" in first and "tools.file " in first and "'files'" in first
    assert "line 5" in second and "mcp.start_timout" in second and "'start_timeout'" in second
    assert "line 9" in third and "mcp.servers.x.arg " in third and "'args'" in third
    assert settings.tools.files == () and settings.mcp.servers[0].args == ()


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ('[tools]\nfiles = "a.py"\n', 2, "tools.files", "list of strings"),
        ('[tools]\nfiles = ["a.py", " "]\n', 2, "tools.files", "empty entry (number 2)"),
        ("[tools]\nplugins = 1\n", 2, "tools.plugins", "true or false"),
        ("[tools]\nresult_limit = -1\n", 2, "tools.result_limit", "at least 0"),
        ("[tools]\nresult_limit = 1.5\n", 2, "tools.result_limit", "whole number"),
        ("[tools]\npolicy = 3\n", 2, "tools.policy", "must be a table"),
        (
            '[tools.policy]\ncalculate = "ask"\nfetch__fetch = "allow"\n',
            3,
            "tools.policy.fetch__fetch",
            '"run", "ask", "never"',
        ),
        ('[tools.policy]\ncalculate = "Ask"\n', 2, "tools.policy.calculate", "did you mean 'ask'"),
        ("[tools.policy]\ncalculate = true\n", 2, "tools.policy.calculate", "(true/false)"),
        ("[mcp]\nstart_timeout = 0\n", 2, "mcp.start_timeout", "more than 0"),
        ("[mcp]\nservers = []\n", 2, "mcp.servers", "must be a table"),
        ("[mcp.servers]\nfetch = 1\n", 2, "mcp.servers.fetch", "must be a table"),
        (
            "[mcp.servers.fetch]\nenabled = true\n",
            1,
            "mcp.servers.fetch",
            "neither command nor url",
        ),
        (
            '[mcp.servers.fetch]\ncommand = "uvx"\nurl = "http://h/mcp"\n',
            1,
            "mcp.servers.fetch",
            "both command and url",
        ),
        ('[mcp.servers."my server"]\ncommand = "x"\n', 1, 'mcp.servers."my server"', "'-'"),
        ('[mcp.servers.a__b]\ncommand = "x"\n', 1, "mcp.servers.a__b", "SERVER__TOOL"),
        (f'[mcp.servers.{"n" * 41}]\ncommand = "x"\n', 1, f"mcp.servers.{'n' * 41}", "up to 40"),
        ("[mcp.servers.fetch]\ncommand = 3\n", 2, "mcp.servers.fetch.command", "text"),
        ('[mcp.servers.fetch]\ncommand = ""\n', 2, "mcp.servers.fetch.command", "is empty"),
        (
            '[mcp.servers.fetch]\ncommand = "uvx"\nargs = "mcp-server-fetch"\n',
            3,
            "mcp.servers.fetch.args",
            "list of strings",
        ),
        (
            '[mcp.servers.fetch]\ncommand = "uvx"\nenv = { A = 1 }\n',
            3,
            "mcp.servers.fetch.env.A",
            "text",
        ),
        ('[mcp.servers.fetch]\ncommand = "uvx"\ncwd = ""\n', 3, "mcp.servers.fetch.cwd", "empty"),
        (
            '[mcp.servers.fetch]\ncommand = "uvx"\nheaders = { A = "b" }\n',
            3,
            "mcp.servers.fetch.headers",
            "does not apply to a server with command",
        ),
        (
            '[mcp.servers.web]\nurl = "http://h/mcp"\nargs = ["x"]\n',
            3,
            "mcp.servers.web.args",
            "does not apply to a server with url",
        ),
        ('[mcp.servers.web]\nurl = "localhost:8000"\n', 2, "mcp.servers.web.url", "http://"),
        (
            '[mcp.servers.web]\nurl = "http://h/mcp"\nheaders = { A = 2 }\n',
            3,
            "mcp.servers.web.headers.A",
            "text",
        ),
        (
            '[mcp.servers.web]\nurl = "http://h/mcp"\nstart_timeout = -2\n',
            3,
            "mcp.servers.web.start_timeout",
            "more than 0",
        ),
        (
            '[mcp.servers.web]\nurl = "http://h/mcp"\nenabled = "no"\n',
            3,
            "mcp.servers.web.enabled",
            "true or false",
        ),
    ],
)
def test_a_wrong_value_names_file_line_and_key_and_the_fix(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    error = caught.value
    assert (error.path, error.line, error.key) == (path, line, key)
    message = str(error)
    assert message.startswith(f"{path}, line {line}: {key} ")
    assert words in message
    assert "Fix:" in message


def test_the_config_defaults_are_the_only_timeouts() -> None:
    """The tools have no timeouts of their own: whatever the config says (or its defaults) is
    what they use, so the two can never drift apart."""
    import inspect

    from tuichat.tools.executor import run_tool_call
    from tuichat.tools.mcp_client import McpManager

    for function, names in [
        (run_tool_call, ["timeout"]),
        (McpManager.__init__, ["start_timeout", "call_timeout"]),
    ]:
        parameters = inspect.signature(function).parameters
        for name in names:
            assert parameters[name].default is inspect.Parameter.empty, (function, name)


def test_the_server_name_rule_matches_mcp_client() -> None:
    """The config and McpServerConfig check names by one rule (`tuichat.core.tooling`)."""
    from tuichat.tools.mcp_client import McpServerConfig

    for name in [
        "fetch",
        "a-b",
        "a_b",
        "A1",
        "x" * 40,
        "a__b",
        "_a",
        "a_",
        "a b",
        "a.b",
        "",
        "x" * 41,
    ]:
        try:
            McpServerConfig(name=name, command="x")
            client_accepts = True
        except ValueError:
            client_accepts = False
        try:
            parse_settings(f'[mcp.servers."{name}"]\ncommand = "x"\n')
            config_accepts = True
        except ConfigError:
            config_accepts = False
        assert config_accepts == client_accepts, name


def test_the_example_documents_and_parses_the_new_keys() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    settings = load_settings(EXAMPLE)
    assert settings.warnings == ()
    assert settings.tools == ToolsSettings() and settings.mcp == McpSettings()
    for cls in (ToolsSettings, McpSettings, McpServerSettings):
        for field in dataclasses.fields(cls):
            if field.name != "name":
                written = (f"{field.name} = ", f"  {field.name}  ", f"[mcp.{field.name}.")
                assert any(form in text for form in written), field.name
    assert "[tools.policy]" in text and "[mcp]" in text
    # The commented MCP and policy examples, uncommented, are a valid config too.
    example_lines = (
        "# [mcp.servers.",
        *(f"# {key} = " for key in ("command", "args", "env", "cwd", "url", "headers")),
        *(f"# {key} = " for key in ("start_timeout", "enabled")),
        *(f"# {tool} = " for tool in ("calculate", "fetch__fetch", "shell__run_command")),
    )
    uncommented = "\n".join(
        line.removeprefix("# ") if line.startswith(example_lines) else line
        for line in text.splitlines()
    )
    parsed = parse_settings(uncommented)
    assert parsed.warnings == ()
    fetch, notes = parsed.mcp.servers
    assert (fetch.command, fetch.args) == ("uvx", ("mcp-server-fetch",))
    assert notes.url is not None and "Authorization" in notes.headers
    assert dict(parsed.tools.policy) == {
        "calculate": "ask",
        "fetch__fetch": "run",
        "shell__run_command": "never",
    }


# --- showing --------------------------------------------------------------------------------


def test_settings_document_includes_the_new_keys_and_redacts_mcp_secrets() -> None:
    settings = Settings(
        tools=ToolsSettings(
            disabled=("calculate",),
            files=("t.py",),
            plugins=False,
            result_limit=500,
            policy={"calculate": "ask"},
        ),
        mcp=McpSettings(
            start_timeout=3.0,
            servers=(
                McpServerSettings(
                    name="fetch",
                    command="uvx",
                    args=("mcp-server-fetch",),
                    env={"GITHUB_TOKEN": SECRET, "my_api_key": SECRET, "LOG_LEVEL": "debug"},
                    cwd="/srv",
                ),
                McpServerSettings(
                    name="web",
                    url="http://h/mcp",
                    headers={"Authorization": f"Bearer {SECRET}", "X-Team": "r"},
                    start_timeout=9.0,
                    enabled=False,
                ),
            ),
        ),
    )
    document = settings_document(settings)
    assert document["tools"] == {
        "disabled": ["calculate"],
        "files": ["t.py"],
        "plugins": False,
        "result_limit": 500,
        "policy": {"calculate": "ask"},
    }
    assert document["mcp"] == {
        "start_timeout": 3.0,
        "servers": {
            "fetch": {
                "command": "uvx",
                "args": ["mcp-server-fetch"],
                "env": {
                    "GITHUB_TOKEN": "[redacted]",
                    "my_api_key": "[redacted]",
                    "LOG_LEVEL": "debug",
                },
                "cwd": "/srv",
                "enabled": True,
            },
            "web": {
                "url": "http://h/mcp",
                "headers": {"Authorization": "Bearer [redacted]", "X-Team": "r"},
                "start_timeout": 9.0,
                "enabled": False,
            },
        },
    }
    plain = settings_document(settings, redact=False)["mcp"]["servers"]
    assert plain["fetch"]["env"]["GITHUB_TOKEN"] == SECRET
    assert plain["web"]["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_redact_env_matches_secret_looking_names_in_any_case() -> None:
    env = {
        "OPENAI_API_KEY": "a",
        "Token": "b",
        "db_password": "c",
        "CLIENT_SECRET": "d",
        "X_AUTH": "e",
        "PATH": "/bin",
        "HOME": "/h",
    }
    assert redact_env(env) == {
        "OPENAI_API_KEY": "[redacted]",
        "Token": "[redacted]",
        "db_password": "[redacted]",
        "CLIENT_SECRET": "[redacted]",
        "X_AUTH": "[redacted]",
        "PATH": "/bin",
        "HOME": "/h",
    }


def test_config_show_redacts_mcp_headers_and_env(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_dirs / "config" / "tuichat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f"""
[tools]
files = ["tools.py"]

[tools.policy]
fetch__fetch = "run"

[mcp.servers.gh]
command = "gh-mcp"
env = {{ GITHUB_PERSONAL_ACCESS_TOKEN = "{SECRET}", GH_HOST = "github.com" }}

[mcp.servers.web]
url = "https://mcp.example.com/mcp"
headers = {{ Authorization = "Bearer {SECRET}", "X-Api-Key" = "{SECRET}" }}
""",
        encoding="utf-8",
    )
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out
    shown = tomllib.loads(out)
    assert shown["tools"]["files"] == ["tools.py"]
    assert shown["tools"]["policy"] == {"fetch__fetch": "run"}
    servers = shown["mcp"]["servers"]
    assert servers["gh"]["env"] == {
        "GITHUB_PERSONAL_ACCESS_TOKEN": "[redacted]",
        "GH_HOST": "github.com",
    }
    assert servers["web"]["headers"] == {
        "Authorization": "Bearer [redacted]",
        "X-Api-Key": "[redacted]",
    }


# --- the file mode ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "private"),
    [
        ({"mcp": {"servers": {"gh": {"command": "x", "env": {"GH_TOKEN": "t"}}}}}, True),
        ({"mcp": {"servers": {"gh": {"command": "x", "env": {"GH_HOST": "h"}}}}}, False),
        ({"mcp": {"servers": {"gh": {"command": "x", "env": {"GH_TOKEN": ""}}}}}, False),
        ({"mcp": {"servers": {"w": {"url": "u", "headers": {"Authorization": "B x"}}}}}, True),
        ({"mcp": {"servers": {"w": {"url": "u", "headers": {"X-Team": "r"}}}}}, False),
        ({"profiles": {"p": {"headers": {"X-Api-Key": "k"}}}}, True),
        ({"profiles": {"p": {"api_key": "sk-x"}}}, True),
        ({"tools": {"policy": {"token_tool": "run"}}}, False),  # a name, not a secret
        ({}, False),
    ],
)
def test_holds_api_key_counts_mcp_secrets(document: dict[str, object], private: bool) -> None:
    assert holds_api_key(document) is private


def test_saving_a_server_with_a_token_makes_the_file_private(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "nord"\n')
    path.chmod(0o644)
    save_settings_changes(path, {"mcp": {"servers": {"gh": {"command": "gh-mcp"}}}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    saved = save_settings_changes(path, {"mcp": {"servers": {"gh": {"env": {"GH_TOKEN": SECRET}}}}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dict(saved.mcp.servers[0].env) == {"GH_TOKEN": SECRET}
