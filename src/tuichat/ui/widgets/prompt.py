"""The multi-line prompt: Enter sends, Ctrl+J / Shift+Enter / Alt+Enter insert a newline.

Up on an empty prompt recalls earlier prompts (this session's, then the history's), and Down
goes forward again; while the prompt holds a recalled prompt unchanged, Up on its first line
and Down on its last keep browsing. Otherwise the arrows move the cursor as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from tuichat.ui.warmup import warm_up

NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "alt+enter", "ctrl+enter"})
RECALL_LIMIT = 500  # prompts kept for Up-arrow recall
WARM_UP_DELAY = 0.3  # seconds after the prompt's first refresh (see on_mount)


class PromptInput(TextArea):
    """Where the user types."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "home", "Top", show=False),
        Binding("end", "end", "Bottom", show=False),
    ]

    @dataclass
    class Submitted(Message):
        """The user pressed Enter with some text."""

        prompt: PromptInput
        text: str

    @dataclass
    class ScrollRequested(Message):
        """Home/End on an empty prompt scroll the conversation instead."""

        where: str  # "home" or "end"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, compact=True)
        self.placeholder = "Message (Enter sends, Ctrl+J newline, F2 inspector, Esc cancels)"
        self.recall: list[str] = []  # earlier prompts, newest first, each once
        self._recall_index = -1  # the prompt shown from `recall`; -1: not browsing
        self._recalled: str | None = None

    def on_mount(self) -> None:
        # What answering a prompt needs is imported in a thread once this prompt is on
        # screen: start-up does not wait for it, and (most likely) the first answer need not.
        # Not at the first refresh: the app applies its theme after that and paints the
        # first frame again, which a thread importing beside it would slow down (measured).
        self.call_after_refresh(self.set_timer, WARM_UP_DELAY, warm_up)

    # -- recall ---------------------------------------------------------------------------

    def remember(self, text: str) -> None:
        """Add a prompt just sent to the recall list (and stop browsing)."""
        if text in self.recall:
            self.recall.remove(text)
        self.recall.insert(0, text)
        del self.recall[RECALL_LIMIT:]
        self._recall_index = -1

    def add_saved_prompts(self, prompts: Iterable[str]) -> None:
        """Add prompts from the history (newest first) after this session's own."""
        known = set(self.recall)
        for prompt in prompts:
            if prompt not in known:
                known.add(prompt)
                self.recall.append(prompt)
        del self.recall[RECALL_LIMIT:]

    @property
    def browsing(self) -> bool:
        """Whether the prompt shows a recalled prompt, unchanged."""
        return self._recall_index >= 0 and self.text == self._recalled

    def _show_recalled(self, index: int) -> None:
        self._recall_index = index
        text = self.recall[index] if index >= 0 else ""
        self._recalled = text if index >= 0 else None
        self.load_text(text)
        self.move_cursor(self.document.end)

    def _recall_older(self) -> bool:
        """Up: the previous prompt, when the prompt is empty or browsing, on the first line."""
        if self.text and not self.browsing:
            return False
        if not self.navigator.is_first_wrapped_line(self.cursor_location):
            return False
        index = self._recall_index if self.browsing else -1
        if index + 1 >= len(self.recall):
            return bool(self.text)  # at the oldest: stay (an empty prompt just moves nothing)
        self._show_recalled(index + 1)
        return True

    def _recall_newer(self) -> bool:
        """Down: the next prompt (or the empty prompt again), while browsing, on the last line."""
        if not self.browsing or not self.navigator.is_last_wrapped_line(self.cursor_location):
            return False
        self._show_recalled(self._recall_index - 1)
        return True

    # -- keys ------------------------------------------------------------------------------

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
        if (event.key == "up" and self._recall_older()) or (
            event.key == "down" and self._recall_newer()
        ):
            event.stop()
            event.prevent_default()
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
