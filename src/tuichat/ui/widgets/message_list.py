"""The scrollable conversation: a window of its entries is mounted, however long it is.

A reopened conversation can hold thousands of messages, and every answer is a
`StreamingMarkdown` that renders its Markdown on its first layout: mounting them all takes
seconds. `MessageList` keeps every entry (a prompt, an answer with its tool results, a
notice) as a recipe that builds its widget, and mounts only a contiguous window of them:
the newest on open, an earlier batch when the view nears the top of the window, a later one
near its bottom, and it unmounts entries far from the view so that at most about
`MAX_MOUNTED` are mounted. Home and End jump the window to either end.

While entries are added or removed above the view, the widget at the top of the view is
pinned: `arrange` (run by the compositor before it paints) moves the scroll offset so that
widget stays where it was, in the same frame, so nothing jumps.

Entries whose widget is live (an answer still streaming) have no recipe yet; they are never
unmounted, and the window keeps reaching the end while there are any.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.widget import Widget

from tuichat.session.events import Answer
from tuichat.ui.widgets.attachment_chip import AttachedPrompt, user_widget
from tuichat.ui.widgets.chat_message import AssistantMessage, UserMessage, answer_widget
from tuichat.ui.widgets.layout import settled_virtual_size
from tuichat.ui.widgets.scroll_bar import ChangedRowsScrolling
from tuichat.ui.widgets.summary_message import SummaryMessage
from tuichat.ui.widgets.version_mark import VersionPlace

OPEN_WINDOW = 30  # entries mounted when a conversation is shown (its newest)
# Entries mounted at once when the view nears an end of the window: each answer renders its
# Markdown on its first layout (~10 ms for a long one), so a small batch is a short pause.
BATCH = 10
EDGE_SCREENS = 2  # grow the window when the view is this many screens from its edge
KEEP_PAINT_SCREENS = 2  # widgets farther than this from the view drop their painted lines
MAX_MOUNTED = 100  # past this, entries at the far end of the window are unmounted

EntryKind = Literal["user", "answer", "summary", "note"]


@dataclass(eq=False)
class Entry:
    """One item of the conversation as shown.

    Attributes:
        kind: a prompt, an answer (with its tool results), a summary sent in place of some
            messages, or a notice/error of tuichat's.
        make: builds the entry's widget; None while the widget is live (still streaming).
        widget: the mounted widget, if the entry is in the window.
        answer: what an answer entry shows (its messages and their stored ids).
        prompt_ids: the stored id of a prompt entry's message, if saved.
        versions: its place among the versions of its message, when it has others.
        message: the message a summary entry shows.
        left_out: whether it is shown dimmed, left out of what is sent.
    """

    kind: EntryKind
    make: Callable[[], Widget] | None
    widget: Widget | None = None
    answer: Answer | None = None
    prompt_ids: tuple[int, ...] = ()
    versions: VersionPlace | None = None
    message: dict[str, Any] | None = None
    left_out: bool = False

    @property
    def live(self) -> bool:
        """Whether the widget cannot be rebuilt yet (so it must stay mounted)."""
        return self.make is None

    @property
    def message_ids(self) -> Sequence[int]:
        """The stored messages it shows (empty when not saved)."""
        return self.answer.message_ids if self.answer is not None else self.prompt_ids

    def settle(self) -> None:
        """The answer's round is over: from now on its widget can be rebuilt from its data."""
        if self.make is None and self.answer is not None:
            self.make = partial(answer_widget, self.answer)


