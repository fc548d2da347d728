"""The conversation's scrollbar: it repaints the rows that changed, not all of them.

Textual's `ScrollBar` renders itself again, every row through Rich, whenever its position or
the size of what it scrolls changes, and that happens at each step of a streaming answer's
height: measured, a third of what such a frame cost, more than the answer itself. Between
two steps the thumb moves by a row or two, so this one works out the rows (with the same
glyphs and styles, from `ScrollBarRender.render_bar`) when it is asked to repaint, and asks
Textual to repaint only those that differ.
"""

from __future__ import annotations

from typing import Self

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget

__all__ = ["ChangedRowsScrollBar", "ChangedRowsScrolling"]


class ChangedRowsScrollBar(ScrollBar):
    """A vertical scrollbar that repaints only the rows whose look changed."""

    def __init__(self, name: str | None = None, *, thickness: int = 1) -> None:
        super().__init__(vertical=True, name=name, thickness=thickness)
        self._rows: list[Segment] = []
        """One segment per row, as last worked out (empty: not yet)."""
        self._strips: dict[Segment, Strip] = {}
        """The strip of each distinct row (most rows are the same blank or thumb cell)."""

    def _work_out_rows(self) -> list[Segment]:
        """The rows as they look now (Textual's glyphs and styles, the widget's own style
        applied as Textual applies it to what `render()` gives)."""
        height = self.size.height
        if height <= 0 or self.parent is None or not self.is_attached:
            return []
        bar = self.render()
        if not isinstance(bar, ScrollBarRender) or not isinstance(bar.style, Style):
            return []
        style = bar.style
        segments = bar.render_bar(
            size=height,
            virtual_size=bar.virtual_size,
            window_size=bar.window_size,
            position=bar.position,
            thickness=self.size.width,
            vertical=True,
            back_color=style.bgcolor or Color.parse("#555555"),  # Textual's defaults
            bar_color=style.color or Color.parse("bright_magenta"),
        ).segments
        base = self.visual_style.rich_style
        return [Segment(text, base + own if own else base) for text, own, _ in segments[:height]]

    def render_line(self, y: int) -> Strip:
        rows = self._rows
        if len(rows) != self.size.height:  # a new size (Textual repaints every row then)
            rows = self._rows = self._work_out_rows()
            self._strips.clear()
        if not 0 <= y < len(rows):
            return Strip.blank(self.size.width)
        segment = rows[y]
        strip = self._strips.get(segment)
        if strip is None:
            if len(self._strips) > 64:  # looks of earlier themes or hovers
                self._strips.clear()
            strip = self._strips[segment] = Strip([segment], self.size.width)
        return strip

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if regions or not repaint or layout or recompose or not self._rows:
            self._rows = []
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        rows = self._work_out_rows()
        old, self._rows = self._rows, rows
        if len(rows) != len(old):
            return super().refresh()
        changed = [
            Region(0, y, self.size.width, 1)
            for y, (before, after) in enumerate(zip(old, rows, strict=True))
            if before != after
        ]
        if changed:
            super().refresh(*changed)
        return self


class ChangedRowsScrolling(Widget):
    """A scrolling widget whose vertical scrollbar is a `ChangedRowsScrollBar`."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """The vertical scrollbar, made (on first use) as Textual makes its own."""
        if self._vertical_scrollbar is None:
            bar = ChangedRowsScrollBar(name="vertical", thickness=self.scrollbar_size_vertical)
            bar.display = False
            self._vertical_scrollbar = bar
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar
