"""A session's notes, shown as the app's notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from tuichat.session.session import Note


def tell(node: Widget | App[Any], note: Note) -> None:
    """Show a session's note as a notification."""
    timeout = note.timeout if note.timeout is not None else node.app.NOTIFICATION_TIMEOUT
    node.notify(note.message, title=note.title, severity=note.severity, timeout=timeout)