def entries_for_history(
    messages: Sequence[dict[str, Any]], ids: Sequence[int] | None = None
) -> list[Entry]:
    """Entries showing saved messages: a prompt each, an answer with its tool results each.

    No widget is built until the entry is mounted. System messages are not shown, nor tool
    results without the call they answer.

    Args:
        messages: message dicts, as `Conversation.messages` holds them.
        ids: the stored id of each message, if known.
    """
    entries: list[Entry] = []
    answer: Answer | None = None
    make: Callable[[], Widget]
    for position, message in enumerate(messages):
        role = message.get("role")
        message_id = ids[position] if ids is not None else None
        if role == "tool":
            if answer is not None:
                answer.messages.append(message)
                if message_id is not None:
                    answer.message_ids.append(message_id)
            continue
        answer = None
        left_out = bool(message.get("left_out"))
        if "summary" in message:
            entries.append(summary_entry(message))
        elif role == "user":
            prompt_ids = () if message_id is None else (message_id,)
            make = partial(user_widget, message)
            entries.append(Entry("user", make, prompt_ids=prompt_ids, left_out=left_out))
        elif role == "assistant":
            answer = Answer([message], [] if message_id is None else [message_id])
            make = partial(answer_widget, answer)
            entries.append(Entry("answer", make, answer=answer, left_out=left_out))
    return entries


def summary_entry(message: dict[str, Any]) -> Entry:
    """The entry of a summary sent in place of some messages."""
    make = partial(SummaryMessage, message)
    return Entry("summary", make, message=message, left_out=bool(message.get("left_out")))


def _show_versions(widget: Widget, place: VersionPlace | None) -> None:
    if isinstance(widget, UserMessage | AssistantMessage | AttachedPrompt):
        widget.show_versions(place)


def _show_left_out(widget: Widget, left_out: bool) -> None:
    if isinstance(widget, UserMessage | AssistantMessage | AttachedPrompt | SummaryMessage):
        widget.show_left_out(left_out)


