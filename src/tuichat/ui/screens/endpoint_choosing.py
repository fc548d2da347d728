"""What the chat screen's session talks to and with: the model (F3), the profile (the
palette's "Profile: NAME") and the tools offered (F5, "Tool: NAME")."""

from __future__ import annotations

import os
from functools import partial
from typing import Protocol

from tuichat.ui.screens.chat_part import ChatScreenPart


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen these use (the screen imports this module)."""

    def refresh_subtitle(self) -> None: ...


def pick_model(chat: ChatScreen) -> None:
    """Choose the model from the server's list (or type one); saved in the profile."""
    from tuichat.ui.screens.model_picker import ModelPicker

    def chosen(model: str | None) -> None:
        if not model:
            return
        saved = chat.session.set_model(model)
        chat.refresh_subtitle()
        profile = chat.session.endpoint.profile
        where = f" (saved in the profile {profile})" if saved else " (for this session)"
        chat.notify(f"Model: {model}{where}")

    chat.app.push_screen(ModelPicker(chat.session.client), chosen)


def switch_profile(chat: ChatScreen, name: str) -> None:
    """Talk to another provider profile from now on (the conversation goes on)."""
    from tuichat.config.settings import ConfigError

    try:
        provider = chat.session.switch_profile(name, dict(os.environ))
    except ConfigError as error:
        chat.notify(str(error), title="Profile", severity="error")
        return
    chat.refresh_subtitle()
    chat.notify(f"Profile {name}: {provider.model} at {provider.base_url}")


def toggle_tool(chat: ChatScreen, name: str) -> None:
    """Offer a tool to the model or stop offering it; the choice is saved."""
    enabled = chat.session.toggle_tool(name)
    if enabled is not None:
        state = "offered to the model" if enabled else "not offered any more"
        chat.notify(f"Tool {name}: {state}.")


def show_tools(chat: ChatScreen) -> None:
    """List every tool (source, policy, description) and switch each on or off."""
    tools = chat.session.tools
    if tools is None:
        chat.notify("Tools are off (--no-tools).", severity="warning")
        return
    from tuichat.ui.screens.tools import ToolsScreen

    chat.app.push_screen(
        ToolsScreen(
            tools,
            policy=chat.session.conversation.policy,
            toggle=partial(toggle_tool, chat),
            servers=chat.session.mcp_statuses(),
            not_loaded=chat.session.problems,
        )
    )
