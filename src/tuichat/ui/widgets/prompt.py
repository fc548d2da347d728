"""The multi-line prompt: Enter sends, Ctrl+J / Shift+Enter / Alt+Enter insert a newline."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "alt+enter", "ctrl+enter"})


class PromptInput(TextArea):
    """Where the user types."""

    BINDINGS = [
        Binding("home", "home", "Top", show=False),
        Binding("end", "end", "Bottom", show=False),
    ]

    @dataclass
    class Submitted(Message):
        """The user pressed Enter with some text."""

        prompt: "PromptInput"
        text: str

    @dataclass
    class ScrollRequested(Message):
        """Home/End on an empty prompt scroll the conversation instead."""

        where: str  # "home" or "end"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, compact=True)
        self.placeholder = "Message (Enter sends, Ctrl+J newline, F2 inspector, Esc cancels)"

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text = self.text
            if text.strip():
                self.post_message(self.Submitted(self, text))
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)

    def action_home(self) -> None:
        """Go to the line start, or to the top of the conversation when empty."""
        if self.text:
            self.action_cursor_line_start()
        else:
            self.post_message(self.ScrollRequested("home"))

    def action_end(self) -> None:
        """Go to the line end, or to the end of the conversation when empty."""
        if self.text:
            self.action_cursor_line_end()
        else:
            self.post_message(self.ScrollRequested("end"))