class MessageList(VerticalScroll, ChangedRowsScrolling):
    """The scrollable conversation. Anchored: it follows new text while at the bottom."""

    can_focus = False
    virtual_size = settled_virtual_size()  # one layout per change of height (see layout.py)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Entry] = []
        self.start = 0  # entries[start:end] are mounted, in order
        self.end = 0
        # (widget, rows from the top of the view): keep it there while the window changes.
        self._pin: tuple[Widget, int] | None = None
        self._arrangement: DockArrangeResult | None = None  # the last one, for positions
        self._moving = asyncio.Lock()  # held while the window changes
        self._check_scheduled = False
        self._painted: set[Widget] = set()  # children near the view (so probably painted)

    # -- what is shown --------------------------------------------------------------------

    @property
    def mounted_count(self) -> int:
        """How many entries have a widget mounted."""
        return self.end - self.start

    @property
    def at_end(self) -> bool:
        """Whether the window reaches the newest entry."""
        return self.end == len(self.entries)

    def entry_of(self, widget: Widget) -> Entry | None:
        """The entry a mounted widget shows."""
        for entry in reversed(self.entries[self.start : self.end]):
            if entry.widget is widget:
                return entry
        return None

    def add(
        self,
        widget: Widget,
        make: Callable[[], Widget] | None,
        kind: EntryKind,
        answer: Answer | None = None,
    ) -> Entry:
        """Show a new entry at the end of the conversation.

        Args:
            widget: its widget, built already (a live answer, a prompt just sent).
            make: rebuilds an equivalent widget later; None while the widget is live.
            kind: what it is.
            answer: what a live answer entry shows (it can be rebuilt from it once settled).

        Returns:
            The entry (a live answer's is settled with `Entry.settle` when its turn ends).
        """
        entry = Entry(kind, make, answer=answer)
        self.entries.append(entry)
        if self.end == len(self.entries) - 1:
            entry.widget = widget
            self.end += 1
            self.mount(widget)
        elif make is None:  # never left unmounted: it must be seen receiving text
            raise RuntimeError("a live entry added while the window is not at the end")
        return entry

    def discard(self, widget: Widget) -> None:
        """Remove the entry showing this widget (an answer that never received anything)."""
        entry = self.entry_of(widget)
        if entry is None:
            return
        index = self.entries.index(entry)
        del self.entries[index]
        self.end -= 1
        if index < self.start:
            self.start -= 1
        widget.remove()

    def truncate(self, index: int) -> None:
        """Remove the entries from `index` on (their widgets too): regenerate, edit."""
        removed = [e.widget for e in self.entries[index:] if e.widget is not None]
        del self.entries[index:]
        self.start = min(self.start, index)
        self.end = min(self.end, index)
        if removed:
            self.remove_children(removed)

    def set_versions(self, entry: Entry, place: VersionPlace | None) -> None:
        """Show an entry's place among its versions (kept when its widget is built again)."""
        entry.versions = place
        if entry.widget is not None:
            _show_versions(entry.widget, place)

    def set_left_out(self, entry: Entry, left_out: bool) -> None:
        """Show an entry dimmed, left out of what is sent, or not (kept when it is rebuilt)."""
        entry.left_out = left_out
        if entry.widget is not None:
            _show_left_out(entry.widget, left_out)

    async def insert(self, index: int, entry: Entry) -> None:
        """Show a new entry (none of it mounted) at `index`, the view staying where it is: a
        summary put among the messages it replaces."""
        async with self._moving:
            self.entries.insert(index, entry)
            if index < self.start:
                self.start, self.end = self.start + 1, self.end + 1
                return
            if index > self.end:
                return  # below the window: mounted when the view gets there
            self._pin_view()
            self.end += 1
            widget = self._build(index, index + 1)[0]
            following = self.entries[index + 1].widget if index + 1 < self.end else None
            await self.mount(widget, before=following)
        self._settled()

    async def replace_from(self, index: int, entries: list[Entry]) -> None:
        """Show other entries from `index` on (another branch of the conversation there).

        The entries above stay mounted and the view does not move: the first message in view
        keeps its place, or, when it is one of those replaced, the one that takes its place.

        Args:
            index: the first entry that changes.
            entries: what follows the entries kept (none of them mounted).
        """
        if index < self.start and self.end > self.start:  # the window is all below: rebuild
            kept = [*self.entries[:index], *entries]
            await self.show(kept, around=min(index, len(kept) - 1) if kept else None)
            return
        async with self._moving:
            self._pin_view()
            first = self.entries[index].widget if index < len(self.entries) else None
            first_offset = self._offset_in_view(first)
            gone = [e.widget for e in self.entries[index:] if e.widget is not None]
            del self.entries[index:]
            self.entries.extend(entries)
            if index <= self.end:
                end = min(len(self.entries), index + max(self.end - index, OPEN_WINDOW))
                widgets = self._build(index, end)
                self.end = end
                if self._pin is not None and self._pin[0] in gone:
                    # The first message in view is replaced: the new one takes its place.
                    self._pin = (widgets[0], first_offset or 0) if widgets else None
                if not self._has_live():
                    self.anchor(False)  # the branch shown is read from where it changes
                if widgets:
                    await self.mount_all(widgets)
            if gone:
                await self.remove_children(gone)
        self._settled()

    def _offset_in_view(self, widget: Widget | None) -> int | None:
        """Rows from the top of the view to the top of a mounted widget (None: not placed)."""
        if widget is None or self._arrangement is None:
            return None
        top = round(self.scroll_y)
        for placement in self._arrangement.placements:
            if placement.widget is widget:
                return placement.region.y - top
        return None

    def last_index(self, kind: EntryKind) -> int | None:
        """The position of the last entry of a kind."""
        for index in range(len(self.entries) - 1, -1, -1):
            if self.entries[index].kind == kind:
                return index
        return None

    async def show(self, entries: list[Entry], around: int | None = None) -> None:
        """Replace everything shown with these entries.

        Args:
            entries: the conversation's entries (none of them mounted).
            around: show this entry at the top of the view; else the newest, following.
        """
        async with self._moving:
            await self._show(entries, around)
        self._settled()

    async def _show(self, entries: list[Entry], around: int | None) -> None:
        old = [e.widget for e in self.entries[self.start : self.end] if e.widget is not None]
        for entry in self.entries:
            entry.widget = None
        self.entries = entries
        if around is None:
            start, end = max(0, len(entries) - OPEN_WINDOW), len(entries)
        else:
            start = max(0, around - BATCH // 2)
            end = min(len(entries), start + OPEN_WINDOW)
        widgets = self._build(start, end)
        self.start, self.end = start, end
        if around is None:
            self.anchor()
        else:
            target = entries[around].widget
            if target is not None:
                self._hold(target)
        if widgets:
            await self.mount_all(widgets, before=old[0] if old else None)
        if old:
            await self.remove_children(old)

    # -- moving the window ------------------------------------------------------------------

    async def jump_to_start(self) -> None:
        """Show the very first entry at the top (mounting the window there)."""
        if self.start == 0 or self._has_live():
            # With a live answer the window must keep the end: it grows upwards instead.
            self.scroll_home(animate=False)
            return
        await self._move_window(0, min(len(self.entries), OPEN_WINDOW))
        self.scroll_home(animate=False)

    async def jump_to_end(self) -> None:
        """Show the newest entries and follow new text again."""
        if not self.at_end:
            await self._move_window(max(0, len(self.entries) - OPEN_WINDOW), len(self.entries))
        self.anchor()

    async def _move_window(self, start: int, end: int) -> None:
        """Mount entries[start:end] in place of the current window."""
        async with self._moving:
            old = [e.widget for e in self.entries[self.start : self.end] if e.widget is not None]
            for entry in self.entries[self.start : self.end]:
                if not entry.live:
                    entry.widget = None
            widgets = self._build(start, end)
            going_up = start < self.start
            self.start, self.end = start, end
            if going_up:
                if widgets:
                    self._hold(widgets[0])
            else:
                self.anchor()
            # New widgets first, then the old ones go: the list is never empty meanwhile.
            # Live answers stay mounted, and last.
            live = [e.widget for e in self.entries[start:end] if e.live and e.widget is not None]
            before = live[0] if live else old[0] if old and going_up else None
            if widgets:
                await self.mount_all(widgets, before=before)
            keep = {e.widget for e in self.entries[start:end]}
            gone = [w for w in old if w not in keep]
            if gone:
                await self.remove_children(gone)
        self._settled()

    def _build(self, start: int, end: int) -> list[Widget]:
        """Build the widgets of entries[start:end] that have none."""
        widgets: list[Widget] = []
        for entry in self.entries[start:end]:
            if entry.widget is None:
                assert entry.make is not None
                entry.widget = entry.make()
                if entry.versions is not None:
                    _show_versions(entry.widget, entry.versions)
                if entry.left_out:
                    _show_left_out(entry.widget, True)
                widgets.append(entry.widget)
        return widgets

    def _has_live(self) -> bool:
        return any(entry.live for entry in self.entries[self.start : self.end])

    # -- growing the window as the view nears its ends -------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._schedule_check()

    def _schedule_check(self) -> None:
        if not self._check_scheduled:
            self._check_scheduled = True
            self.call_after_refresh(self._check_edges)

    async def _check_edges(self) -> None:
        """Mount the next batch when the view is within `EDGE_SCREENS` of an edge of the window."""
        self._check_scheduled = False
        if self._moving.locked() or self._pin is not None or not self.is_mounted:
            return
        self._forget_far_paint()
        margin = self.scrollable_content_region.height * EDGE_SCREENS
        if self.start > 0 and self.scroll_y < margin:
            await self._grow_up()
        elif self.end < len(self.entries) and self.scroll_y > self.max_scroll_y - margin:
            await self._grow_down()

    async def _grow_up(self) -> None:
        """Mount the previous batch above, keeping the view still; drop far entries below."""
        async with self._moving:
            first = self.entries[self.start].widget if self.start < self.end else None
            self._pin_view()
            start = max(0, self.start - BATCH)
            widgets = self._build(start, self.start)
            self.start = start
            await self.mount_all(widgets, before=first)
            gone: list[Widget] = []
            while self.end - self.start > MAX_MOUNTED and not self.entries[self.end - 1].live:
                self.end -= 1
                entry = self.entries[self.end]
                if entry.widget is not None:
                    gone.append(entry.widget)
                    entry.widget = None
            if gone:
                await self.remove_children(gone)
        self._settled()

    async def _grow_down(self) -> None:
        """Mount the next batch below; drop far entries above, keeping the view still."""
        async with self._moving:
            end = min(len(self.entries), self.end + BATCH)
            widgets = self._build(self.end, end)
            self.end = end
            await self.mount_all(widgets)
            gone: list[Widget] = []
            if self.end - self.start > MAX_MOUNTED:
                self._pin_view()
                while self.end - self.start > MAX_MOUNTED:
                    entry = self.entries[self.start]
                    if entry.widget is not None and self._pin and entry.widget is self._pin[0]:
                        break
                    self.start += 1
                    if entry.widget is not None:
                        gone.append(entry.widget)
                        entry.widget = None
            if gone:
                await self.remove_children(gone)
        self._settled()

    def _hold(self, widget: Widget) -> None:
        """Show `widget` at the top of the view, and stop following the end.

        Not following: while the window is rebuilt the view may briefly be at the bottom
        of what is mounted, which would anchor it there again.
        """
        if not self._has_live():
            self.anchor(False)
        else:
            self.release_anchor()
        self._pin = (widget, 0)

    def _pin_view(self) -> None:
        """Pin the first widget in view where it is now."""
        if self._arrangement is None:
            return
        top = round(self.scroll_y)
        # The last arrangement has every child's region (asking each widget for its
        # virtual_region would make the compositor map the whole screen).
        for placement in self._arrangement.placements:
            region = placement.region
            if region.height and region.bottom > top:
                self._pin = (placement.widget, region.y - top)
                return

    def _forget_far_paint(self) -> None:
        """Let widgets far from the view drop the lines they painted.

        Textual keeps every line a widget painted (with several caches per line) until the
        widget is refreshed. Scrolled through, 200 mounted answers keep about a million
        objects alive, and each full garbage collection scans them all: a pause of half a
        second. A refresh of a widget out of view costs nothing until it is seen again.
        """
        if self._arrangement is None:
            return
        height = self.scrollable_content_region.height
        near_top = self.scroll_y - height * KEEP_PAINT_SCREENS
        near_bottom = self.scroll_y + height * (KEEP_PAINT_SCREENS + 1)
        painted = self._painted
        near: set[Widget] = set()
        for placement in self._arrangement.placements:
            region = placement.region
            if region.bottom >= near_top and region.y <= near_bottom:
                near.add(placement.widget)
        for widget in painted - near:
            if widget.is_attached:
                for node in widget.walk_children(with_self=True):
                    if isinstance(node, Widget):
                        node.refresh()
        self._painted = near

    def _settled(self) -> None:
        """After the next layout the pin is no longer needed; then look at the edges again."""

        def release() -> None:
            self._pin = None
            self._schedule_check()

        # Two refreshes: the first lays out what was mounted, the second paints it pinned.
        self.call_after_refresh(lambda: self.call_after_refresh(release))

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        result = super().arrange(size, optimal)
        self._arrangement = result
        if self._pin is not None:
            widget, offset = self._pin
            for placement in result.placements:
                if placement.widget is widget:
                    bottom = result.total_region.bottom
                    y = max(0, min(placement.region.y - offset, bottom - size.height))
                    # What the compositor does for an anchored view: set the offset before
                    # the placements are made, so this very frame is drawn with it.
                    self.set_reactive(Widget.scroll_y, y)
                    self.set_reactive(Widget.scroll_target_y, y)
                    self.vertical_scrollbar.position = y
                    break
        return result
