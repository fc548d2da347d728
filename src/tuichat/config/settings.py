"""The config file: TOML read with `tomllib`, checked into frozen dataclasses, and changes
written back with `tomli-w` (atomically, every other key kept, comments lost).

Unknown keys are not errors: they are kept in the file (a newer tuichat may use them) and
reported in `Settings.warnings`, with a suggestion when they look like a typo.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import tomli_w

from tuichat.config.atomic import atomic_write_text
from tuichat.config.paths import default_db_path
from tuichat.config.profiles import PRESETS, ProfileSettings
from tuichat.core.redact import REDACTED, redact_headers
from tuichat.core.tooling import DEFAULT_RESULT_LIMIT, TOOL_POLICIES

DEFAULT_THEME = "tuichat-dark"
"""The theme when the file names none."""

FALLBACK_THEME = "textual-dark"
"""Textual's own default, used when the bundled themes could not be loaded."""

DEFAULT_MAX_TOOL_ROUNDS = 8
DEFAULT_TOOL_TIMEOUT = 30.0

DEFAULT_MCP_START_TIMEOUT = 15.0
"""Seconds an MCP server may take to start and list its tools. The same value as
`tuichat.tools.mcp_client.DEFAULT_START_TIMEOUT`, repeated here because importing that module
loads the whole `mcp` SDK (a test keeps the two equal)."""

MCP_SERVER_NAME = re.compile(r"^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$")
"""What an MCP server name may be: letters, digits, `-` and single `_` (a double `__`
separates the server from the tool in `server__tool`). Mirrors `McpServerConfig`'s rule, which
also caps the length at `MCP_SERVER_NAME_MAX`; a test keeps the two in step."""

MCP_SERVER_NAME_MAX = 40
"""The longest MCP server name, in characters (leaves room for the tool in 64)."""

_SECRET_ENV = re.compile(r"key|token|secret|password|auth", re.IGNORECASE)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ConfigError(Exception):
    """The config file cannot be used. The message names the file, the line and the key, and
    says how to fix it; the attributes carry the same for callers that want them."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.key = key


class UnknownProfileError(ConfigError):
    """`--profile NAME` names neither a preset nor a profile of the config file."""


@dataclass(frozen=True, slots=True)
class Price:
    """What a model costs, in US dollars per million tokens (`[prices."MODEL"]`)."""

    input: float
    """Dollars per million prompt (input) tokens."""

    output: float
    """Dollars per million completion (output) tokens."""

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The cost in dollars of a request with these token counts."""
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


@dataclass(frozen=True, slots=True)
class ToolsSettings:
    """The `[tools]` table."""

    disabled: tuple[str, ...] = ()
    """Names of tools the model is not offered, e.g. `["calculate"]`: built-ins, and tools
    from plugins and tool files too."""

    files: tuple[str, ...] = ()
    """Python files whose functions become tools, as written in the file: `~` is expanded and
    a relative path is relative to the config file's directory when the tools are loaded
    (`tuichat.tools.setup.build_registry`)."""

    plugins: bool = True
    """Load the tools installed packages offer in the `tuichat.tools` entry-point group."""

    result_limit: int = DEFAULT_RESULT_LIMIT
    """The most characters of a tool result sent to the model (the UI shows it all); 0 means
    no limit."""

    policy: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Per-tool policies, tool name -> `run`, `ask` or `never` (`[tools.policy]`); MCP tools
    are named `server__tool`. Unlisted tools: built-ins run, all others ask."""


@dataclass(frozen=True, slots=True)
class McpServerSettings:
    """One `[mcp.servers.NAME]` table: a command tuichat starts (stdio) or a URL it connects
    to (Streamable HTTP). Exactly one of `command` and `url` is set."""

    name: str
    """The server's name, the prefix of its tools' names (`name__tool`)."""

    command: str | None = None
    """The executable of a stdio server, e.g. `uvx`."""

    args: tuple[str, ...] = ()
    """The command's arguments, e.g. `["mcp-server-fetch"]`."""

    env: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Extra environment variables for the command (values are literal, not expanded)."""

    cwd: str | None = None
    """The command's working directory, as written (`~` and relative paths are resolved
    against the config file's directory by `tuichat.tools.setup.mcp_server_configs`)."""

    url: str | None = None
    """The endpoint of a Streamable HTTP server, e.g. `http://localhost:8000/mcp`."""

    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """HTTP headers sent with every request to `url` (e.g. `Authorization`), literal values."""

    start_timeout: float | None = None
    """Seconds this server may take to start and list its tools; None: `[mcp] start_timeout`."""

    enabled: bool = True
    """False keeps the table but does not start the server."""


