"""Opening the saved history from the chat screen: the conversation list (F4), the search
(Ctrl+F) and the tree of branches (F8), and what their choice opens."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol

from textual.message import Message

from tuichat.ui.screens.chat_part import ChatScreenPart
from tuichat.ui.tab_messages import OpenInNewTab

if TYPE_CHECKING:
    from tuichat.ui.screens.branches import BranchChoice
    from tuichat.ui.screens.history import HistoryChoice

HISTORY_OFF = "The history is off: nothing is saved."


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen opening the history uses (the screen imports this module)."""

    def post_message(self, message: Message) -> bool: ...

    async def open_conversation(
        self, conversation_id: int, message_id: int | None = None
    ) -> bool: ...

    async def open_branch(self, conversation_id: int, choice: BranchChoice) -> bool: ...

    async def new_conversation(self) -> bool: ...


def show_history(chat: ChatScreen) -> None:
    """List the saved conversations: open, rename, delete."""
    history = chat.session.history
    if history is None:
        chat.notify(HISTORY_OFF, severity="warning")
        return
    from tuichat.ui.screens.history import ConversationList

    current = chat.session.conversation_id
    screen = ConversationList(history, current, busy=chat.busy)
    chat.app.push_screen(screen, partial(_history_chosen, chat))


def search_history(chat: ChatScreen) -> None:
    """Search every saved message."""
    history = chat.session.history
    if history is None:
        chat.notify(HISTORY_OFF, severity="warning")
        return
    from tuichat.ui.screens.history import SearchScreen

    chat.app.push_screen(SearchScreen(history), partial(_history_chosen, chat))


async def _history_chosen(chat: ChatScreen, choice: HistoryChoice | None) -> None:
    """Act on what the conversation list or the search returned."""
    if choice is None:
        return
    current = chat.session.conversation_id
    if choice.open is not None and choice.branch is not None:
        from tuichat.ui.screens.branches import BranchChoice

        branch = BranchChoice(choice.branch, choice.to_leaf)
        if await chat.open_branch(choice.open, branch):
            _ended_here(chat, branch)
            return
    if choice.open is not None and choice.new_tab:
        chat.post_message(OpenInNewTab(choice.open))
        return
    if choice.open is not None and await chat.open_conversation(choice.open, choice.message_id):
        return
    if choice.new or (current is not None and current in choice.deleted):
        await chat.new_conversation()


def _ended_here(chat: ChatScreen, choice: BranchChoice) -> None:
    if not choice.to_leaf:
        chat.notify(
            "The conversation now ends at this message: the next prompt (or Ctrl+R, after "
            "a prompt) goes on from it as a new branch."
        )


def show_branches(chat: ChatScreen) -> None:
    """Show the conversation's branches as a tree: open one, or continue from a message."""
    history, conversation_id = chat.session.history, chat.session.conversation_id
    if history is None:
        chat.notify(HISTORY_OFF, severity="warning")
        return
    if conversation_id is None:
        chat.notify("This conversation has no saved message yet.", severity="warning")
        return

    async def picked(choice: BranchChoice | None) -> None:
        if choice is not None and await chat.open_branch(conversation_id, choice):
            _ended_here(chat, choice)

    from tuichat.ui.screens.branches import BranchScreen

    chat.app.push_screen(BranchScreen(history, conversation_id, busy=chat.busy), picked)
