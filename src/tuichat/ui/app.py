"""The Textual application: a thin layer of screens and widgets over the core."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tuichat.core.conversation import Conversation
from tuichat.ui.screens.chat import ChatScreen


class TuichatApp(App[None]):
    """tuichat's full-screen app. Everything it talks to is passed in, so tests substitute it."""

    CSS_PATH = "app.tcss"
    TITLE = "tuichat"

    def __init__(
        self,
        conversation: Conversation,
        *,
        subtitle: str | None = None,
        welcome: str | None = None,
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.conversation = conversation
        self.demo = demo
        self.fixed_subtitle = subtitle  # tests and benchmarks name their own
        self.welcome = welcome
        self.refresh_subtitle()

    def refresh_subtitle(self) -> None:
        """Say in the header where answers come from (after a model or profile change too)."""
        from tuichat.cli import subtitle

        provider = self.conversation.client.provider
        self.sub_title = self.fixed_subtitle or subtitle(provider, self.demo)

    def action_toggle_help(self) -> None:
        """Show or hide the panel listing every key."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # Every action of the screen, by the words its binding shows.
        for binding in getattr(screen, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.description:
                action = binding.action
                yield SystemCommand(
                    binding.description,
                    f"{binding.description} ({binding.key})",
                    partial(screen.run_action, action),
                )

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
