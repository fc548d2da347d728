"""What the config file can set: frozen dataclasses with a docstring under every field, the
defaults, and the errors a bad file raises. Built by `tuichat.config.load.load_settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from tuichat.config.paths import default_db_path
from tuichat.config.profiles import PRESETS, ProfileSettings
from tuichat.core.tooling import DEFAULT_RESULT_LIMIT

DEFAULT_THEME = "tuichat-dark"
"""The theme when the file names none."""

FALLBACK_THEME = "textual-dark"
"""Textual's own default, used when the bundled themes could not be loaded."""

DEFAULT_MAX_TOOL_ROUNDS = 8
"""Rounds of tool calls one prompt may trigger (`max_tool_rounds`)."""

# The timeouts are defined here only: the tools (`run_tool_call`, `McpManager`) take them as
# required arguments, so what the file says (or these defaults) is what runs.
DEFAULT_TOOL_TIMEOUT = 30.0
"""Seconds a tool call may take (`tool_timeout`); an MCP call waits as long for its server."""

DEFAULT_MCP_START_TIMEOUT = 15.0
"""Seconds an MCP server may take to start and list its tools (`[mcp] start_timeout`)."""

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


DEFAULT_MAX_FILE_BYTES = 200_000
"""The largest file `@path` or `-a` attaches (`[attachments] max_file_bytes`)."""

DEFAULT_MAX_PROMPT_BYTES = 1_000_000
"""The most bytes of files one prompt attaches (`[attachments] max_prompt_bytes`)."""


@dataclass(frozen=True, slots=True)
class AttachmentSettings:
    """The `[attachments]` table: how much `@path` and `tuichat ask -a` may attach."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    """The largest file one `@path` attaches; a larger one is refused, never cut."""

    max_prompt_bytes: int = DEFAULT_MAX_PROMPT_BYTES
    """The most bytes of files one prompt attaches, all together."""


HiddenTabApproval = Literal["wait", "show"]
HIDDEN_TAB_APPROVALS: tuple[HiddenTabApproval, ...] = ("wait", "show")


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

    approve_in_hidden_tabs: HiddenTabApproval = "wait"
    """When a tab that is not shown has tool calls to approve: `wait` marks its label with `?`
    and asks when you show the tab; `show` shows that tab and asks at once."""

    tools: ToolsSettings = field(default_factory=ToolsSettings)
    """The `[tools]` table."""

    keys: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Key binding overrides, action -> keys (comma-separated), e.g.
    `toggle_inspector = "f6"`; given to Textual's `App.set_keymap`."""

    prices: Mapping[str, Price] = field(default_factory=lambda: _EMPTY)
    """Prices by model id, used to show what a conversation cost."""

    context_windows: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    """Context windows in tokens by model id (`[context_windows]`), for models the server's
    `/models` does not give one; they override the table of well-known models."""

    history: HistorySettings = field(default_factory=HistorySettings)
    """The `[history]` table."""

    mcp: McpSettings = field(default_factory=McpSettings)
    """The `[mcp]` table: MCP servers whose tools the model may call."""

    attachments: AttachmentSettings = field(default_factory=AttachmentSettings)
    """The `[attachments]` table: the limits of files attached to prompts."""

    db_path: Path | None = None
    """The history database. `~` is expanded; a relative path is relative to the config
    file's directory. None: `<data dir>/history.sqlite3` (`--db` wins; see `database_path`)."""

    path: Path | None = field(default=None, compare=False)
    """The file these settings were read from (None: no file, all defaults)."""

    warnings: tuple[str, ...] = field(default=(), compare=False)
    """Unknown keys found in the file (kept there, otherwise ignored), one message each."""

    def database_path(self, option: str | os.PathLike[str] | None = None) -> Path:
        """The history database to use; the app, `ask`, `list` and `export` all ask here.

        Args:
            option: the value of `--db`, if given (`~` expanded, relative to the current
                directory).

        Returns:
            `option`, else the file's `db_path`, else `<data dir>/history.sqlite3`. Nothing is
            created: the store makes the directory when it first writes.
        """
        if option:
            return Path(option).expanduser()
        return self.db_path or default_db_path()

    def price_for(self, model: str) -> Price | None:
        """The price of `model`, if the file gives one."""
        return self.prices.get(model)