@dataclass(frozen=True, slots=True)
class McpSettings:
    """The `[mcp]` table."""

    start_timeout: float = DEFAULT_MCP_START_TIMEOUT
    """Seconds an MCP server may take to start and list its tools, unless its table says."""

    servers: tuple[McpServerSettings, ...] = ()
    """The `[mcp.servers.NAME]` tables, in file order, enabled or not."""


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """The `[history]` table."""

    save_raw_chunks: bool = True
    """Keep every raw stream chunk in the history database (the inspector can replay them).
    Turn off to keep the database small."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the config file can set. Build with `load_settings()`; `Settings()` is the
    defaults (no file)."""

    theme: str | None = None
    """The theme's name: a bundled one (`tuichat-dark`, `tuichat-light`, `high-contrast`,
    `solarized-dark`, `solarized-light`, `nord`, `gruvbox-light`), one of Textual's, or one of
    yours in `<config dir>/themes/`. None means `tuichat-dark`; see `check_theme()`."""

    profile: str | None = None
    """The profile used when `--profile` is not given. None: `openai` when a key or base URL
    is set, else the offline demo model."""

    profiles: Mapping[str, ProfileSettings] = field(default_factory=lambda: PRESETS)
    """Every profile by name: the presets, with the file's `[profiles.NAME]` tables merged
    over them field by field (and new names added)."""

    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS
    """How many rounds of tool calls one prompt may trigger before tuichat stops asking."""

    tool_timeout: float = DEFAULT_TOOL_TIMEOUT
    """Seconds a tool may run before it is abandoned (its result then says so)."""

    tools: ToolsSettings = field(default_factory=ToolsSettings)
    """The `[tools]` table."""

    keys: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Key binding overrides, action -> keys (comma-separated), e.g.
    `toggle_inspector = "f6"`; given to Textual's `App.set_keymap`."""

    prices: Mapping[str, Price] = field(default_factory=lambda: _EMPTY)
    """Prices by model id, used to show what a conversation cost."""

    history: HistorySettings = field(default_factory=HistorySettings)
    """The `[history]` table."""

    mcp: McpSettings = field(default_factory=McpSettings)
    """The `[mcp]` table: MCP servers whose tools the model may call."""

    db_path: Path | None = None
    """The history database. `~` is expanded; a relative path is relative to the config
    file's directory. None: `<data dir>/history.sqlite3` (`--db` wins)."""

    path: Path | None = field(default=None, compare=False)
    """The file these settings were read from (None: no file, all defaults)."""

    warnings: tuple[str, ...] = field(default=(), compare=False)
    """Unknown keys found in the file (kept there, otherwise ignored), one message each."""

    def database_path(self) -> Path:
        """`db_path`, or the default in the data dir."""
        return self.db_path or default_db_path()

    def price_for(self, model: str) -> Price | None:
        """The price of `model`, if the file gives one."""
        return self.prices.get(model)


# --- reading -------------------------------------------------------------------------------


def load_settings(path: Path | None = None, *, required: bool = False) -> Settings:
    """Read and check the config file.

    Args:
        path: the file (`paths.config_file(args.config)`). None: defaults, no file.
        required: a missing file is an error (for an explicit `--config PATH`); otherwise a
            missing file means the defaults.

    Returns:
        The settings; `warnings` lists unknown keys.

    Raises:
        ConfigError: unreadable file, invalid TOML or a wrong value. Nothing is written.
    """
    if path is None:
        return Settings()
    text = _read_text(path, required=required)
    if text is None:
        return Settings(path=path)
    return _Checker(path, text).settings(_parse_toml(path, text))


def parse_settings(text: str, path: Path | None = None) -> Settings:
    """Check TOML text as a config file (`path` is only named in messages)."""
    where = path or Path("config.toml")
    return _Checker(where, text).settings(_parse_toml(where, text))


def _read_text(path: Path, *, required: bool) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"{path}: no such config file. Create it (tuichat config example > {path}) "
                "or leave out --config to use the default location.",
                path=path,
            ) from None
        return None
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read the config file ({error.strerror or error}). "
            "Check that it is a file you may read.",
            path=path,
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: the file is not UTF-8 text. Save it as UTF-8.",
            path=path,
            line=line,
        ) from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message).rstrip(".") if found else message
        if found is None:
            raise ConfigError(
                f"{path}: not valid TOML: {reason}. Check the end of the file "
                "(an unclosed string, bracket or table?).",
                path=path,
            ) from None
        line, column = int(found.group(1)), int(found.group(2))
        key_path = key_at_line(text, line)
        key = format_key(key_path) if key_path else None
        lines = text.splitlines()
        shown = lines[line - 1] if 0 < line <= len(lines) else ""
        raise ConfigError(
            f"{path}, line {line}, column {column}"
            + (f" (key {key})" if key else "")
            + f": not valid TOML: {reason}.\n"
            + f"    {line} | {shown}\n"
            + "Fix: each setting is `key = value` on its own line, text in double quotes "
            + '(theme = "nord"), true/false and numbers without; a table is [name] on its own '
            + "line. `tuichat config example` shows every setting.",
            path=path,
            line=line,
            key=key,
        ) from None


