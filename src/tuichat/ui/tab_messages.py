"""What a chat screen tells the app about its tab (the app's tab bars and the tabs it opens).

Apart from the chat screen, whose module the app imports only once its first frame is up.
"""

from __future__ import annotations

from textual.message import Message

from tuichat.ui.widgets.tab_bar import TabState


class TabChanged(Message):
    """How this screen's tab is doing changed (the app's tab bars show it)."""

    def __init__(self, tab_id: str, state: TabState | None, title: str | None) -> None:
        super().__init__()
        self.tab_id = tab_id
        self.state = state
        self.title = title


class OpenInNewTab(Message):
    """The user asked for a saved conversation in a tab of its own."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__()
        self.conversation_id = conversation_id


class ShowMe(Message):
    """This hidden tab wants to be shown (a tool call waits for approval)."""

    def __init__(self, tab_id: str) -> None:
        super().__init__()
        self.tab_id = tab_id
