"""The multi-line prompt: Enter sends, Ctrl+J / Shift+Enter / Alt+Enter insert a newline,
Tab completes an `@path` being typed (elsewhere it moves the focus, as usual).

Up on an empty prompt recalls earlier prompts (this session's, then the history's), and Down
goes forward again; while the prompt holds a recalled prompt unchanged, Up on its first line
and Down on its last keep browsing. Otherwise the arrows move the cursor as usual.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "alt+enter", "ctrl+enter"})
RECALL_LIMIT = 500  # prompts kept for Up-arrow recall
MATCHES_SHOWN = 12  # names listed when Tab has several to choose from
_TYPING_REFERENCE = re.compile(r'(?<!\S)@("[^"\n]*"?|[^\s"]*)$')  # an `@path` before the cursor


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

    # -- attachments ----------------------------------------------------------------------

    def complete_reference(self) -> bool:
        """Tab: complete the `@path` just before the cursor.

        Returns:
            Whether there was one to complete (then Tab does nothing else).
        """
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        typing = _TYPING_REFERENCE.search(before)
        if typing is None or self.selected_text:
            return False
        # Here, not with the module: the first frame shows a prompt before it needs this.
        from tuichat.session.attachments import complete

        completion = complete(typing.group(1), Path.cwd())
        if completion is None:
            self.notify(f"No file or directory fits {typing.group(0)}.", severity="warning")
            return True
        self.replace(completion.text, (row, typing.start()), (row, column))
        if len(completion.matches) > 1:
            shown = "  ".join(completion.matches[:MATCHES_SHOWN])
            more = len(completion.matches) - MATCHES_SHOWN
            self.notify(shown + (f"  … and {more} more" if more > 0 else ""), title="Matches")
        return True

    def insert_reference(self, path: Path) -> None:
        """Write an `@path` for a picked file at the cursor, spaced from the words around."""
        row, column = self.cursor_location
        line = self.document.get_line(row)
        space_before = " " if column > 0 and not line[column - 1].isspace() else ""
        space_after = "" if column < len(line) and line[column].isspace() else " "
        from tuichat.session.attachments import written_reference

        self.insert(space_before + written_reference(path, Path.cwd()) + space_after)

    # -- keys ------------------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text = self.text
            if text.strip():
                self.post_message(self.Submitted(self, text))
            return
        if event.key == "tab" and self.complete_reference():
            event.stop()
            event.prevent_default()
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
