"""Checking a parsed config file: what each table's keys must be, and a message naming the
file, the line and the key of the first problem, with the fix. Also `check_theme`, which
checks the chosen theme against the themes that loaded.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tuichat.config.profiles import PRESETS, ProfileSettings
from tuichat.config.settings import (
    DEFAULT_MAX_TOOL_ROUNDS,
    DEFAULT_MCP_START_TIMEOUT,
    DEFAULT_THEME,
    DEFAULT_TOOL_TIMEOUT,
    FALLBACK_THEME,
    HIDDEN_TAB_APPROVALS,
    AttachmentSettings,
    ConfigError,
    HiddenTabApproval,
    HistorySettings,
    McpServerSettings,
    McpSettings,
    Price,
    Settings,
    ToolsSettings,
)
from tuichat.config.table_checker import TableChecker, describe
from tuichat.config.toml_lines import find_key_line, format_key
from tuichat.core.tooling import (
    DEFAULT_RESULT_LIMIT,
    MCP_SERVER_NAME,
    MCP_SERVER_NAME_MAX,
    TOOL_POLICIES,
)

# Example values for fix hints, by key name.
_EXAMPLES: dict[str, str] = {
    "theme": '"nord"',
    "profile": '"ollama"',
    "max_tool_rounds": "8",
    "tool_timeout": "30",
    "approve_in_hidden_tabs": '"wait"',
    "db_path": '"~/chats/history.sqlite3"',
    "base_url": '"http://localhost:11434/v1"',
    "api_key": '"sk-..."',
    "api_key_env": '"GROQ_API_KEY"',
    "model": '"llama3.2"',
    "include_usage": "true",
    "system_prompt": '"You are concise."',
    "stream": "true",
    "timeout": "120",
    "stall_timeout": "60",
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
    "max_file_bytes": "200000",
    "max_prompt_bytes": "1000000",
    "input": "0.15",
    "output": "0.60",
}


def _keys(table: type[Any], *not_keys: str) -> tuple[str, ...]:
    """A table's TOML keys: the fields of its dataclass, in order, less `not_keys`."""
    return tuple(f.name for f in dataclasses.fields(table) if f.name not in not_keys)


# A table's keys are its dataclass's field names, but for fields that are no key of the table:
# `Settings.path` and `warnings` say where the settings came from and what was odd in them, and
# the `name` of a profile or an MCP server is the NAME in its `[profiles.NAME]` or
# `[mcp.servers.NAME]` header, not a key inside the table.
_TOP_KEYS = _keys(Settings, "path", "warnings")
PROFILE_KEYS = _keys(ProfileSettings, "name")
"""The keys of a `[profiles.NAME]` table, in the order `tuichat config show` prints them."""
_TOOLS_KEYS = _keys(ToolsSettings)
_MCP_KEYS = _keys(McpSettings)
_MCP_SERVER_KEYS = _keys(McpServerSettings, "name")
_HISTORY_KEYS = _keys(HistorySettings)
_ATTACHMENT_KEYS = _keys(AttachmentSettings)
_PRICE_KEYS = _keys(Price)
# Keys that only make sense for one transport: a stdio server has no URL to send headers to,
# and an HTTP server is not a process with arguments, environment or working directory.
_STDIO_ONLY = ("args", "env", "cwd")
_HTTP_ONLY = ("headers",)


def check_document(path: Path, text: str | None, document: Mapping[str, Any]) -> Settings:
    """Check a parsed config file and build its settings.

    Args:
        path: the file, named in every message (and the base of a relative `db_path`).
        text: the file's text, to name the line of a problem (None: no line numbers).
        document: what `tomllib` read from it.

    Returns:
        The settings; `warnings` lists the unknown keys, in file order.

    Raises:
        ConfigError: the first wrong value, naming file, line and key, and the fix.
    """
    return _SettingsChecker(path, text).settings(document)


class _SettingsChecker(TableChecker):
    """What each of tuichat's tables holds: the keys, their types and their limits."""

    def __init__(self, path: Path, text: str | None) -> None:
        super().__init__(path, text, _EXAMPLES)

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
        self._unknown(history, ("history",), _HISTORY_KEYS)
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
            approve_in_hidden_tabs=self._hidden_tab_approval(doc),
            tools=self._tools(doc),
            keys=MappingProxyType(self._strings(doc, (), "keys", non_empty=True)),
            prices=MappingProxyType(self._prices(doc)),
            context_windows=MappingProxyType(self._context_windows(doc)),
            history=HistorySettings(save_raw_chunks=True if save_raw is None else save_raw),
            mcp=self._mcp(doc),
            attachments=self._attachments(doc),
            db_path=self._db_path(doc),
            path=self.path,
            warnings=tuple(message for _, message in sorted(self.warnings, key=lambda w: w[0])),
        )

    def _attachments(self, doc: Mapping[str, Any]) -> AttachmentSettings:
        at = ("attachments",)
        table = self._table(doc, (), "attachments")
        self._unknown(table, at, _ATTACHMENT_KEYS)
        defaults = AttachmentSettings()
        return AttachmentSettings(
            max_file_bytes=self._number(
                table, at, "max_file_bytes", "int", defaults.max_file_bytes, 1
            ),
            max_prompt_bytes=self._number(
                table, at, "max_prompt_bytes", "int", defaults.max_prompt_bytes, 1
            ),
        )

    def _hidden_tab_approval(self, doc: Mapping[str, Any]) -> HiddenTabApproval:
        value = self._take(doc, (), "approve_in_hidden_tabs", "str")
        if value is None:
            return "wait"
        for allowed in HIDDEN_TAB_APPROVALS:
            if value == allowed:
                return allowed
        choices = " or ".join(f'"{choice}"' for choice in HIDDEN_TAB_APPROVALS)
        self.fail(
            ("approve_in_hidden_tabs",),
            f"= {value!r} is not one of {choices}",
            'write approve_in_hidden_tabs = "wait" (or "show")',
        )

    def _profile(self, name: str, table: Mapping[str, Any]) -> ProfileSettings:
        at = ("profiles", name)
        if not isinstance(table, Mapping):
            self.fail(
                at,
                f"must be a table, not {describe(table)}",
                f"write it as [profiles.{format_key((name,))}] on its own line, with "
                "base_url = ..., model = ... below",
            )
        self._unknown(table, at, PROFILE_KEYS)
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
        stall_timeout = table.get("stall_timeout")
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
            stall_timeout=None
            if stall_timeout is None
            else self._number(table, at, "stall_timeout", "float", 0, 0, True),
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
                    f"must be one of {allowed}, not {describe(value)}{hint}",
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
                f"must be a table, not {describe(table)}",
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
                    f"must be a table, not {describe(table)}",
                    f"write [prices.{format_key((model,))}] with input = 0.15 and output = 0.60 "
                    "below "
                    "(dollars per million tokens)",
                )
            self._unknown(table, at, _PRICE_KEYS)
            for key in _PRICE_KEYS:
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

    def _context_windows(self, doc: Mapping[str, Any]) -> dict[str, int]:
        windows: dict[str, int] = {}
        for model, value in self._table(doc, (), "context_windows").items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                self.fail(
                    ("context_windows", model),
                    f"must be a whole number of tokens, not {describe(value)}",
                    f"write {format_key((model,))} = 128000",
                )
            windows[model] = value
        return windows

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
