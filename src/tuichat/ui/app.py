"""The Textual application: a thin layer of screens and widgets over the core."""

from __future__ import annotations

from textual.app import App

from tuichat.core.conversation import Conversation
from tuichat.ui.screens.chat import ChatScreen


class TuichatApp(App[None]):
    """tuichat's full-screen app. Everything it talks to is passed in, so tests substitute it."""

    CSS_PATH = "app.tcss"
    TITLE = "tuichat"

    def __init__(
        self, conversation: Conversation, *, subtitle: str = "", welcome: str | None = None
    ) -> None:
        super().__init__()
        self.conversation = conversation
        self.sub_title = subtitle
        self.welcome = welcome

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # tuichat's own colours; a theme may override each of them.
        return {
            "user-message": "#5f9fff",
            "assistant-message": "#8fbf6f",
            "tool-call": "#d7a65f",
            "reasoning": "#9a8fbf",
            "inspector-background": "#10141a" if self.current_theme.dark else "#f2f2f2",
        }

    def on_mount(self) -> None:
        # Pushed rather than returned from get_default_screen(): only pushed screens load
        # their own CSS_PATH.
        self.push_screen(ChatScreen(self.conversation, welcome=self.welcome))

    async def on_unmount(self) -> None:
        await self.conversation.client.aclose()