# --- checking --------------------------------------------------------------------------------

# Example values for fix hints, by key name.
_EXAMPLES: dict[str, str] = {
    "theme": '"nord"',
    "profile": '"ollama"',
    "max_tool_rounds": "8",
    "tool_timeout": "30",
    "db_path": '"~/chats/history.sqlite3"',
    "base_url": '"http://localhost:11434/v1"',
    "api_key": '"sk-..."',
    "api_key_env": '"GROQ_API_KEY"',
    "model": '"llama3.2"',
    "include_usage": "true",
    "system_prompt": '"You are concise."',
    "stream": "true",
    "timeout": "120",
    "max_retries": "2",
    "disabled": '["calculate"]',
    "files": '["~/tuichat/tools.py"]',
    "plugins": "true",
    "result_limit": "20000",
    "start_timeout": "15",
    "command": '"uvx"',
    "args": '["mcp-server-fetch"]',
    "cwd": '"~/mcp"',
    "url": '"http://localhost:8000/mcp"',
    "enabled": "true",
    "save_raw_chunks": "true",
    "input": "0.15",
    "output": "0.60",
}

_KIND_WORDS = {
    "str": "text in double quotes",
    "bool": "true or false (no quotes)",
    "int": "a whole number (no quotes)",
    "float": "a number (no quotes)",
    "str_list": "a list of strings",
    "table": "a table",
}

_TOP_KEYS = (
    "theme",
    "profile",
    "profiles",
    "max_tool_rounds",
    "tool_timeout",
    "tools",
    "keys",
    "prices",
    "history",
    "mcp",
    "db_path",
)
_TOOLS_KEYS = ("disabled", "files", "plugins", "result_limit", "policy")
_MCP_KEYS = ("start_timeout", "servers")
_MCP_SERVER_KEYS = (
    "command",
    "args",
    "env",
    "cwd",
    "url",
    "headers",
    "start_timeout",
    "enabled",
)
# Keys that only make sense for one transport: a stdio server has no URL to send headers to,
# and an HTTP server is not a process with arguments, environment or working directory.
_STDIO_ONLY = ("args", "env", "cwd")
_HTTP_ONLY = ("headers",)
_PROFILE_KEYS = (
    "base_url",
    "api_key",
    "api_key_env",
    "model",
    "headers",
    "params",
    "include_usage",
    "system_prompt",
    "stream",
    "timeout",
    "max_retries",
)


