"""Copying from the chat screen to the clipboard (OSC 52): the last answer (Ctrl+Y) and its
last code block (Alt+Y)."""

from __future__ import annotations

from typing import Protocol

from tuichat.core.text import counted
from tuichat.session.session import ChatSession
from tuichat.ui.markdown_blocks import code_blocks
from tuichat.ui.screens.chat_part import ChatScreenPart


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen copying uses (the screen imports this module)."""


def last_answer_text(session: ChatSession) -> str:
    """The Markdown of the conversation's last answer (empty: none yet)."""
    answers = [m for m in session.messages if m.get("role") == "assistant" and m.get("content")]
    return str(answers[-1]["content"]) if answers else ""


def copy_answer(chat: ChatScreen) -> None:
    """Copy the last answer's Markdown to the clipboard (OSC 52)."""
    text = last_answer_text(chat.session)
    if not text:
        chat.notify("No answer to copy yet.", severity="warning")
        return
    chat.app.copy_to_clipboard(text)
    chat.notify(f"Copied the last answer ({len(text):,} characters).")


def copy_code(chat: ChatScreen) -> None:
    """Copy the last fenced code block of the last answer."""
    blocks = code_blocks(last_answer_text(chat.session))
    if not blocks:
        chat.notify("The last answer has no code block.", severity="warning")
        return
    chat.app.copy_to_clipboard(blocks[-1])
    lines = counted(blocks[-1].count("\n") + 1, "line")
    chat.notify(f"Copied a code block ({lines}).")
