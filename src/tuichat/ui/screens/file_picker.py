"""Pick a file (or a directory) to attach: a tree of the working directory in a modal."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Static


class VisibleTree(DirectoryTree):
    """The tree without hidden files and directories (.git, .env, ...)."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".")]


class FilePicker(ModalScreen[Path | None]):
    """Enter on a file picks it, `a` picks the highlighted file or directory, Esc closes."""

    DEFAULT_CSS = """
    FilePicker { align: center middle; }
    FilePicker > Vertical {
        width: 90%; height: 80%; border: round $primary; background: $surface; padding: 0 1;
    }
    FilePicker VisibleTree { height: 1fr; }
    FilePicker .picker-help { color: $text-muted; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_picker", "Close", id="picker_close"),
        Binding("a", "pick_highlighted", "Attach highlighted", id="picker_attach"),
    ]

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Attach from {self.root}"
            yield VisibleTree(self.root)
            yield Static(
                "Enter attaches a file (or opens a directory) · a attaches the highlighted "
                "file or directory · Esc closes",
                classes="picker-help",
            )

    def on_mount(self) -> None:
        self.query_one(VisibleTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)

    def action_pick_highlighted(self) -> None:
        """Attach what the cursor is on: a file, or a directory's text files."""
        node = self.query_one(VisibleTree).cursor_node
        if node is not None and node.data is not None:
            self.dismiss(node.data.path)

    def action_dismiss_picker(self) -> None:
        """Close without attaching anything."""
        self.dismiss(None)
