"""Two versions of a message side by side as one word diff: what the later one deleted and
inserted. Left / Right move to the pair before or after."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tuichat.core.text import counted, strip_control
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.branches import BranchTree
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import StoredMessage
from tuichat.ui.word_diff import DELETED_STYLE, INSERTED_STYLE, counts, diff_content, word_diff


@dataclass(frozen=True, slots=True)
class VersionText:
    """One version as the diff compares it.

    Attributes:
        label: how it is named (`version 2 · model-x · shown`).
        text: its text (see `version_texts`).
    """

    label: str
    text: str


def _text_of(row: StoredMessage) -> str:
    content = row.message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text")) for part in content if isinstance(part, dict) and "text" in part
        )
    return ""


def version_texts(
    tree: BranchTree, rows: dict[int, StoredMessage], message_id: int
) -> list[VersionText]:
    """Every version of a message, oldest first, as the diff compares them.

    An answer's text goes on through the rounds after its tool calls, up to the next
    prompt; a prompt's is the prompt and the answer it got (along the versions shown last
    below each version).
    """
    out: list[VersionText] = []
    versions = tree.versions(message_id)
    for number, version in enumerate(versions, start=1):
        texts: list[str] = []
        current: int | None = version
        while current is not None and current in rows:
            row = rows[current]
            role = row.message.get("role")
            if current != version and role == "user":
                break
            if role in ("assistant", "user") and _text_of(row):
                texts.append(_text_of(row))
            current = tree.latest_child(current)
        node = tree.nodes[version]
        details = [f"version {number}"]
        if node.model:
            details.append(node.model)
        if node.live:
            details.append("shown")
        out.append(VersionText(" · ".join(details), strip_control("\n\n".join(texts))))
    return out


async def show_version_diff(
    screen: Screen[Any], history: AsyncHistory, conversation_id: int, message_id: int
) -> None:
    """Open the diff of a message's version with the one before it (or, for the first, with
    the one after it)."""
    try:
        tree = await history.branch_tree(conversation_id)
        rows = {row.id: row for row in await history.message_rows(conversation_id)}
    except StorageError as error:
        screen.notify(str(error), title="History not available", severity="error")
        return
    if message_id not in tree or len(tree.versions(message_id)) < 2:
        screen.notify("This message has no other version to compare.", severity="warning")
        return
    position = tree.versions(message_id).index(message_id)
    prompt = tree.nodes[message_id].role == "user"
    what = "prompt (with what followed it)" if prompt else "answer"
    texts = version_texts(tree, rows, message_id)
    screen.app.push_screen(VersionDiff(texts, max(1, position), what))


class VersionDiff(ModalScreen[None]):
    """A word diff of two versions: the earlier one's words struck through where the later
    one deleted them, the later one's underlined where it inserted them."""

    CSS_PATH = "branches.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close", id="diff_close"),
        Binding("left", "move(-1)", "Earlier pair", id="diff_earlier"),
        Binding("right", "move(1)", "Later pair", id="diff_later"),
    ]

    def __init__(self, versions: list[VersionText], later: int, what: str = "answer") -> None:
        """Show versions[later - 1] against versions[later].

        Args:
            versions: every version of the message, oldest first (at least two).
            later: the index of the later version of the pair (1 or more).
            what: what the versions are versions of (said in the title).
        """
        super().__init__()
        self.versions = versions
        self.later = max(1, min(later, len(versions) - 1))
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="diff-panel"):
            yield Static(id="diff-title")
            with VerticalScroll(id="diff-scroll"):
                yield Static(id="diff-text")
            yield Static(
                Content.assemble(
                    ("struck: deleted", DELETED_STYLE),
                    " · ",
                    ("underlined: inserted", INSERTED_STYLE),
                    " · ←/→ another pair · Esc close",
                ),
                id="diff-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()
        self._show()

    def action_move(self, step: int) -> None:
        later = self.later + step
        if 1 <= later < len(self.versions):
            self.later = later
            self._show()

    def _show(self) -> None:
        old, new = self.versions[self.later - 1], self.versions[self.later]
        self.query_one("#diff-title", Static).update(
            Content.assemble(
                ("Compare ", "bold"),
                old.label,
                (" → ", "bold"),
                new.label,
                (f"  of the {self.what} ({len(self.versions)} versions)", "$text-muted"),
            )
        )
        self.run_worker(self._diff(old.text, new.text), group="diff", exclusive=True)

    async def _diff(self, old: str, new: str) -> None:
        # Long answers take difflib a moment: off the event loop.
        diff = await asyncio.to_thread(word_diff, old, new)
        deleted, inserted = counts(diff)
        text = diff_content(diff) if diff else Content("(both versions are empty)")
        if old == new:
            text = Content.assemble(("The two versions are the same.\n\n", "bold"), text)
        summary = f"{counted(deleted, 'word')} deleted, {counted(inserted, 'word')} inserted"
        self.query_one("#diff-text", Static).update(
            Content.assemble((summary, "$text-muted"), "\n\n", text)
        )