class _Checker:
    """Checks a parsed document, naming the file, line and key of the first problem."""

    def __init__(self, path: Path, text: str | None) -> None:
        self.path = path
        self.text = text
        self.warnings: list[tuple[int, str]] = []  # (line, message), shown in file order

    def settings(self, doc: Mapping[str, Any]) -> Settings:
        self._unknown(doc, (), _TOP_KEYS)
        profiles = dict(PRESETS)
        for name, table in self._table(doc, (), "profiles").items():
            profiles[name] = self._profile(name, table).merged_over(
                PRESETS.get(name, ProfileSettings(name))
            )
        profile = self._take(doc, (), "profile", "str")
        if profile is not None and profile not in profiles:
            self.fail(
                ("profile",),
                f"= {profile!r} names no profile",
                f"use one of {', '.join(sorted(profiles))}, or define it as a "
                f"[profiles.{format_key((profile,))}] table",
            )
        theme = self._take(doc, (), "theme", "str")
        history = self._table(doc, (), "history")
        self._unknown(history, ("history",), ("save_raw_chunks",))
        save_raw = self._take(history, ("history",), "save_raw_chunks", "bool")
        return Settings(
            theme=theme,
            profile=profile,
            profiles=MappingProxyType(profiles),
            max_tool_rounds=self._number(
                doc, (), "max_tool_rounds", "int", DEFAULT_MAX_TOOL_ROUNDS, 1
            ),
            tool_timeout=self._number(
                doc, (), "tool_timeout", "float", DEFAULT_TOOL_TIMEOUT, 0, True
            ),
            tools=self._tools(doc),
            keys=MappingProxyType(self._strings(doc, (), "keys", non_empty=True)),
            prices=MappingProxyType(self._prices(doc)),
            history=HistorySettings(save_raw_chunks=True if save_raw is None else save_raw),
            mcp=self._mcp(doc),
            db_path=self._db_path(doc),
            path=self.path,
            warnings=tuple(message for _, message in sorted(self.warnings, key=lambda w: w[0])),
        )

    def _profile(self, name: str, table: Mapping[str, Any]) -> ProfileSettings:
        at = ("profiles", name)
        if not isinstance(table, Mapping):
            self.fail(
                at,
                f"must be a table, not {_describe(table)}",
                f"write it as [profiles.{format_key((name,))}] on its own line, with "
                "base_url = ..., model = ... below",
            )
        self._unknown(table, at, _PROFILE_KEYS)
        base_url = self._take(table, at, "base_url", "str")
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            self.fail(
                (*at, "base_url"),
                f"{base_url!r} is not an http:// or https:// URL",
                f"write the full URL, e.g. base_url = {_EXAMPLES['base_url']}",
            )
        for key in ("model", "api_key_env"):
            if table.get(key) == "":
                self.fail(
                    (*at, key),
                    "is empty",
                    f"remove the line or write e.g. {key} = {_EXAMPLES[key]}",
                )
        timeout = table.get("timeout")
        max_retries = table.get("max_retries")
        return ProfileSettings(
            name=name,
            base_url=base_url,
            api_key=self._take(table, at, "api_key", "str"),
            api_key_env=self._take(table, at, "api_key_env", "str"),
            model=self._take(table, at, "model", "str"),
            headers=MappingProxyType(self._strings(table, at, "headers")),
            params=MappingProxyType(dict(self._table(table, at, "params"))),
            include_usage=self._take(table, at, "include_usage", "bool"),
            system_prompt=self._take(table, at, "system_prompt", "str"),
            stream=self._take(table, at, "stream", "bool"),
            timeout=None
            if timeout is None
            else self._number(table, at, "timeout", "float", 0, 0, True),
            max_retries=None
            if max_retries is None
            else self._number(table, at, "max_retries", "int", 0, 0),
        )

    def _tools(self, doc: Mapping[str, Any]) -> ToolsSettings:
        at = ("tools",)
        tools = self._table(doc, (), "tools")
        self._unknown(tools, at, _TOOLS_KEYS)
        files = self._take(tools, at, "files", "str_list") or []
        for index, file in enumerate(files):
            if not file.strip():
                self.fail(
                    (*at, "files"),
                    f"has an empty entry (number {index + 1})",
                    f"remove it, or name a Python file, e.g. files = {_EXAMPLES['files']}",
                )
        plugins = self._take(tools, at, "plugins", "bool")
        return ToolsSettings(
            disabled=tuple(self._take(tools, at, "disabled", "str_list") or ()),
            files=tuple(files),
            plugins=True if plugins is None else plugins,
            result_limit=self._number(tools, at, "result_limit", "int", DEFAULT_RESULT_LIMIT, 0),
            policy=MappingProxyType(self._policies(tools)),
        )

    def _policies(self, tools: Mapping[str, Any]) -> dict[str, str]:
        at = ("tools", "policy")
        allowed = ", ".join(f'"{policy}"' for policy in TOOL_POLICIES)
        policies = self._table(tools, ("tools",), "policy")
        for name, value in policies.items():
            if value not in TOOL_POLICIES:
                # A bare `run` (no quotes) is a TOML error caught earlier; here it is a
                # misspelling or a non-string value.
                close = (
                    difflib.get_close_matches(value, TOOL_POLICIES, n=1)
                    if isinstance(value, str)
                    else []
                )
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                suggested = close[0] if close else "ask"
                self.fail(
                    (*at, name),
                    f"must be one of {allowed}, not {_describe(value)}{hint}",
                    f'write it as {format_key((name,))} = "{suggested}" (run: call without '
                    "asking; ask: you approve each call; never: refuse the call)",
                )
        return dict(policies)

    def _mcp(self, doc: Mapping[str, Any]) -> McpSettings:
        at = ("mcp",)
        mcp = self._table(doc, (), "mcp")
        self._unknown(mcp, at, _MCP_KEYS)
        start_timeout = self._number(
            mcp, at, "start_timeout", "float", DEFAULT_MCP_START_TIMEOUT, 0, True
        )
        servers = tuple(
            self._mcp_server(name, table) for name, table in self._table(mcp, at, "servers").items()
        )
        return McpSettings(start_timeout=start_timeout, servers=servers)

    def _mcp_server(self, name: str, table: Any) -> McpServerSettings:
        at = ("mcp", "servers", name)
        header = f"[mcp.servers.{format_key((name,))}]"
        if not isinstance(table, Mapping):
            self.fail(
                at,
                f"must be a table, not {_describe(table)}",
                f"write it as {header} on its own line, with command = {_EXAMPLES['command']} "
                f"or url = {_EXAMPLES['url']} below",
            )
        if not MCP_SERVER_NAME.match(name) or len(name) > MCP_SERVER_NAME_MAX:
            self.fail(
                at,
                f"is not a usable server name ({name!r})",
                f"name it with up to {MCP_SERVER_NAME_MAX} letters, digits, '-' and single '_' "
                "(no spaces, dots or '__': tools are named SERVER__TOOL), e.g. "
                "[mcp.servers.fetch]",
            )
        self._unknown(table, at, _MCP_SERVER_KEYS)
        command = self._take(table, at, "command", "str")
        url = self._take(table, at, "url", "str")
        if command is None and url is None:
            self.fail(
                at,
                "has neither command nor url",
                f"add command = {_EXAMPLES['command']} (with args = {_EXAMPLES['args']}) for a "
                f"server tuichat starts, or url = {_EXAMPLES['url']} for one already running",
            )
        if command is not None and url is not None:
            self.fail(
                at,
                "has both command and url",
                "keep command (a server tuichat starts and talks to over stdio) or url (a "
                "Streamable HTTP server already running), not both",
            )
        for key in ("command", "url", "cwd"):
            if isinstance(table.get(key), str) and not table[key].strip():
                self.fail(
                    (*at, key),
                    "is empty",
                    f"remove the line or write e.g. {key} = {_EXAMPLES[key]}",
                )
        if url is not None and not url.startswith(("http://", "https://")):
            self.fail(
                (*at, "url"),
                f"{url!r} is not an http:// or https:// URL",
                f"write the full URL, e.g. url = {_EXAMPLES['url']}",
            )
        given, wrong = ("command", _HTTP_ONLY) if command is not None else ("url", _STDIO_ONLY)
        for key in wrong:
            if key in table:
                self.fail(
                    (*at, key),
                    f"does not apply to a server with {given}",
                    "remove it: args, env and cwd go with command; headers go with url",
                )
        enabled = self._take(table, at, "enabled", "bool")
        start_timeout = table.get("start_timeout")
        return McpServerSettings(
            name=name,
            command=command,
            args=tuple(self._take(table, at, "args", "str_list") or ()),
            env=MappingProxyType(self._strings(table, at, "env")),
            cwd=self._take(table, at, "cwd", "str"),
            url=url,
            headers=MappingProxyType(self._strings(table, at, "headers")),
            start_timeout=None
            if start_timeout is None
            else self._number(table, at, "start_timeout", "float", 0, 0, True),
            enabled=True if enabled is None else enabled,
        )

    def _prices(self, doc: Mapping[str, Any]) -> dict[str, Price]:
        prices: dict[str, Price] = {}
        for model, table in self._table(doc, (), "prices").items():
            at = ("prices", model)
            if not isinstance(table, Mapping):
                self.fail(
                    at,
                    f"must be a table, not {_describe(table)}",
                    f"write [prices.{format_key((model,))}] with input = 0.15 and output = 0.60 "
                    "below "
                    "(dollars per million tokens)",
                )
            self._unknown(table, at, ("input", "output"))
            for key in ("input", "output"):
                if key not in table:
                    self.fail(
                        at,
                        f"has no {key!r} price",
                        f"add {key} = {_EXAMPLES[key]} (dollars per million tokens)",
                    )
            prices[model] = Price(
                input=self._number(table, at, "input", "float", 0.0, 0),
                output=self._number(table, at, "output", "float", 0.0, 0),
            )
        return prices

    def _db_path(self, doc: Mapping[str, Any]) -> Path | None:
        value = self._take(doc, (), "db_path", "str")
        if value is None:
            return None
        if not value.strip():
            self.fail(
                ("db_path",),
                "is empty",
                f"remove the line or write e.g. db_path = {_EXAMPLES['db_path']}",
            )
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.path.parent / path

    # Typed access ---------------------------------------------------------------------------

    def _take(self, table: Mapping[str, Any], at: tuple[str, ...], key: str, kind: str) -> Any:
        """The value under `key`, or None if missing; a value of the wrong type fails."""
        if key not in table:
            return None
        value = table[key]
        ok = {
            "str": lambda v: isinstance(v, str),
            "bool": lambda v: isinstance(v, bool),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "str_list": lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
        }[kind](value)
        if not ok:
            example = _EXAMPLES.get(key, '"..."' if kind == "str" else "...")
            self.fail(
                (*at, key),
                f"must be {_KIND_WORDS[kind]}, not {_describe(value)}",
                f"write it as {format_key((key,))} = {example}",
            )
        return value

    def _number(
        self,
        table: Mapping[str, Any],
        at: tuple[str, ...],
        key: str,
        kind: str,
        default: float,
        minimum: float,
        exclusive: bool = False,
    ) -> Any:
        value = self._take(table, at, key, kind)
        if value is None:
            return default
        if value < minimum or (exclusive and value == minimum):
            bound = f"more than {minimum:g}" if exclusive else f"at least {minimum:g}"
            self.fail(
                (*at, key),
                f"must be {bound}, not {value!r}",
                f"write e.g. {key} = {_EXAMPLES[key]}",
            )
        return float(value) if kind == "float" else value

    def _table(self, table: Mapping[str, Any], at: tuple[str, ...], key: str) -> Mapping[str, Any]:
        if key not in table:
            return _EMPTY
        value = table[key]
        if not isinstance(value, Mapping):
            path = format_key((*at, key))
            self.fail(
                (*at, key),
                f"must be a table, not {_describe(value)}",
                f"write [{path}] on its own line with its keys below it, or {key} = {{ ... }}",
            )
        return value

    def _strings(
        self, table: Mapping[str, Any], at: tuple[str, ...], key: str, *, non_empty: bool = False
    ) -> dict[str, str]:
        values = self._table(table, at, key)
        for name, value in values.items():
            if not isinstance(value, str) or (non_empty and not value.strip()):
                self.fail(
                    (*at, key, name),
                    f"must be non-empty text in double quotes, not {_describe(value)}",
                    f'write it as {format_key((name,))} = "..."',
                )
        return dict(values)

    def _unknown(
        self, table: Mapping[str, Any], at: tuple[str, ...], known: Collection[str]
    ) -> None:
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            line = self._line((*at, key))
            message = (
                f"{self._where(line)}: unknown setting {format_key((*at, key))} is ignored "
                f"(and kept in the file){hint}"
            )
            self.warnings.append((line or 0, message))

    # Errors ---------------------------------------------------------------------------------

    def _line(self, key_path: tuple[str, ...]) -> int | None:
        return find_key_line(self.text, key_path) if self.text is not None else None

    def _where(self, line: int | None) -> str:
        return f"{self.path}, line {line}" if line else str(self.path)

    def fail(self, key_path: tuple[str, ...], problem: str, fix: str) -> NoReturn:
        line = self._line(key_path)
        key = format_key(key_path)
        raise ConfigError(
            f"{self._where(line)}: {key} {problem}. Fix: {fix}.",
            path=self.path,
            line=line,
            key=key,
        )


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int):
        return f"{value} (a whole number)"
    if isinstance(value, float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{value!r} (text)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return f"{value} (a date/time)"


def check_theme(
    settings: Settings, available: Collection[str], cli_theme: str | None = None
) -> str:
    """The theme to use, checked against the themes that loaded.

    Args:
        settings: the loaded settings.
        available: every theme name the app can show (loaded specs and Textual's own).
        cli_theme: `--theme NAME`, which wins over the file.

    Returns:
        `cli_theme`, else the file's `theme`, else `tuichat-dark` (or Textual's default if the
        bundled themes are missing).

    Raises:
        ConfigError: the chosen name is not available; names the file and line when it came
            from the file, and suggests close names.
    """
    name = cli_theme or settings.theme
    if name is None:
        return DEFAULT_THEME if DEFAULT_THEME in available else FALLBACK_THEME
    if name in available:
        return name
    close = difflib.get_close_matches(name, list(available), n=1)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    names = ", ".join(sorted(available))
    if cli_theme:
        raise ConfigError(
            f"--theme: unknown theme {name!r}{suggestion}. Themes: {names}.", key="theme"
        )
    path = settings.path
    line = None
    if path is not None:
        try:
            line = find_key_line(path.read_text(encoding="utf-8"), ("theme",))
        except (OSError, UnicodeDecodeError):
            pass
    where = f"{path}, line {line}" if line else str(path or "config")
    raise ConfigError(
        f"{where}: theme {name!r} is not a known theme{suggestion}. Fix: use one of {names}; "
        "your own themes go in <config dir>/themes/NAME.toml.",
        path=path,
        line=line,
        key="theme",
    )


# --- writing ---------------------------------------------------------------------------------


def save_settings_changes(path: Path, changes: Mapping[str, Any]) -> Settings:
    """Apply changes to the file and write it back atomically.

    The file is re-read and parsed as it is now; the changes are merged into that document
    (tables merge key by key, other values replace, None removes a key), so every other key
    and value stays, unknown ones included. Comments and formatting do not survive: tomli-w
    writes the document anew. A file that holds a secret (an `api_key`, an auth-like header, a
    secret-looking MCP `env` value: see `holds_api_key`) gets mode 0600.

    Args:
        path: the config file; created (with its directory) if missing.
        changes: e.g. `{"theme": "nord"}` or `{"profiles": {"ollama": {"model": "llama3.2"}}}`.

    Returns:
        The settings as written.

    Raises:
        ConfigError: the file cannot be read or parsed, or the changes would make it invalid
            or cannot be written as TOML. The file is left untouched.
    """
    text = _read_text(path, required=False)
    document: dict[str, Any] = {}
    if text is not None:
        try:
            document = _parse_toml(path, text)
            _Checker(path, text).settings(document)  # a file that is already wrong stays so
        except ConfigError as error:
            raise ConfigError(
                f"{error} Not saved: the file was not changed.",
                path=error.path,
                line=error.line,
                key=error.key,
            ) from None
    merged = _merge(document, changes)
    try:
        new_text = tomli_w.dumps(merged)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"{path}: cannot save {dict(changes)!r}: {error}. The file was not changed.", path=path
        ) from None
    try:
        settings = _Checker(path, new_text).settings(tomllib.loads(new_text))
    except ConfigError as error:
        raise ConfigError(
            f"Not saved, the change would break the file: {error} The file was not changed.",
            path=path,
            key=error.key,
        ) from None
    try:
        atomic_write_text(path, new_text, private=holds_api_key(merged))
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot write the config file ({error.strerror or error}). The file was not "
            "changed.",
            path=path,
        ) from None
    return settings


