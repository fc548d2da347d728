"""The tools screen: every tool the model may be offered, each switched on or off.

A table lists the tools with where they come from, the approval policy that applies to them and
the first line of their description; Enter or Space on a row switches the tool on or off through
the app (which saves the choice). Above it, one line per MCP server says how the server is doing.
Descriptions and server errors come from plugins and servers: they are shown literally.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tuichat.core.text import counted, strip_control
from tuichat.tools.registry import Tool, ToolRegistry

if TYPE_CHECKING:  # the MCP SDK is only needed where servers actually run
    from textual.widgets import DataTable

    from tuichat.tools.mcp_client import ServerStatus

ON_MARK = "✓"
OFF_MARK = "–"
NO_TOOLS = "No tools are registered."
SOURCE_WIDTH = 24
"""Longer sources (file paths) are shortened, so the policy column stays in view at 80 columns."""
COLUMNS = (
    ("On", "on"),
    ("Tool", "tool"),
    ("Source", "source"),
    ("Policy", "policy"),
    ("Description", "description"),
)


def first_line(text: str) -> str:
    """The first non-empty line of `text`, control characters stripped."""
    for line in strip_control(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def short_source(source: str, width: int = SOURCE_WIDTH) -> str:
    """A tool's source in at most `width` characters: its kind and the end of the rest.

    Args:
        source: E.g. `builtin`, `mcp:files` or `file:/home/me/tools/shout.py`.
        width: The longest result.

    Returns:
        The source, control characters stripped; when too long, the part after the kind is cut
        at the front (`file:…/tools/shout.py`), where a path is least telling.
    """
    source = strip_control(source)
    if len(source) <= width:
        return source
    kind, colon, rest = source.partition(":")
    head = f"{kind}{colon}…" if colon and len(kind) < width // 2 else "…"
    return head + (rest if colon else source)[-(width - len(head)) :]


def server_line(name: str, status: ServerStatus) -> Content:
    """One MCP server's state, e.g. `files · ready · 3 tools` or `broken · failed: …`.

    Args:
        name: The server's name.
        status: Its current status.

    Returns:
        The line, literal apart from the colour of the state.
    """
    style = {"ready": "$text-success", "failed": "$text-error"}.get(status.state, "$text-muted")
    state: str = status.state
    if status.reason and status.state in ("failed", "stopped"):
        state = f"{state}: {first_line(status.reason)}"
    parts: list[str | tuple[str, str]] = [(strip_control(name), "bold"), " · ", (state, style)]
    if status.state == "ready":
        count = len(status.tools)
        parts.append(f" · {counted(count, 'tool')}")
    return Content.assemble(*parts)


class ToolsScreen(ModalScreen[None]):
    """Lists the tools: Enter or Space switches the highlighted one on or off, Esc closes."""

    CSS_PATH = "tools.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="tools_close"),
        Binding("space", "switch_highlighted", "Switch on/off", id="tools_toggle"),
    ]

    def __init__(
        self,
        registry: ToolRegistry,
        *,
        policy: Callable[[str], str],
        toggle: Callable[[str], None],
        servers: Mapping[str, ServerStatus] | None = None,
        not_loaded: Sequence[str] = (),
    ) -> None:
        """Show the tools.

        Args:
            registry: The tools; read, never changed here.
            policy: The approval policy of a tool by name (`run`, `ask` or `never`).
            toggle: The app's function that switches a tool on or off and saves the choice.
            servers: The MCP servers' statuses by server name, if any are configured.
            not_loaded: Why each tool file or plugin that failed to load did not.
        """
        super().__init__()
        self.registry = registry
        self.policy = policy
        self.toggle = toggle
        self.servers = dict(servers or {})
        self.not_loaded = list(not_loaded)

    def compose(self) -> ComposeResult:
        tools = self.registry.tools()
        with Vertical(id="tools-panel"):
            yield Static(Content(self._title()), id="tools-title")
            if self.servers:
                lines = [server_line(name, status) for name, status in self.servers.items()]
                yield Static(Content("\n").join(lines), id="tools-servers")
            if self.not_loaded:
                failed = [
                    Content.styled(f"✗ {strip_control(why)}", "$error") for why in self.not_loaded
                ]
                yield Static(Content("\n").join(failed), id="tools-not-loaded")
            if tools:
                # Imported here, not with the module: the chat screen imports this one before
                # the first frame, and DataTable's module is a large one.
                from textual.widgets import DataTable

                yield DataTable(cursor_type="row", zebra_stripes=True, id="tools-table")
                # The table cuts descriptions at the panel's edge: the highlighted one in full.
                yield Static("", id="tools-detail")
            else:
                yield Static(Content(NO_TOOLS), id="tools-empty")
            hint = "Enter / Space switch on or off · Esc close" if tools else "Esc close"
            yield Static(Content(hint), id="tools-hint")

    def _title(self) -> str:
        if not len(self.registry):
            return "Tools"
        return f"Tools ({len(self.registry)}, {len(self.registry.enabled_names())} on)"

    def _table(self) -> DataTable[Text] | None:
        """The tools table (none when there are no tools)."""
        tables = self.query("#tools-table")
        return cast("DataTable[Text]", tables.first()) if tables else None

    def on_mount(self) -> None:
        table = self._table()
        if table is None:
            return
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        for tool in self.registry.tools():
            table.add_row(*self._cells(tool), key=tool.name)
        table.focus()

    def _cells(self, tool: Tool) -> tuple[Text, ...]:
        enabled = self.registry.is_enabled(tool.name)
        # Text, not str: DataTable reads str cells as markup.
        row = (
            Text(ON_MARK if enabled else OFF_MARK),
            Text(strip_control(tool.name)),
            Text(short_source(tool.source)),
            Text(strip_control(self.policy(tool.name))),
            Text(first_line(tool.description)),
        )
        if not enabled:
            for cell in row:
                cell.stylize("dim")
        return row

    def refresh_row(self, name: str) -> None:
        """Show a tool's current state (after the app switched it)."""
        tool = self.registry.get(name)
        if tool is None:
            return
        table = self._table()
        if table is None:
            return
        for (_, key), cell in zip(COLUMNS, self._cells(tool), strict=True):
            table.update_cell(name, key, cell)
        self.query_one("#tools-title", Static).update(Content(self._title()))

    def switch(self, name: str) -> None:
        """Ask the app to switch a tool on or off, then show its new state.

        Args:
            name: The tool's name.
        """
        self.toggle(name)
        self.refresh_row(name)

    def action_switch_highlighted(self) -> None:
        """Switch the highlighted tool on or off."""
        table = self._table()
        if table is None or not table.row_count:
            return
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        if row_key.value is not None:
            self.switch(row_key.value)

    # Named handlers rather than `@on(DataTable.RowHighlighted, ...)`: that needs DataTable
    # when the class is made. The screen has one table.
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        tool = self.registry.get(event.row_key.value or "")
        detail = first_line(tool.description) if tool is not None else ""
        self.query_one("#tools-detail", Static).update(Content(detail))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.switch(event.row_key.value)
