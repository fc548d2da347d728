"""The conversations open in the app, one tab each: a chat screen over a session of its own.

Each tab is a Textual mode (a screen stack of its own), so a tab's modals stay with it, and
only the shown tab's screen paints: an answer streams on, and its tools run, in a tab that is
not shown. The open tabs are remembered in the history, so `tuichat --continue` brings them
back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from tuichat.storage.errors import StorageError
from tuichat.ui.notes import tell
from tuichat.ui.widgets.tab_bar import TabLabel, TabState

if TYPE_CHECKING:
    from textual.app import App

    from tuichat.session.session import ChatSession
    from tuichat.storage.rows import StoredMessage
    from tuichat.ui.screens.chat import ChatScreen


@dataclass(eq=False)
class Tab:
    """One open conversation.

    Attributes:
        id: the Textual mode that holds its screen.
        session: the conversation, with its own client, tools, inspector and totals.
        title: what its label says (the first prompt).
        state: how it is doing, as its label shows.
        screen: its chat screen, once the tab was first shown.
    """

    id: str
    session: ChatSession
    title: str = ""
    state: TabState = "idle"
    screen: ChatScreen | None = None


class TabSet:
    """The app's tabs: open, close, show, and tell every tab bar.

    Args:
        app: the app whose modes hold the tabs' screens.
        new_session: makes the session of a new tab.
        subtitle: a fixed header for every screen (tests and benchmarks).
    """

    def __init__(
        self,
        app: App[None],
        new_session: Callable[[], ChatSession],
        subtitle: str | None = None,
    ) -> None:
        self._app = app
        self._new_session = new_session
        self._subtitle = subtitle
        self.tabs: list[Tab] = []
        self._numbers = 0

    @property
    def current(self) -> Tab | None:
        """The tab shown."""
        return self.find(self._app.current_mode)

    def find(self, tab_id: str) -> Tab | None:
        return next((tab for tab in self.tabs if tab.id == tab_id), None)

    async def open(
        self,
        session: ChatSession | None = None,
        *,
        shown: list[StoredMessage] | None = None,
        welcome: str | None = None,
        show: bool = True,
    ) -> Tab:
        """Open a tab (a new conversation unless `shown`), and show it unless told not to."""
        if session is None:
            session = self._new_session()
            try:
                await session.open_history()
            except StorageError as error:
                self._app.notify(str(error), title="History not available", severity="error")
        self._numbers += 1
        tab = Tab(f"tab-{self._numbers}", session, title=_first_prompt(shown or []))
        self.tabs.append(tab)
        session.on_note = partial(tell, self._app)  # until its screen takes them over
        if session.mcp_configured:
            # In the background: the first frame does not wait for the servers.
            self._app.run_worker(session.start_tools(), group="mcp", exit_on_error=False)

        def make_screen() -> ChatScreen:  # when the tab is first shown
            # Here, not with the module: the app's first frame comes before this one's.
            from tuichat.ui.screens.chat import ChatScreen

            tab.screen = ChatScreen(
                session,
                welcome=None if shown else welcome,
                shown=shown,
                fixed_subtitle=self._subtitle,
                tab_id=tab.id,
            )
            return tab.screen

        self._app.add_mode(tab.id, make_screen)
        if show:
            await self._app.switch_mode(tab.id)
        self.refresh()
        return tab

    async def open_saved(self, conversation_id: int, *, show: bool = True) -> Tab | None:
        """Open a saved conversation in a new tab."""
        session = self._new_session()
        try:
            await session.open_history()
            rows = await session.reopen(conversation_id)
        except StorageError as error:
            self._app.notify(str(error), title="History not available", severity="error")
            await session.aclose()
            return None
        if rows is None:
            self._app.notify(f"There is no conversation {conversation_id}.", severity="warning")
            await session.aclose()
            return None
        return await self.open(session, shown=rows, show=show)

    async def close(self, tab: Tab) -> None:
        """Close a tab: its answer still arriving is stopped and saved, its session closed."""
        if len(self.tabs) == 1:
            self._app.notify("This is the last tab: Ctrl+Q quits.", severity="warning")
            return
        if tab is self.current:
            await self.step(1 if self.tabs.index(tab) < len(self.tabs) - 1 else -1)
        self.tabs.remove(tab)
        await self._app.remove_mode(tab.id)
        await tab.session.aclose()
        self.refresh()

    async def step(self, step: int) -> None:
        """Show the next (1) or previous (-1) tab."""
        current = self.current
        if current is None or len(self.tabs) < 2:
            return
        index = (self.tabs.index(current) + step) % len(self.tabs)
        await self.show(self.tabs[index])

    async def show(self, tab: Tab) -> None:
        """Show a tab."""
        if tab.id != self._app.current_mode:
            await self._app.switch_mode(tab.id)
        self.refresh()

    def changed(self, tab_id: str, state: TabState | None, title: str | None) -> None:
        """A tab says how it is doing now."""
        tab = self.find(tab_id)
        if tab is None:
            return
        if state is not None:
            tab.state = state
        if title is not None:
            tab.title = title
        self.refresh()

    def refresh(self) -> None:
        """Show the tabs as they are on the shown tab's bar (hidden screens do not paint)."""
        current = self.current
        labels = [TabLabel(tab.id, tab.title, tab.state) for tab in self.tabs]
        for tab in self.tabs:
            if tab.screen is not None and tab.screen.is_mounted:
                tab.screen.show_tabs(labels, current.id if current is not None else "")

    async def remember(self) -> None:
        """Save which conversations are open, for `--continue`."""
        for tab in self.tabs:
            history = tab.session.history
            if history is None:
                continue
            ids = [t.session.conversation_id for t in self.tabs]
            current = self.current
            active = current.session.conversation_id if current is not None else None
            try:
                await history.set_open_tabs([cid for cid in ids if cid is not None], active)
            except StorageError:
                pass  # a read-only history: the tabs are not remembered
            return

    async def close_all(self) -> None:
        """Close every session (the app is ending)."""
        await self.remember()
        for tab in self.tabs:
            await tab.session.aclose()


def _first_prompt(rows: list[StoredMessage]) -> str:
    for row in rows:
        if row.message.get("role") == "user":
            content = row.message.get("content")
            return content if isinstance(content, str) else ""
    return ""
