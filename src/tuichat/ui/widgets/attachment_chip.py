"""A prompt with files attached: the text typed, then a chip per file (name, size, type)
that opens to a preview (a text file's first lines, an image's dimensions), then, when the
prompt was edited and sent again, its place among its versions (`< 2/3 >`)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from tuichat.core.text import counted
from tuichat.session.attachments import human_size, summaries, typed_text
from tuichat.session.image_size import IMAGE_TYPES
from tuichat.ui.widgets.chat_message import UserMessage, literal
from tuichat.ui.widgets.version_mark import VersionPlace, show_mark


def chip_title(info: dict[str, Any]) -> str:
    """One attachment in a line: `notes.txt · 1.2 KB · text, 12 lines`."""
    size = human_size(int(info.get("size") or 0))
    if info.get("kind") == "image":
        kind = f"{IMAGE_TYPES.get(str(info.get('mime')), 'image')} image"
        if "width" in info and "height" in info:
            kind += f" {info['width']}×{info['height']}"
    else:
        kind = f"text, {counted(int(info.get('lines') or 0), 'line')}"
    return f"{info.get('name')} · {size} · {kind}"


def chip_preview(info: dict[str, Any]) -> str:
    """What an open chip shows: a text file's first lines, or an image's dimensions."""
    if info.get("kind") == "image":
        if "width" in info and "height" in info:
            return f"{info['width']} × {info['height']} pixels, {info.get('mime')}"
        return f"{info.get('mime')} (dimensions unknown)"
    preview = str(info.get("preview") or "")
    shown, total = preview.count("\n") + 1 if preview else 0, int(info.get("lines") or 0)
    if total > shown:
        preview += f"\n… {counted(total - shown, 'more line')}"
    return preview or "(empty file)"


class AttachmentChip(Collapsible):
    """One attached file, folded to a line; opened, its preview."""

    DEFAULT_CSS = """
    AttachmentChip { height: auto; border-top: none; padding: 0; margin: 0; background: initial; }
    AttachmentChip CollapsibleTitle { padding: 0; color: $text-muted; }
    AttachmentChip Contents { padding: 0 0 0 2; }
    AttachmentChip .chip-preview { color: $text-muted; }
    """

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        super().__init__(
            Static(literal(chip_preview(info)), classes="chip-preview"),
            # A Collapsible's title is markup: a file's name shows as it is.
            title=escape(chip_title(info)),
            collapsed=True,
            classes="attachment-chip",
        )


class AttachedPrompt(Vertical):
    """A user's prompt with its attachments (and its place among its versions, under them)."""

    DEFAULT_CSS = """
    AttachedPrompt { height: auto; }
    AttachedPrompt > UserMessage { margin: 0; }
    AttachedPrompt > .attachment-chips {
        height: auto;
        padding: 0 1;
        border-left: thick $user-message;
        background: $user-message 10%;
    }
    AttachedPrompt .versions { height: auto; }
    """

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(classes="message")
        self.message = message
        self.versions: VersionPlace | None = None
        # Made here, not in compose: the list shows the place before mounting the prompt.
        self.versions_view = Static("", classes="versions")
        self.versions_view.display = False
        self.text_view = UserMessage(typed_text(message))

    def show_left_out(self, left_out: bool) -> None:
        """Dim the prompt and its files, and say it is left out of what is sent (or not)."""
        self.set_class(left_out, "-left-out")
        self.text_view.show_left_out(left_out)
        self.text_view.remove_class("-left-out")  # dimmed once, here

    def compose(self) -> ComposeResult:
        yield self.text_view
        with Vertical(classes="attachment-chips"):
            for info in summaries(self.message):
                yield AttachmentChip(info)
            yield self.versions_view

    def show_versions(self, place: VersionPlace | None) -> None:
        """Show the prompt's place among its versions under its files (None: it has none)."""
        self.versions = place
        show_mark(self.versions_view, place)


def user_widget(message: dict[str, Any]) -> Widget:
    """A user message as shown: its text, and chips when it attached files."""
    if summaries(message):
        return AttachedPrompt(message)
    return UserMessage(typed_text(message))
