"""The row of open conversations along the top: one label per tab, and how each one is doing.

Each chat screen has its own bar (only the shown screen paints), kept in step by the app. A
label says the tab's number, its title and its state: streaming (…), an answer done while it
was not shown (●), failed (!), or waiting for a tool approval (?). A click picks a tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from tuichat.core.text import strip_control

TabState = Literal["idle", "streaming", "unread", "failed", "approval"]

STATE_MARKS: dict[TabState, str] = {
    "idle": "",
    "streaming": " …",
    "unread": " ●",
    "failed": " !",
    "approval": " ?",
}
TITLE_WIDTH = 18  # cells of a tab's title before it is cut


@dataclass(frozen=True, slots=True)
class TabLabel:
    """What the bar shows of one tab."""

    id: str
    title: str
    state: TabState


class TabBar(Widget):
    """The open tabs, the shown one highlighted; hidden while only one tab is open."""

    DEFAULT_CSS = """
    TabBar { height: 1; background: $panel; color: $text-muted; }
    """

    class Picked(Message):
        """The user clicked a tab's label."""

        def __init__(self, tab_id: str) -> None:
            super().__init__()
            self.tab_id = tab_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._labels: list[TabLabel] = []
        self._active = ""
        self._spans: list[tuple[int, int, str]] = []  # (start, end, tab id) of each label

    def show(self, labels: Sequence[TabLabel], active: str) -> None:
        """Show these tabs, `active` highlighted."""
        self._labels = list(labels)
        self._active = active
        self.display = len(self._labels) > 1
        self.refresh()

    @property
    def labels(self) -> list[TabLabel]:
        """The tabs shown, in order."""
        return list(self._labels)

    def text(self) -> str:
        """The bar as plain text (what a person reads)."""
        return str(self.render())

    def render(self) -> Content:
        parts: list[Content] = []
        spans: list[tuple[int, int, str]] = []
        offset = 0
        for number, label in enumerate(self._labels, start=1):
            title = strip_control(label.title) or "new"
            if len(title) > TITLE_WIDTH:
                title = title[: TITLE_WIDTH - 1] + "…"
            words = f" {number} {title}{STATE_MARKS[label.state]} "
            style = "bold reverse" if label.id == self._active else ""
            piece = Content.styled(words, style) if style else Content(words)
            parts.append(piece)
            spans.append((offset, offset + piece.cell_length, label.id))
            offset += piece.cell_length
            parts.append(Content("│"))
            offset += 1
        self._spans = spans
        return Content.assemble(*parts)

    def on_click(self, event: events.Click) -> None:
        for start, end, tab_id in self._spans:
            if start <= event.x < end:
                self.post_message(self.Picked(tab_id))
                return