def _merge(document: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(document))
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = _merge({}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def holds_api_key(document: Any) -> bool:
    """Whether a parsed document holds a secret, so the file should be private (mode 0600).

    A secret is a non-empty `api_key` in any table, or a value that `config show` would
    redact: an auth-like entry of a `headers` table (a profile's or an MCP server's), or a
    secret-looking entry (KEY, TOKEN, SECRET, PASSWORD, AUTH in its name) of an MCP server's
    `env` table.
    """
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key == "api_key" and isinstance(value, str) and value != "":
                return True
            if key in ("headers", "env") and _holds_secret_entry(key, value):
                return True
            if holds_api_key(value):
                return True
        return False
    if isinstance(document, list):
        return any(holds_api_key(item) for item in document)
    return False


def _holds_secret_entry(kind: str, table: Any) -> bool:
    """Whether a `headers` or `env` table has a non-empty value its redaction would hide."""
    if not isinstance(table, Mapping):
        return False
    values = {str(name): value for name, value in table.items() if isinstance(value, str) and value}
    redact = redact_headers if kind == "headers" else redact_env
    # A secret is whatever redaction changes, so the file mode and `config show` agree on it.
    return redact(values) != values


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """Copy environment variables with the values of secret-looking ones replaced.

    Args:
        env: variable name -> value.

    Returns:
        The same names; a value is `[redacted]` when its name holds KEY, TOKEN, SECRET,
        PASSWORD or AUTH (in any case).
    """
    return {name: REDACTED if _SECRET_ENV.search(name) else value for name, value in env.items()}


# --- showing ---------------------------------------------------------------------------------


def settings_document(settings: Settings, *, redact: bool = True) -> dict[str, Any]:
    """The effective settings as a TOML-ready dict (presets included, defaults filled in).

    Args:
        settings: the settings.
        redact: replace `api_key` values, the values of auth-like headers (profiles' and MCP
            servers'), and secret-looking MCP `env` values (see `redact_env`).
    """
    document: dict[str, Any] = {"theme": settings.theme or DEFAULT_THEME}
    if settings.profile is not None:
        document["profile"] = settings.profile
    document["max_tool_rounds"] = settings.max_tool_rounds
    document["tool_timeout"] = settings.tool_timeout
    document["db_path"] = str(settings.database_path())
    tools = settings.tools
    document["tools"] = {
        "disabled": list(tools.disabled),
        "files": list(tools.files),
        "plugins": tools.plugins,
        "result_limit": tools.result_limit,
        "policy": dict(tools.policy),
    }
    document["history"] = {"save_raw_chunks": settings.history.save_raw_chunks}
    document["mcp"] = {
        "start_timeout": settings.mcp.start_timeout,
        "servers": {
            server.name: _server_document(server, redact=redact) for server in settings.mcp.servers
        },
    }
    document["keys"] = dict(settings.keys)
    document["prices"] = {
        model: {"input": price.input, "output": price.output}
        for model, price in settings.prices.items()
    }
    profiles: dict[str, Any] = {}
    for name, profile in sorted(settings.profiles.items()):
        table: dict[str, Any] = {}
        for key in _PROFILE_KEYS:
            value = getattr(profile, key)
            if key in ("headers", "params"):
                value = dict(value) or None
                if value and key == "headers" and redact:
                    value = redact_headers(value)
            elif key == "api_key" and value and redact:
                value = REDACTED
            if value is not None:
                table[key] = value
        profiles[name] = table
    document["profiles"] = profiles
    return document


def _server_document(server: McpServerSettings, *, redact: bool) -> dict[str, Any]:
    """One MCP server's table for `settings_document()`; unset keys are left out."""
    table: dict[str, Any] = {}
    if server.command is not None:
        table["command"] = server.command
        table["args"] = list(server.args)
        if server.env:
            table["env"] = redact_env(server.env) if redact else dict(server.env)
        if server.cwd is not None:
            table["cwd"] = server.cwd
    else:
        table["url"] = server.url
        if server.headers:
            table["headers"] = (
                redact_headers(dict(server.headers)) if redact else dict(server.headers)
            )
    if server.start_timeout is not None:
        table["start_timeout"] = server.start_timeout
    table["enabled"] = server.enabled
    return table


def settings_toml(settings: Settings, *, redact: bool = True) -> str:
    """`settings_document()` as TOML text."""
    return tomli_w.dumps(settings_document(settings, redact=redact))


# --- finding keys in the text ----------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}


def format_key(key_path: tuple[str, ...] | list[str]) -> str:
    """A key path as TOML writes it: `prices."gpt-4o.mini".input`."""
    return ".".join(
        part
        if _BARE_KEY.fullmatch(part)
        else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for part in key_path
    )


def find_key_line(text: str, key_path: tuple[str, ...] | list[str]) -> int | None:
    """The 1-based line where a key is set (`key =`, a dotted key, or its `[table]` header).

    When the exact key is not on a line of its own (inside an inline table, say), the line of
    the nearest enclosing key or table is returned; None when nothing matches.
    """
    wanted = tuple(key_path)
    best_length, best_line = 0, None
    inner_line = None  # first line of a table nested under the wanted one
    for line, path in _key_lines(text):
        if path == wanted:
            return line
        length = len(path)
        if length > best_length and wanted[:length] == path:
            best_length, best_line = length, line
        if inner_line is None and path[: len(wanted)] == wanted:
            inner_line = line
    return inner_line or best_line


def key_at_line(text: str, line: int) -> tuple[str, ...] | None:
    """The full key path set (or table opened) on a line, if one is."""
    for number, path in _key_lines(text):
        if number == line:
            return path
        if number > line:
            break
    return None


def _key_lines(text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Each line that opens a table or sets a key, with the key's full path. Tolerates
    broken TOML: it only needs to be right on the lines before the first error."""
    table: tuple[str, ...] = ()
    depth = 0
    open_string: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if open_string is not None:
            end = raw.find(open_string)
            if end < 0:
                continue
            open_string = None
            depth, open_string = _scan_value(raw, end + 3, depth)
            continue
        if depth > 0:
            depth, open_string = _scan_value(raw, 0, depth)
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            key = _read_key(line, 2 if line.startswith("[[") else 1)
            if key is not None:
                table = key[0]
                yield number, table
            continue
        key = _read_key(line, 0)
        if key is None:
            continue
        parts, end = key
        if end < len(line) and line[end] == "=":
            yield number, table + parts
            depth, open_string = _scan_value(line, end + 1, 0)


def _read_key(text: str, start: int) -> tuple[tuple[str, ...], int] | None:
    """A (dotted) key starting at `start`: its parts and the index after it."""
    parts: list[str] = []
    i, n = start, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        if text[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    chars.append(_ESCAPES.get(text[i + 1], text[i + 1]))
                    i += 2
                else:
                    chars.append(text[i])
                    i += 1
            if i >= n:
                return None
            parts.append("".join(chars))
            i += 1
        elif text[i] == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = _BARE_KEY.match(text, i)
            if match is None:
                return None
            parts.append(match.group())
            i = match.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        return tuple(parts), i


def _scan_value(text: str, i: int, depth: int) -> tuple[int, str | None]:
    """Follow a value to the end of the line: the bracket depth left open, and the delimiter
    of a multi-line string left open (so their lines are not mistaken for keys)."""
    n = len(text)
    while i < n:
        if text.startswith(('"""', "'''"), i):
            delimiter = text[i : i + 3]
            end = text.find(delimiter, i + 3)
            if end < 0:
                return depth, delimiter
            i = end + 3
            continue
        char = text[i]
        if char == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif char == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
        elif char == "#":
            break
        else:
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth = max(0, depth - 1)
            i += 1
    return depth, None
