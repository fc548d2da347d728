"""The versions of the messages a chat screen shows: their marks, which one is selected, and
stepping to another version (the conversation below follows it).

A message has versions when an answer was regenerated (its versions are the answers to one
prompt) or a prompt edited and sent again (the prompts after one message). The marks come
from the conversation's tree in the history (`ChatSession.branches`), read again after each
turn. Stepping makes the branch through the other version the one shown (`ChatSession.
switch_branch`): the session's messages become it, so the next prompt continues from it,
and the history remembers it for `--continue` and `tuichat export`.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen
from textual.widget import Widget

from tuichat.session.session import ChatSession
from tuichat.storage.branches import BranchTree
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import StoredMessage
from tuichat.ui.screens.inspecting import highlight
from tuichat.ui.widgets.attachment_chip import AttachedPrompt
from tuichat.ui.widgets.chat_message import AssistantMessage
from tuichat.ui.widgets.message_list import Entry, MessageList, entries_for_history
from tuichat.ui.widgets.version_mark import VersionPlace


def entries_for_rows(rows: list[StoredMessage]) -> list[Entry]:
    """The entries that show saved messages (with their ids)."""
    return entries_for_history([row.message for row in rows], [row.id for row in rows])


def _first_id(entry: Entry) -> int | None:
    ids = entry.message_ids
    return ids[0] if ids else None


class VersionNavigation:
    """Marks the messages of a conversation that have versions, and steps through them.

    Args:
        screen: the chat screen (its notifications, its workers).
        messages: the conversation's entries.
        session: the conversation.
        changed: called after another branch is shown (the inspector forgets its answer).
    """

    def __init__(
        self,
        screen: Screen[None],
        messages: MessageList,
        session: ChatSession,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self._screen = screen
        self._messages = messages
        self._session = session
        self._changed = changed
        self.tree: BranchTree | None = None  # as read after the last turn or step
        self.selected: int | None = None  # the message the keys step (None: the last marked)

    # -- the marks -------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read the conversation's tree again and mark every message that has versions."""
        try:
            self.tree = await self._session.branches()
        except (StorageError, RuntimeError):  # RuntimeError: the history closed meanwhile
            self.tree = None  # marks are a convenience: the conversation goes on without
        self._fill_prompt_ids()
        self._mark()

    def forget(self) -> None:
        """Another conversation is shown (or none): no marks until the next refresh."""
        self.tree = None
        self.selected = None

    def _fill_prompt_ids(self) -> None:
        """Give prompts sent in this session their stored ids (the history wrote them in the
        order they were sent; answers get theirs from the recorder)."""
        tree = self.tree
        if tree is None:
            return
        saved = [i for i in tree.shown if tree.nodes[i].role == "user"]
        prompts = [entry for entry in self._messages.entries if entry.kind == "user"]
        if len(saved) == len(prompts):
            for entry, message_id in zip(prompts, saved, strict=True):
                entry.prompt_ids = (message_id,)

    def _versions_of(self, entry: Entry) -> list[int]:
        message_id = _first_id(entry)
        tree = self.tree
        if tree is None or message_id is None or message_id not in tree:
            return []
        if entry.kind not in ("user", "answer"):
            return []
        versions = tree.versions(message_id)
        return versions if len(versions) > 1 else []

    def marked(self) -> list[Entry]:
        """The entries shown whose message has other versions, in order."""
        return [entry for entry in self._messages.entries if self._versions_of(entry)]

    def selected_entry(self) -> Entry | None:
        """The entry the version keys act on: the one selected, else the last marked."""
        marked = self.marked()
        chosen = next((e for e in marked if _first_id(e) == self.selected), None)
        return chosen or (marked[-1] if marked else None)

    def _mark(self) -> None:
        selected = self.selected_entry()
        for entry in self._messages.entries:
            versions = self._versions_of(entry)
            message_id = _first_id(entry)
            place = None
            if versions and message_id is not None:
                place = VersionPlace(
                    message_id,
                    versions.index(message_id) + 1,
                    len(versions),
                    selected=entry is selected,
                    answer=entry.kind == "answer",
                )
            if place != entry.versions:
                self._messages.set_versions(entry, place)

    # -- selecting and stepping -----------------------------------------------------------

    async def select(self, step: int) -> bool:
        """Select the marked message above (-1) or below (1) the selected one, and show it.

        Returns:
            Whether there is a marked message to select.
        """
        marked = self.marked()
        current = self.selected_entry()
        if current is None:
            return False
        index = max(0, min(len(marked) - 1, marked.index(current) + step))
        entry = marked[index]
        self.selected = _first_id(entry)
        self._mark()
        await self._bring_into_view(entry)
        return True

    async def _bring_into_view(self, entry: Entry) -> None:
        messages = self._messages
        if entry.widget is None:
            await messages.show(messages.entries, around=messages.entries.index(entry))
        widget = entry.widget
        if widget is not None:
            messages.scroll_to_widget(_mark_of(widget), animate=False)
            highlight(self._screen, widget)

    async def step_selected(self, step: int) -> bool:
        """Show the previous (-1) or next (1) version of the selected message.

        Returns:
            Whether a message is selected (there may be no version that way).
        """
        entry = self.selected_entry()
        message_id = _first_id(entry) if entry is not None else None
        if message_id is None:
            return False
        await self.step(message_id, step)
        return True

    async def step(self, message_id: int, step: int) -> None:
        """Show the version before (-1) or after (1) this one of its message."""
        tree = self.tree
        if tree is None or message_id not in tree:
            return
        versions = tree.versions(message_id)
        index = versions.index(message_id) + step
        if not 0 <= index < len(versions):
            which = "first" if step < 0 else "last"
            self._screen.notify(f"This is the {which} of {len(versions)} versions.")
            return
        shown = versions[index]
        await self.show(shown)
        # The message keeps its place on screen; a longer version would push its mark (where
        # the keys step) below the view: then the view follows the mark down, no further.
        entry = next((e for e in self._messages.entries if shown in e.message_ids), None)
        if entry is not None and entry.widget is not None:
            mark = _mark_of(entry.widget)
            self._messages.call_after_refresh(
                lambda: self._messages.scroll_to_widget(mark, animate=False)
            )

    async def show(self, message_id: int, *, to_leaf: bool = True, scroll: bool = False) -> bool:
        """Show the branch through a message: the conversation from there on follows it.

        Args:
            message_id: a saved message of the conversation shown.
            to_leaf: go on below it along the versions shown last (else end at it).
            scroll: bring the message into view (it was picked elsewhere, e.g. in the tree).

        Returns:
            Whether it is shown.
        """
        unsaved = [
            entry
            for entry in self._messages.entries
            if entry.kind in ("user", "answer") and not entry.message_ids
        ]
        if unsaved:
            self._screen.notify(
                "Part of this conversation is not saved (--no-save, or the history could not "
                "be written): showing another version would lose it.",
                title="Branch not shown",
                severity="warning",
            )
            return False
        try:
            rows = await self._session.switch_branch(message_id, to_leaf=to_leaf)
        except StorageError as error:
            self._screen.notify(str(error), title="Branch not shown", severity="error")
            return False
        if rows is None:
            return False
        new = entries_for_rows(rows)
        old = self._messages.entries
        kept = shared = 0
        while kept < len(old) and shared < len(new):
            if old[kept].kind == "note":  # tuichat's own notes stay where they were
                kept += 1
            elif _first_id(old[kept]) is not None and _first_id(old[kept]) == _first_id(
                new[shared]
            ):
                kept, shared = kept + 1, shared + 1
            else:
                break
        await self._messages.replace_from(kept, new[shared:])
        self.selected = message_id
        self._changed()
        await self.refresh()
        if scroll:
            target = next((e for e in self._messages.entries if message_id in e.message_ids), None)
            if target is not None:
                await self._bring_into_view(target)
        return True


def _mark_of(widget: Widget) -> Widget:
    """Where a message's versions are marked: under an answer, maybe a screen or more below
    its first line, under a prompt's files; else the message itself."""
    if isinstance(widget, AssistantMessage | AttachedPrompt):
        return widget.versions_view
    return widget
