"""What every part of the chat screen kept in a module of its own uses of the screen.

The chat screen imports those modules (comparing, copying, approving, ...), so they cannot
import it: each says what it uses as a Protocol, these members and its own.
"""

from __future__ import annotations

from typing import Any, Protocol

from textual.app import App

from tuichat.session.session import ChatSession


class ChatScreenPart(Protocol):
    """The session, the app, whether an answer is arriving, and notifications."""

    session: ChatSession

    @property
    def app(self) -> App[Any]: ...

    @property
    def busy(self) -> bool: ...

    def notify(self, message: str, *, title: str = ..., severity: Any = ...) -> None: ...
