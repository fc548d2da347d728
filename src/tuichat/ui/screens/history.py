"""The saved conversations: a list to open, rename and delete them, and full-text search.

Both screens talk to the history through `AsyncHistory` (its own thread, never blocking the
loop) and dismiss with a `HistoryChoice` that the chat screen acts on: open a conversation
(at a message, for a search result; on another branch, picked in its tree), start a new one,
or notice that the open one was deleted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from tuichat.core.text import counted, strip_control
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import ConversationSummary, SearchResult
from tuichat.ui.screens.branches import BranchChoice, BranchScreen

# Around each match in a search snippet: private-use characters, which message text does not
# contain (and which strip_control keeps), so model text is never taken for a marker.
MATCH_START = "\ue000"
MATCH_END = "\ue001"
SEARCH_DELAY = 0.15  # seconds of no typing before searching
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class HistoryChoice:
    """What the user chose in the conversation list or the search.

    Attributes:
        open: the conversation to open, if any.
        message_id: the message to show (a search result).
        new: start a new conversation.
        new_tab: open it in a tab of its own (not in the tab shown).
        deleted: conversations deleted meanwhile (if the open one is among them, it is gone).
        branch: show the branch through this message first (picked in the branch tree).
        to_leaf: with `branch`: go on below the message along the versions shown last with
            it (else the conversation ends at it).
    """

    open: int | None = None
    message_id: int | None = None
    new: bool = False
    new_tab: bool = False
    deleted: frozenset[int] = field(default_factory=frozenset)
    branch: int | None = None
    to_leaf: bool = True

    @classmethod
    def of_branch(
        cls, conversation_id: int, choice: BranchChoice, deleted: frozenset[int] = frozenset()
    ) -> HistoryChoice:
        """Open the conversation on the branch picked in its tree, at the message picked."""
        return cls(
            open=conversation_id,
            message_id=choice.message_id,
            branch=choice.message_id,
            to_leaf=choice.to_leaf,
            deleted=deleted,
        )


def when(timestamp: float, now: float | None = None) -> str:
    """A short local date: the time today, the day this year, else the full date."""
    moment, today = time.localtime(timestamp), time.localtime(now)
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M", moment)
    if moment.tm_year == today.tm_year:
        return time.strftime("%b %d", moment)
    return time.strftime("%Y-%m-%d", moment)


def highlight_snippet(snippet: str) -> Content:
    """A search snippet with its matches (between the markers) highlighted, all else literal."""
    parts: list[str | tuple[str, str]] = []
    for index, piece in enumerate(strip_control(snippet).split(MATCH_START)):
        if index == 0:
            parts.append(piece.replace(MATCH_END, ""))
            continue
        match, _, rest = piece.partition(MATCH_END)
        parts.append((match, "bold reverse $text-accent"))
        parts.append(rest)
    return Content.assemble(*parts)


class ConfirmDelete(ModalScreen[bool]):
    """Asks before a conversation is deleted (it cannot be undone)."""

    CSS_PATH = "history.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Delete", id="confirm_delete"),
        Binding("n,escape", "answer(False)", "Keep", id="keep_conversation"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.conversation_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-panel"):
            yield Static(
                Content.assemble(
                    "Delete ",
                    (self.conversation_title, "bold"),
                    "?\n",
                    ("Its messages are removed from the history for good.", "$text-muted"),
                ),
                id="confirm-question",
            )
            with Horizontal(id="confirm-buttons"):
                yield Button("Delete (y)", variant="error", id="delete")
                yield Button("Keep (n)", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def action_answer(self, delete: bool) -> None:
        self.dismiss(delete)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")


class ConversationList(ModalScreen[HistoryChoice]):
    """Saved conversations, newest first: Enter opens, b shows the branches, r renames,
    d deletes, ctrl+n new."""

    CSS_PATH = "history.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="conversations_close"),
        Binding("r", "rename", "Rename", id="conversations_rename"),
        Binding("b", "branches", "Branches", id="conversations_branches"),
        Binding("d,delete", "delete", "Delete", id="conversations_delete"),
        Binding("ctrl+n", "new", "New conversation", id="conversations_new"),
        # Alt+Enter arrives as Ctrl+J (tuichat.ui.keys); Shift+Enter where terminals tell it.
        Binding(
            "ctrl+j,shift+enter",
            "open_in_new_tab",
            "Open in a new tab",
            priority=True,
            id="conversations_new_tab",
        ),
    ]

    def __init__(self, history: AsyncHistory, current: int | None, *, busy: bool = False) -> None:
        """Show the list.

        Args:
            history: where conversations are.
            current: the conversation open on the chat screen.
            busy: an answer is arriving in `current` (it cannot be deleted meanwhile).
        """
        super().__init__()
        self.history = history
        self.current = current
        self.busy = busy
        self.summaries: list[ConversationSummary] = []
        self.deleted: set[int] = set()
        self._renaming: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="history-panel"):
            yield Static("Conversations", id="history-title")
            yield OptionList(id="conversations")
            yield Input(placeholder="a new title (empty: the first prompt)", id="rename-input")
            yield Static(
                "Enter open · Alt+Enter in a new tab · b branches · r rename · d delete · "
                "ctrl+n new · Esc close",
                id="history-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#rename-input").display = False
        self.query_one(OptionList).focus()
        self.load()

    @property
    def options(self) -> OptionList:
        """The list of conversations."""
        return self.query_one("#conversations", OptionList)

    @property
    def highlighted(self) -> ConversationSummary | None:
        """The conversation under the cursor."""
        index = self.options.highlighted
        if index is None or not 0 <= index < len(self.summaries):
            return None
        return self.summaries[index]

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load(self, keep: int | None = None) -> None:
        """(Re)read the list, keeping the cursor on conversation `keep` (else the open one)."""
        try:
            summaries = await self.history.list_conversations()
        except StorageError as error:
            self.notify(str(error), title="History not available", severity="error")
            return
        self.summaries = summaries
        options = self.options
        options.clear_options()
        options.add_options([self._option(summary) for summary in summaries])
        title = self.query_one("#history-title", Static)
        heading = f"Conversations ({len(summaries)})" if summaries else "No saved conversations yet"
        title.update(Content(heading))
        wanted = keep if keep is not None else self.current
        positions = {summary.id: index for index, summary in enumerate(summaries)}
        if summaries:
            options.highlighted = positions.get(wanted, 0) if wanted is not None else 0

    def _option(self, summary: ConversationSummary) -> Option:
        mark = "● " if summary.id == self.current else "  "
        details = " · ".join(
            part
            for part in (
                when(summary.updated),
                summary.model or "",
                counted(summary.message_count, "message"),
                counted(summary.branch_count, "branch", "branches")
                if summary.branch_count > 1
                else "",
            )
            if part
        )
        prompt = Content.assemble(
            (mark, "$accent"), (summary.title, "bold"), "\n  ", (details, "$text-muted")
        )
        return Option(prompt, id=str(summary.id))

    def action_branches(self) -> None:
        """Show the highlighted conversation's branches as a tree (open one from there)."""
        summary = self.highlighted
        if summary is None or self._renaming is not None:
            return
        busy = self.busy and summary.id == self.current

        def picked(choice: BranchChoice | None) -> None:
            if choice is not None:
                deleted = frozenset(self.deleted)
                self.dismiss(HistoryChoice.of_branch(summary.id, choice, deleted))

        self.app.push_screen(BranchScreen(self.history, summary.id, busy=busy), picked)

    def action_open_in_new_tab(self) -> None:
        """Open the highlighted conversation in a tab of its own."""
        summary = self.highlighted
        if summary is not None and self._renaming is None:
            self.dismiss(
                HistoryChoice(open=summary.id, new_tab=True, deleted=frozenset(self.deleted))
            )

    @on(OptionList.OptionSelected, "#conversations")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(HistoryChoice(open=int(event.option.id), deleted=frozenset(self.deleted)))

    def action_close(self) -> None:
        """Close the rename field if open, else the list."""
        if self._renaming is not None:
            self._stop_renaming()
            return
        self.dismiss(HistoryChoice(deleted=frozenset(self.deleted)))

    def action_new(self) -> None:
        """Close the list and start a new conversation."""
        self.dismiss(HistoryChoice(new=True, deleted=frozenset(self.deleted)))

    def action_rename(self) -> None:
        """Edit the highlighted conversation's title."""
        summary = self.highlighted
        if summary is None:
            return
        self._renaming = summary.id
        title_input = self.query_one("#rename-input", Input)
        title_input.value = summary.title
        title_input.display = True
        title_input.focus()

    def _stop_renaming(self) -> None:
        self._renaming = None
        self.query_one("#rename-input").display = False
        self.options.focus()

    @on(Input.Submitted, "#rename-input")
    async def _renamed(self, event: Input.Submitted) -> None:
        conversation_id = self._renaming
        if conversation_id is None:
            return
        try:
            await self.history.rename(conversation_id, event.value.strip() or None)
        except StorageError as error:
            self.notify(str(error), title="Not renamed", severity="error")
        self._stop_renaming()
        self.load(keep=conversation_id)

    def action_delete(self) -> None:
        """Delete the highlighted conversation, after asking."""
        summary = self.highlighted
        if summary is None:
            return
        if summary.id == self.current and self.busy:
            self.notify(
                "An answer is arriving in this conversation: Esc cancels it first.",
                severity="warning",
            )
            return

        async def confirmed(delete: bool | None) -> None:
            if not delete:
                return
            try:
                await self.history.delete(summary.id)
            except StorageError as error:
                self.notify(str(error), title="Not deleted", severity="error")
                return
            self.deleted.add(summary.id)
            index = self.summaries.index(summary)
            after = self.summaries[index + 1] if index + 1 < len(self.summaries) else None
            before = self.summaries[index - 1] if index > 0 else None
            neighbour = after or before
            self.notify(f"Deleted “{summary.title}”.")
            self.load(keep=neighbour.id if neighbour else None)

        self.app.push_screen(ConfirmDelete(summary.title), confirmed)


