"""Which answer the inspector shows: the live turn, or the saved chunks of an earlier answer.

Alt+Up / Alt+Down step through the conversation's answers (a click picks one while the panel
is open); stepping past the last saved answer goes back to this session's live feed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.screen import Screen
from textual.widget import Widget

from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.errors import StorageError
from tuichat.ui.widgets.inspector import Inspector
from tuichat.ui.widgets.message_list import Entry, MessageList

FOUND_HIGHLIGHT = 3.0  # seconds an answer picked for the inspector stays highlighted


def highlight(screen: Screen[None], widget: Widget) -> None:
    """Mark a message for a moment (one just scrolled to).

    On the frame after the scroll: changing its style in the frame that scrolls leaves parts
    of the old view on a real terminal (seen in tmux, not in headless tests).
    """
    screen.call_after_refresh(widget.add_class, "-found")
    screen.set_timer(FOUND_HIGHLIGHT, partial(widget.remove_class, "-found"))


class InspectorNavigation:
    """Moves the inspector between the answers of the conversation a screen shows.

    Args:
        screen: the screen whose workers load saved chunks.
        messages: the conversation's entries.
        inspector: the panel.
        history: the history saved chunks come from (None: nothing is saved).
        live: the answers of the turn whose chunks the live feed holds.
    """

    def __init__(
        self,
        screen: Screen[None],
        messages: MessageList,
        inspector: Inspector,
        history: Callable[[], AsyncHistory | None],
        live: Callable[[], list[Entry]],
    ) -> None:
        self._screen = screen
        self._messages = messages
        self._inspector = inspector
        self._history = history
        self._live = live
        self.inspected: Entry | None = None  # the answer whose saved chunks are shown

    def answers(self) -> list[Entry]:
        """The conversation's answers, in order (shown or not)."""
        return [entry for entry in self._messages.entries if entry.kind == "answer"]

    def toggle(self) -> None:
        """Show or hide the panel; shown on a reopened conversation, with its last answer."""
        inspector = self._inspector
        inspector.display = not inspector.display
        fresh = not inspector.feed and inspector.saved_title is None
        if inspector.display and fresh and self.answers():
            self.step(-1)

    def new_turn(self) -> None:
        """A turn starts: the panel follows its chunks."""
        self.inspected = None
        self._inspector.new_turn()

    def forget(self) -> None:
        """Another conversation is shown: the panel leaves the previous one's chunks."""
        self.new_turn()
        if self._inspector.display and self.answers():
            self.step(-1)

    def step(self, step: int) -> None:
        """Show the raw chunks of the answer before (-1) or after (1) the one shown."""
        answers = self.answers()
        if not answers:
            self._screen.notify("There is no answer to inspect yet.", severity="warning")
            return
        inspector = self._inspector
        if self.inspected in answers:
            position = answers.index(self.inspected) + step
        else:  # the live feed shows the last turn's answers: step to the one before them
            live = [entry for entry in self._live() if entry in answers] if inspector.feed else []
            first_live = answers.index(live[0]) if live else len(answers)
            position = first_live - 1 if step < 0 else len(answers)
        if position >= len(answers) and inspector.feed:
            self.inspected = None
            inspector.show_live()  # past the last saved answer: this session's turn
            inspector.display = True
            return
        self.inspect(answers[max(0, min(position, len(answers) - 1))])

    def inspect(self, entry: Entry) -> None:
        """Show the saved raw chunks of an answer in the inspector."""
        self.inspected = entry
        self._inspector.display = True
        widget = entry.widget
        if widget is not None and widget.is_mounted:
            self._messages.scroll_to_widget(widget, animate=False, top=True)
            highlight(self._screen, widget)
        history = self._history()
        title = f"answer {self.answers().index(entry) + 1} (saved)"
        stored = entry.answer.stored_id if entry.answer is not None else None
        if entry.live:
            self._inspector.show_live()  # still arriving: the live feed is this answer
        elif history is None or stored is None:
            self._inspector.show_saved(f"{title} · not saved: the history is off", [])
        else:
            self._screen.run_worker(
                self._load(history, stored, title),
                group="inspect",
                exclusive=True,
                exit_on_error=False,
            )

    async def _load(self, history: AsyncHistory, message_id: int, title: str) -> None:
        try:
            chunks = list(await history.load_wire_records(message_id))
        except StorageError as error:
            self._screen.notify(str(error), title="History not available", severity="error")
            return
        if not chunks:
            title += " · no raw chunks were saved for it ([history] save_raw_chunks = false?)"
        self._inspector.show_saved(title, chunks)
