"""One column of a comparison: who answers, how fast and at what cost, and the answer itself.

The answer is shown as the conversation shows one: a `MessageList` filled by a `TurnView`
(answers as `AssistantMessage`s, with their tool calls; notices and errors), so a column
renders as fast as the main view, by the same code. The column's raw chunks go to an
inspector of its own, hidden until asked for.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tuichat.core.text import strip_control
from tuichat.session.compare import ColumnStats
from tuichat.ui.turn_view import TurnView
from tuichat.ui.widgets.inspector import Inspector
from tuichat.ui.widgets.message_list import MessageList


class CompareColumnView(Vertical, can_focus=True):
    """A column: its number and label, its stats line, its answer and its hidden inspector.

    Args:
        number: its place, from 1 (the key that keeps its answer).
        label: who answers: the profile (or endpoint) and the model.
    """

    def __init__(self, number: int, label: str) -> None:
        super().__init__(classes="compare-column")
        self.number = number
        self.label = label
        self.title = Static(Content(strip_control(f"{number} {label}")), classes="column-title")
        self.stats = Static(Content("waiting…"), classes="column-stats")
        self.answers = MessageList(id=f"column-answers-{number}")
        self.inspector = Inspector(id=f"column-inspector-{number}")
        self.turn: TurnView | None = None  # made once mounted (its answer list must be)
        self.state = "waiting"  # waiting, streaming, done, failed, cancelled

    def compose(self) -> ComposeResult:
        yield self.title
        yield self.stats
        yield self.answers
        yield self.inspector

    def on_mount(self) -> None:
        self.inspector.display = False

    def show_stats(self, stats: ColumnStats) -> None:
        """Show how the answer is going (or went)."""
        line = " · ".join(stats.parts())
        if self.state == "cancelled":
            line += " · cancelled"
        elif self.state == "failed":
            line += " · failed"
        self.stats.update(Content(line))

    def set_state(self, state: str) -> None:
        """Say how the answer is doing: the column's look follows (`-done`, `-failed`...)."""
        for old in ("waiting", "streaming", "done", "failed", "cancelled"):
            self.remove_class(f"-{old}")
        self.state = state
        self.add_class(f"-{state}")
