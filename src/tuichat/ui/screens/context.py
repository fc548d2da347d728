"""The Context screen: what the next request sends, and the way out when it is too much.

One row per prompt, answer (its tool results with it), summary and the system prompt: in use
(`●`) or left out (`○`), its role, its tokens (as the server counted them, or `~` estimated)
and its first line. Space leaves the highlighted row (or the rows marked) out of what is sent,
or puts them back: the conversation shows them dimmed, the history keeps them. `v` marks the
start of a range (Shift+Up/Down marks as it moves), `s` has the model in use summarise it into
one message sent in its place: they are left out, and Space on the summary puts them back
(leaving the summary out). Esc cancels a summary being written, clears the marks, or closes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tuichat.core.text import counted, strip_control
from tuichat.session.context import BUSY, ContextError, ContextItem
from tuichat.session.context_budget import short_count
from tuichat.session.context_summary import write_summary
from tuichat.session.session import ChatSession
from tuichat.ui.option_keys import move_highlight

ROLES = {"system": "system", "user": "you", "answer": "answer", "tool": "tool"}
PREVIEW = 300  # characters of a row's first line (the panel's edge cuts it where it must)
PROGRESS_TICK = 0.25  # seconds between updates of "summarising…"
HINT = "Space leave out/put back · v mark range · s summarise · Esc close"
ABOUT = "What the next request sends. Left out: dimmed in the conversation, kept in the history."


def row_content(item: ContextItem, marked: bool) -> Content:
    """One row: marked or not, in use or left out, role, tokens, first line (literal)."""
    tone = "$text-muted" if item.left_out else ""
    summary = item.summary
    role = "summary" if summary is not None else ROLES.get(item.kind, item.kind)
    tokens = ("" if item.counted else "~") + short_count(item.tokens)
    preview = strip_control(item.preview())[:PREVIEW]
    if summary is not None:
        preview = f"of {counted(int(summary.get('count') or 0), 'message')}: {preview}"
    parts: list[str | tuple[str, str]] = [
        ("▌" if marked else " ", "$accent"),
        ("○ " if item.left_out else "● ", tone or "$text-success"),
        (f"{role:<8}", tone or "$text-secondary"),
        (f"{tokens:>7}  ", tone),
    ]
    if item.left_out:  # before the first line, which the panel's edge may cut
        parts.append(("left out  ", "$text-warning"))
    parts.append((preview, tone))
    return Content.assemble(*parts)


def row_state(item: ContextItem, marked: bool) -> tuple[bool, bool, int, bool]:
    """What a row shows that can change while the screen is open."""
    return item.left_out, marked, item.tokens, item.counted


class ContextRows(OptionList):
    """The rows. Up and Down stop at the first and the last row: wrapping round, Down on the
    last row would highlight the first, and a range marked with `v` would end far from where
    it was meant to."""

    def action_cursor_up(self) -> None:
        move_highlight(self, -1)

    def action_cursor_down(self) -> None:
        move_highlight(self, 1)


class ContextScreen(ModalScreen[None]):
    """Leave messages out of what is sent, put them back, summarise a range."""

    CSS_PATH = "context.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Close", id="context_close"),
        Binding("space", "switch", "Leave out / put back", id="context_toggle"),
        Binding("v", "mark", "Mark a range", id="context_mark"),
        Binding("s", "summarise", "Summarise", id="context_summarise"),
        Binding("shift+up", "extend(-1)", "Mark upwards", show=False, id="context_mark_up"),
        Binding("shift+down", "extend(1)", "Mark downwards", show=False, id="context_mark_down"),
    ]

    def __init__(
        self,
        session: ChatSession,
        *,
        changed: Callable[[], Awaitable[None]],
        budget: Callable[[], str],
        busy: Callable[[], bool],
    ) -> None:
        """Show the conversation's context.

        Args:
            session: the conversation.
            changed: brings the conversation shown in line (after each change).
            budget: what the prompt's border says of the context window.
            busy: whether an answer is arriving (nothing can change then).
        """
        super().__init__()
        self.session = session
        self.changed = changed
        self.budget = budget
        self.busy = busy
        self.items: list[ContextItem] = []
        self.range_start: int | None = None  # where the range being marked starts
        self._drawn: list[tuple[bool, bool, int, bool]] = []  # each row's `row_state` as drawn
        self._progress: Timer | None = None
        self._written = 0  # characters of the summary being written

    def compose(self) -> ComposeResult:
        with Vertical(id="context-panel"):
            yield Static(Content("Context"), id="context-title")
            yield ContextRows(id="context-list")
            yield Static(Content(ABOUT), id="context-status")
            yield Static(Content(HINT), id="context-hint")

    def on_mount(self) -> None:
        self.options.focus()
        self.load()

    @property
    def options(self) -> OptionList:
        """The rows."""
        return self.query_one("#context-list", OptionList)

    @property
    def summarising(self) -> bool:
        """Whether a summary is being written."""
        return any(w.group == "context-summary" and w.is_running for w in self.workers)

    # -- the rows --------------------------------------------------------------------------

    @work(group="context-items", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        """Read the items and show them."""
        await self.fill()

    async def fill(self, highlight: dict[str, Any] | None = None) -> None:
        """Read the items again and show them, the highlight on the row of the message
        `highlight`, else where it was, else on the first row (the oldest message, what a
        conversation too long for its window can best do without)."""
        before = self.options.highlighted
        self.items = await self.session.context.items()
        self.range_start = None
        options = self.options
        options.clear_options()
        self._drawn = [row_state(item, False) for item in self.items]
        options.add_options([Option(row_content(item, False)) for item in self.items])
        if not self.items:
            self._say("Nothing is sent yet: the conversation has no message.")
        at = next((i for i, item in enumerate(self.items) if item.message is highlight), None)
        if at is None and before is not None and before < len(self.items):
            at = before
        if self.items:
            options.highlighted = 0 if at is None else at
        self._show_title()

    async def recount(self) -> None:
        """Read the items' counts again and draw the rows whose count changed: leaving a
        message out or putting it back changes whether the server's counts of the later
        ones still hold (`~` when not)."""
        items = await self.session.context.items()
        same = len(items) == len(self.items) and all(
            new.message is old.message for new, old in zip(items, self.items, strict=True)
        )
        if not same:  # the conversation changed under the screen
            await self.fill()
            return
        self.items = items
        self._redraw()

    def _show_title(self) -> None:
        left_out = sum(1 for item in self.items if item.left_out)
        title = Content.assemble(
            ("Context", "bold"),
            f" · {self.budget()}",
            (f" · {left_out} of {len(self.items)} left out", "$text-muted"),
        )
        self.query_one("#context-title", Static).update(title)

    def _marked(self) -> range:
        highlighted = self.options.highlighted
        if self.range_start is None or highlighted is None:
            return range(0)
        return range(min(self.range_start, highlighted), max(self.range_start, highlighted) + 1)

    def _redraw(self) -> None:
        """Draw again the rows whose state changed (left out, marked, tokens)."""
        marked = self._marked()
        options = self.options
        for index, item in enumerate(self.items):
            state = row_state(item, index in marked)
            if index < len(self._drawn) and self._drawn[index] != state:
                self._drawn[index] = state
                options.replace_option_prompt_at_index(index, row_content(item, index in marked))

    def _chosen(self) -> list[ContextItem]:
        """The rows marked, else the highlighted one."""
        marked = self._marked()
        if marked:
            return [self.items[i] for i in marked]
        highlighted = self.options.highlighted
        if highlighted is None or not 0 <= highlighted < len(self.items):
            return []
        return [self.items[highlighted]]

    @on(OptionList.OptionHighlighted, "#context-list")
    def _moved(self) -> None:
        if self.range_start is not None:
            self._redraw()

    @on(OptionList.OptionSelected, "#context-list")
    async def _selected(self) -> None:
        await self.action_switch()  # Enter does what Space does

    def _say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#context-status", Static)
        status.update(Content(text))
        status.set_class(error, "-error")

    # -- actions ---------------------------------------------------------------------------

    def action_mark(self) -> None:
        """Start marking a range at the highlighted row (again: stop marking)."""
        if self.range_start is not None:
            self.range_start = None
            self._say(ABOUT)
        elif self.options.highlighted is not None:
            self.range_start = self.options.highlighted
            self._say("Marking: move to the range's other end, then s summarises it.")
        self._redraw()

    def action_extend(self, step: int) -> None:
        """Mark from the highlighted row on, one row up (-1) or down (1)."""
        options = self.options
        if options.highlighted is None:
            return
        if self.range_start is None:
            self.range_start = options.highlighted
        move_highlight(options, step)
        self._redraw()

    async def action_switch(self) -> None:
        """Leave the rows chosen out of what is sent, or put them back (all in use: out)."""
        chosen = self._chosen()
        if not chosen:
            return
        if self.busy() or self.summarising:
            self.notify(BUSY if self.busy() else "A summary is being written.", severity="warning")
            return
        left_out = not all(item.left_out for item in chosen)
        try:
            await self.session.context.set_left_out(chosen, left_out)
        except ContextError as error:
            self._say(str(error), error=True)
            return
        self.range_start = None
        await self.recount()
        self._say(_toggled(chosen, left_out))
        await self.changed()
        self._show_title()

    def action_summarise(self) -> None:
        """Have the model summarise the rows marked (else the highlighted one)."""
        chosen = self._chosen()
        if not chosen or self.summarising:
            return
        if self.busy():
            self.notify(BUSY, severity="warning")
            return
        self.summarise(chosen)

    def action_back(self) -> None:
        """Cancel the summary being written; else clear the marks; else close."""
        if self.summarising:
            self.workers.cancel_group(self, "context-summary")
        elif self.range_start is not None:
            self.action_mark()
        else:
            self.dismiss(None)

    # -- summarising -----------------------------------------------------------------------

    @work(group="context-summary", exclusive=True, exit_on_error=False)
    async def summarise(self, items: Sequence[ContextItem]) -> None:
        """Ask for the summary, showing its progress; put it in place, or say why not."""
        model = strip_control(self.session.provider.model)
        used = [item for item in items if not item.left_out and item.kind != "system"]
        what = counted(len(used), "message")
        started = time.monotonic()
        self._written = 0

        def progress() -> None:
            elapsed = time.monotonic() - started
            arrived = f" · {self._written:,} characters" if self._written else ""
            self._say(f"{model} is summarising {what}… {elapsed:.1f} s{arrived} · Esc cancels")

        progress()
        self._progress = self.set_interval(PROGRESS_TICK, progress)
        try:
            summary = await write_summary(self.session.context, items, self._arrived)
        except ContextError as error:
            self._say(str(error), error=True)
            return
        except asyncio.CancelledError:
            self._say("The summary was cancelled. Nothing changed.", error=True)
            raise
        finally:
            self._progress.stop()
        self._say(
            f"Summary of {what} by {model}: sent in their place, and they are left out "
            "(Space on the summary puts them back)."
        )
        await self.fill(highlight=summary.message)
        await self.changed()
        self._show_title()

    def _arrived(self, characters: int) -> None:
        self._written = characters


def _toggled(items: Sequence[ContextItem], left_out: bool) -> str:
    what = "it" if len(items) == 1 else f"these {len(items)}"
    if any(item.summary is not None for item in items):
        if left_out:
            return f"Left {what} out; what the summary replaced is sent again."
        return f"Put {what} back; what the summary replaced is left out again."
    if left_out:
        return f"Left {what} out of what is sent (kept in the history, dimmed); Space puts back."
    return f"Put {what} back: sent again."