class SearchScreen(ModalScreen[HistoryChoice | None]):
    """Full-text search over every saved message; Enter opens the conversation there."""

    CSS_PATH = "history.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="search_close"),
        Binding("down", "move(1)", "Next", show=False, id="search_next"),
        Binding("up", "move(-1)", "Previous", show=False, id="search_previous"),
        Binding(
            "ctrl+j,shift+enter",
            "open_in_new_tab",
            "Open in a new tab",
            priority=True,
            id="search_new_tab",
        ),
    ]

    def __init__(self, history: AsyncHistory) -> None:
        super().__init__()
        self.history = history
        self.results: list[SearchResult] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-panel"):
            yield Static("Search the history", id="search-title")
            yield Input(
                placeholder='words to find ("exact phrase", prefix*, a OR b)', id="search-input"
            )
            yield Static("", id="search-status")
            yield OptionList(id="search-results")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search(self, query: str) -> None:
        """Search once typing pauses (a newer search cancels this one while it waits)."""
        await asyncio.sleep(SEARCH_DELAY)
        status = self.query_one("#search-status", Static)
        try:
            results = await self.history.search(
                query, SEARCH_LIMIT, markers=(MATCH_START, MATCH_END)
            )
        except StorageError as error:
            status.update(Content(f"Search failed: {error}"))
            return
        self.results = results
        options = self.query_one("#search-results", OptionList)
        options.clear_options()
        options.add_options([self._option(result) for result in results])
        if results:
            options.highlighted = 0
        if not query.strip():
            status.update("")
        else:
            many = "50+" if len(results) >= SEARCH_LIMIT else str(len(results) or "no")
            status.update(Content(f"{many} matches · Enter opens · Esc closes"))

    @staticmethod
    def _option(result: SearchResult) -> Option:
        prompt = Content.assemble(
            (result.title, "bold"),
            (f"  {result.role} · {when(result.created)}", "$text-muted"),
            "\n  ",
            highlight_snippet(result.snippet),
        )
        return Option(prompt, id=str(result.message_id))

    def action_move(self, step: int) -> None:
        options = self.query_one("#search-results", OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def _choose(self, index: int | None, new_tab: bool = False) -> None:
        if index is not None and 0 <= index < len(self.results):
            result = self.results[index]
            self.dismiss(
                HistoryChoice(
                    open=result.conversation_id, message_id=result.message_id, new_tab=new_tab
                )
            )

    def action_open_in_new_tab(self) -> None:
        """Open the conversation of the highlighted result in a tab of its own."""
        self._choose(self.query_one("#search-results", OptionList).highlighted, new_tab=True)

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._choose(self.query_one("#search-results", OptionList).highlighted)

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)
