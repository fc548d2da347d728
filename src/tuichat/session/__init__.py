"""One conversation with everything it needs, without Textual: what the UI and commands use.

session = build_session(settings, SessionOptions.from_args(args))
await session.open_history()
async for batch in session.send("hello"):
    ...
await session.aclose()
"""

from tuichat.session.builder import build_session
from tuichat.session.events import Answer, TurnBatch, TurnEvent
from tuichat.session.options import SessionOptions, add_session_arguments
from tuichat.session.session import ChatSession, Note, UsageTotals

__all__ = [
    "Answer",
    "ChatSession",
    "Note",
    "SessionOptions",
    "TurnBatch",
    "TurnEvent",
    "UsageTotals",
    "add_session_arguments",
    "build_session",
]
