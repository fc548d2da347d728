"""Comparing models on the chat screen: F6's picker, a prompt sent to every model compared,
and the answer kept from the comparison shown as the conversation's.

Each compared prompt opens the compare screen (`tuichat.ui.screens.compare`), its columns
answering side by side; the answer kept comes back here, rebuilt from its data as a reopened
answer is, and the others are its versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Protocol

from tuichat.session.attachments import Attachment
from tuichat.session.compare_targets import Target
from tuichat.ui.screens.chat_part import ChatScreenPart
from tuichat.ui.widgets.attachment_chip import user_widget
from tuichat.ui.widgets.chat_message import AssistantMessage, answer_widget
from tuichat.ui.widgets.message_list import MessageList
from tuichat.ui.widgets.prompt import PromptInput
from tuichat.ui.widgets.tab_bar import TabState

if TYPE_CHECKING:
    from tuichat.ui.screens.compare import KeptAnswer
    from tuichat.ui.screens.inspecting import InspectorNavigation
    from tuichat.ui.turn_view import TurnView


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen comparing uses (the screen imports this module)."""

    compare: tuple[Target, ...]
    editing: bool
    turn: TurnView | None

    @property
    def prompt(self) -> PromptInput: ...

    @property
    def messages(self) -> MessageList: ...

    @property
    def navigation(self) -> InspectorNavigation: ...

    def tell_tab(self, state: TabState | None = None, title: str | None = None) -> None: ...

    def attachments_of(self, text: str) -> list[Attachment] | None: ...

    def refresh_versions(self) -> object: ...  # a worker (the screen's @work)

    def count_context(self) -> None: ...


def pick_targets(chat: ChatScreen) -> None:
    """Pick the profiles and models to compare: each prompt then goes to all of them."""
    from tuichat.session.compare import target_label
    from tuichat.ui.screens.compare_picker import ComparePicker

    async def chosen(targets: tuple[Target, ...] | None) -> None:
        if targets is None:
            return
        chat.compare = targets
        show_compare_mode(chat)
        if not targets:
            chat.notify(f"Not comparing: prompts go to {chat.session.provider.model} again.")
            return
        text = chat.prompt.text
        if text.strip() and not chat.busy and not chat.editing:  # the prompt typed: sent
            attachments = chat.attachments_of(text)
            if attachments is not None and await compare(chat, text, attachments):
                chat.prompt.clear()
                chat.prompt.remember(text)
            return
        names = ", ".join(target_label(chat.session, target) for target in targets)
        chat.notify(f"Comparing {names}: each prompt goes to all of them (F6 changes).")

    chat.app.push_screen(ComparePicker(chat.session, chat.compare), chosen)


def show_compare_mode(chat: ChatScreen) -> None:
    """Say on the prompt's border where prompts go while comparing."""
    if chat.editing:
        return
    if not chat.compare:
        chat.prompt.border_title = None
        return
    from tuichat.session.compare import target_label

    names = " · ".join(target_label(chat.session, target) for target in chat.compare)
    chat.prompt.border_title = f"comparing {names} · F6 changes"


async def compare(chat: ChatScreen, prompt: str, attachments: Sequence[Attachment]) -> bool:
    """Send the prompt (with its files) to every model compared, answers side by side.

    Returns:
        Whether it was sent (a target that cannot be asked says why, and keeps the text).
    """
    from tuichat.config.settings import ConfigError
    from tuichat.session.compare import Comparison
    from tuichat.ui.screens.compare import CompareScreen

    try:
        comparison = await Comparison.open(chat.session, chat.compare, prompt, attachments)
    except ConfigError as error:
        chat.notify(str(error), title="Compare", severity="error")
        return False
    if not any(m.get("role") == "user" for m in chat.session.messages):
        chat.tell_tab(title=prompt)  # the first prompt names the tab
    screen = CompareScreen(comparison, tell_tab=lambda state: chat.tell_tab(state))
    chat.app.push_screen(screen, partial(_compared, chat))
    return True


async def _compared(chat: ChatScreen, kept: KeptAnswer | None) -> None:
    """Show the answer kept from a comparison as the conversation's answer to its prompt
    (rebuilt from its data, as a reopened answer is)."""
    if kept is None:
        return
    await chat.messages.jump_to_end()
    chat.messages.add(user_widget(kept.prompt), partial(user_widget, kept.prompt), "user")
    last: AssistantMessage | None = None
    for answer in kept.answers:
        last = answer_widget(answer)
        chat.messages.add(last, partial(answer_widget, answer), "answer", answer=answer)
    totals = chat.session.usage()
    if last is not None:
        last.add_status(f"kept from {kept.label}")  # the comparison's: who wrote it
    if last is not None and totals.total_tokens:
        cost = f" · ${totals.cost:.4f}" if totals.cost is not None else ""
        last.add_status(f"conversation {totals.total_tokens:,} tokens{cost}")
    chat.turn = None
    chat.navigation.new_turn()  # F2 shows the kept answer's saved chunks
    chat.messages.anchor()
    chat.refresh_versions()  # the answers not kept are its versions: < 2/2 >
    chat.count_context()  # the kept answer is in what the next request sends
