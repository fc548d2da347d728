"""The first frame: the chat screen's layout and keys, up before the rest of the app is loaded.

The chat screen needs most of tuichat (the session, the client, the widgets of answers and of
the inspector), which takes longer to import than Textual itself. This screen needs none of
it: it shows the header, an empty conversation, the prompt (already taking what is typed) and
the footer, while the app loads the rest and builds the session; then the chat screen takes
its place, and the prompt's text with it (`TuichatApp`).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header

from tuichat.ui.chat_bindings import CHAT_BINDINGS, SHOWN_LATER
from tuichat.ui.widgets.key_footer import KeyFooter
from tuichat.ui.widgets.prompt import PromptInput


class StartingScreen(Screen[None]):
    """Looks like a new conversation's chat screen; does nothing but take the first keys."""

    BINDINGS: ClassVar[list[BindingType]] = CHAT_BINDINGS

    def __init__(self, subtitle: str = "") -> None:
        super().__init__()
        self.sub_title = subtitle
        self.sent = False  # Enter was pressed: the chat screen sends the prompt once it is up

    def compose(self) -> ComposeResult:
        yield Header()
        yield Horizontal(id="main")
        yield PromptInput(id="prompt")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one(PromptInput))

    def on_key(self, event: events.Key) -> None:
        # Keys typed ahead (before the app was up: the terminal keeps them) are taken from the
        # app's queue before this screen has mounted and focused its prompt, and come here:
        # they are the prompt's. Only those it always takes itself, so none comes back here.
        if event.is_printable or event.key == "enter":
            event.stop()
            self.query_one(PromptInput).post_message(events.Key(event.key, event.character))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The footer as the chat screen's shows it then; every other key waits for that
        # screen (pressed now, it does nothing).
        return action not in SHOWN_LATER and f"app.{action}" not in SHOWN_LATER

    @on(PromptInput.Submitted)
    def _send_later(self, event: PromptInput.Submitted) -> None:
        event.stop()
        self.sent = True

    async def settled(self) -> None:
        """Wait until the prompt has taken the keys already given to it (and this screen its
        Enter): what is typed is in their queues until then."""
        for pump in (self.query_one(PromptInput), self):
            taken = asyncio.Event()
            pump.call_later(taken.set)
            await taken.wait()

    @property
    def draft(self) -> tuple[str, tuple[int, int]]:
        """What was typed so far, and where the cursor is."""
        prompt = self.query_one(PromptInput)
        return prompt.text, prompt.cursor_location
