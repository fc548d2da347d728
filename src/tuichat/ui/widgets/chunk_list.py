"""The inspector's list of a turn's rows: one line each, drawn only while in view.

A line API widget (`render_line`): a 20,000-chunk answer costs what the rows in view cost.
Columns are measured in terminal cells (the reading is last and cropped by cells), so wide
characters in a chunk never push a column out of line. One row is always selected; while the
selection is on the newest row it follows new rows, until the user moves it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuichat.core.chunk_reading import ChunkKind
from tuichat.core.events import RawChunk, RequestSent, ResponseHead
from tuichat.core.text import strip_control
from tuichat.ui.inspected_turn import InspectedTurn, Row

NARROW = 44  # below this many cells the gap column is left out

KIND_LABELS: dict[ChunkKind, str] = {
    "text": "text",
    "reasoning": "reason",
    "tool": "tool",
    "usage": "usage",
    "finish": "finish",
    "error": "error",
    "comment": "comment",
    "not_json": "not json",
    "done": "[DONE]",
    "whole": "whole",
    "empty": "empty",
}
"""What the kind column says (in at most 8 cells)."""


def gap_text(gap: float | None) -> str:
    """A gap since the previous chunk, in 6 cells: `+12ms`, `+1.4s`, `+120s`."""
    if gap is None:
        return ""
    if gap < 1:
        return f"+{gap * 1000:.0f}ms"
    return f"+{gap:.1f}s" if gap < 100 else f"+{gap:.0f}s"


class ChunkList(ScrollView, can_focus=True):
    """The rows of an `InspectedTurn` that pass the filter, one selected."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chunk-list--cursor",
        "chunk-list--meta",
        "chunk-list--dim",
        "chunk-list--text",
        "chunk-list--tool",
        "chunk-list--problem",
        "chunk-list--quiet",
    }

    DEFAULT_CSS = """
    ChunkList { height: 1fr; background: $inspector-background; overflow-x: hidden; }
    ChunkList > .chunk-list--cursor { background: $block-cursor-blurred-background; }
    ChunkList:focus > .chunk-list--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    ChunkList > .chunk-list--meta { color: $text-primary; text-style: bold; }
    ChunkList > .chunk-list--dim { color: $text-muted; }
    ChunkList > .chunk-list--text { color: $text-success; }
    ChunkList > .chunk-list--tool { color: $text-accent; }
    ChunkList > .chunk-list--problem { color: $text-error; text-style: bold; }
    ChunkList > .chunk-list--quiet { color: $text-muted; text-style: italic; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
    ]

    class Selected(Message):
        """Another row is selected (`row` numbers `InspectedTurn.rows`)."""

        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.turn = InspectedTurn()
        self.kind_filter: ChunkKind | None = None
        self.shown: list[int] = []  # the numbers of the rows that pass the filter
        self.cursor = -1  # position in `shown` of the selected row (-1: no row)
        self.follow = True  # the selection goes to each new row
        self._read = 0  # rows of the turn looked at for `shown`

    # -- what it shows -------------------------------------------------------------------

    @property
    def selected(self) -> int | None:
        """The number of the selected row in `turn.rows`, if any."""
        return self.shown[self.cursor] if 0 <= self.cursor < len(self.shown) else None

    def show_turn(self, turn: InspectedTurn) -> None:
        """Show another turn, its newest row selected."""
        self.turn = turn
        self.shown = []
        self._read = 0
        self.cursor = -1
        self.follow = True
        self.rows_added()

    def set_filter(self, kind: ChunkKind | None) -> None:
        """Show only the chunks of `kind` (None: every row); the selection stays if it can."""
        selected = self.selected
        self.kind_filter = kind
        self.shown = []
        self._read = 0
        self._take_new_rows()
        if selected is not None and selected in self.shown:
            self.cursor = self.shown.index(selected)
        else:
            self.cursor = len(self.shown) - 1
        self._changed(scroll=True)

    def rows_added(self) -> None:
        """The turn has new rows: list those that pass, and follow them if following."""
        before = len(self.shown)
        self._take_new_rows()
        if len(self.shown) == before and self.cursor >= 0:
            return
        if self.follow or self.cursor < 0:
            self.cursor = len(self.shown) - 1
            self._changed(scroll=True)
        else:
            self.virtual_size = Size(0, len(self.shown))
            self.refresh()

    def _take_new_rows(self) -> None:
        turn, kind = self.turn, self.kind_filter
        rows = len(turn.rows)
        if kind is None:
            self.shown.extend(range(self._read, rows))
        else:
            self.shown.extend(n for n in range(self._read, rows) if turn.matches(n, kind))
        self._read = rows

    # -- moving ----------------------------------------------------------------------------

    def select(self, position: int) -> None:
        """Select the row at `position` of the shown rows (clamped)."""
        if not self.shown:
            return
        self.cursor = max(0, min(position, len(self.shown) - 1))
        self.follow = self.cursor == len(self.shown) - 1
        self._changed(scroll=True)

    def action_move(self, step: int) -> None:
        self.select(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.select(self.cursor + step * max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.select(0)

    def action_last(self) -> None:
        self.select(len(self.shown) - 1)

    def on_click(self, event: events.Click) -> None:
        position = int(self.scroll_offset.y) + event.y
        if 0 <= position < len(self.shown):
            self.select(position)

    def _changed(self, *, scroll: bool) -> None:
        self.virtual_size = Size(0, len(self.shown))
        if scroll and self.cursor >= 0:
            if self.size.height:
                self._scroll_to_cursor()
            else:  # not laid out yet (just shown): once its height is known
                self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()
        selected = self.selected
        if selected is not None:
            self.post_message(self.Selected(selected))

    def on_resize(self) -> None:
        # First laid out (just shown), zoomed, or the terminal resized: keep the row in view.
        self.virtual_size = Size(0, len(self.shown))
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        top, height = int(self.scroll_offset.y), max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        position = int(self.scroll_offset.y) + y
        base = self.rich_style
        if position >= len(self.shown):
            return Strip.blank(width, base)
        row = self.turn.rows[self.shown[position]]
        segments = self._segments(row, width)
        if position == self.cursor:
            cursor = self.get_component_rich_style("chunk-list--cursor")
            segments = [Segment(text, (style or Style()) + cursor) for text, style, _ in segments]
            base = base + cursor
        return Strip(segments).crop_extend(0, width, base)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"chunk-list--{name}")

    def _segments(self, row: Row, width: int) -> list[Segment]:
        record = row.record
        if isinstance(record, RequestSent):
            request = record.request
            text = f"── request {row.answer + 1}: {request.get('method', 'POST')} "
            return [
                Segment(text, self._style("meta")),
                Segment(strip_control(str(request.get("url", ""))), self._style("dim")),
            ]
        if isinstance(record, ResponseHead):
            kind = record.headers.get("content-type", "").split(";")[0]
            status = f"── response {record.status} {record.reason}".rstrip()
            style = self._style("problem" if record.status >= 400 else "meta")
            return [Segment(status + " ", style), Segment(kind, self._style("dim"))]
        reading = row.reading
        assert reading is not None
        digits = len(f"{len(self.turn.rows)}")
        prefix = f"{reading.number + 1:>{digits}} {reading.offset:7.3f} "
        if width >= NARROW:
            prefix += f"{gap_text(reading.gap):>6} "
        kind = reading.kind
        label = KIND_LABELS[kind]
        if kind == "tool" and reading.tools:
            label = f"tool {reading.tools[0]}"
        if isinstance(record, RawChunk) and record.event:
            label = f"{label}:{record.event}"
        style_name = {
            "text": "text",
            "reasoning": "text",
            "tool": "tool",
            "error": "problem",
            "not_json": "problem",
            "comment": "quiet",
            "empty": "quiet",
            "done": "meta",
        }.get(kind, "meta")
        words = strip_control(reading.reading).replace("\n", " ")
        for said in (label, kind):  # the kind column says it already: `finish stop` -> `stop`
            if words.startswith(said + " "):
                words = words[len(said) + 1 :]
                break
        return [
            Segment(prefix, self._style("dim")),
            Segment(f"{label:<8} ", self._style(style_name)),
            Segment(words),
        ]
