"""A summary sent in place of some messages of the conversation: a title saying what it
replaces and who wrote it, then the summary as Markdown (model text, shown literally)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tuichat.core.text import counted, strip_control
from tuichat.session.events import content_text
from tuichat.storage.context import summary_text
from tuichat.ui.widgets.markdown_view import StreamingMarkdown
from tuichat.ui.widgets.version_mark import left_out_mark


def summary_title(info: dict[str, Any]) -> Content:
    """`Σ Summary of 6 messages · by gpt-4o · sent in their place`."""
    count = int(info.get("count") or 0)
    parts: list[str | tuple[str, str]] = [(f"Σ Summary of {counted(count, 'message')}", "bold")]
    if info.get("model"):
        parts.append(f" · by {strip_control(str(info['model']))}")
    parts.append((" · sent in their place", "$text-muted"))
    return Content.assemble(*parts)


class SummaryMessage(Vertical):
    """A summary in the conversation, dimmed with a mark while it is left out."""

    DEFAULT_CSS = """
    SummaryMessage { height: auto; }
    SummaryMessage > .summary-title { height: auto; }
    SummaryMessage > .left-out-mark { height: auto; }
    """

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(classes="message")
        self.message = message
        info = message.get("summary")
        self.title_view = Static(
            summary_title(info if isinstance(info, dict) else {}), classes="summary-title"
        )
        self.left_out_view = Static(left_out_mark(), classes="left-out-mark")
        self.left_out_view.display = False
        self.body = StreamingMarkdown(classes="summary-text")
        self.body.append(strip_control(summary_text(content_text(message.get("content")))))
        self.body.finish()

    def compose(self) -> ComposeResult:
        yield self.left_out_view
        yield self.title_view
        yield self.body

    def show_left_out(self, left_out: bool) -> None:
        """Dim the summary and say it is left out of what is sent (or not any more)."""
        self.set_class(left_out, "-left-out")
        self.left_out_view.display = left_out
