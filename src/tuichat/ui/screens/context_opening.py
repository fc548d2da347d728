"""The Context screen (F9) opened from the chat screen, and the conversation shown again as
the context it leaves says (messages dimmed, summaries in place)."""

from __future__ import annotations

from typing import Protocol

from tuichat.ui.context_meter import ContextMeter
from tuichat.ui.screens.chat_part import ChatScreenPart
from tuichat.ui.widgets.message_list import MessageList


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen the Context screen uses (the screen imports this module)."""

    context_meter: ContextMeter | None

    @property
    def messages(self) -> MessageList: ...

    def count_context(self) -> None: ...


def show_context_screen(chat: ChatScreen) -> None:
    """What the next request sends: leave messages out, put them back, summarise some."""
    from tuichat.ui.screens.context import ContextScreen

    meter = chat.context_meter

    async def changed() -> None:
        await context_changed(chat)

    chat.app.push_screen(
        ContextScreen(
            chat.session,
            changed=changed,
            budget=lambda: meter.label("") if meter is not None else "",
            busy=lambda: chat.busy,
        )
    )


async def context_changed(chat: ChatScreen) -> None:
    """Show the conversation as its context now says (dimmed, summaries in place)."""
    from tuichat.ui.context_view import show_context

    await show_context(chat.messages, chat.session.messages)
    chat.count_context()
