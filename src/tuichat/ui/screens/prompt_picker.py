"""Pick a prompt of the library, filtered as you type (F7, or the palette's "Choose a prompt…")."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tuichat.config.prompt_library import BUNDLED, PromptLibrary, PromptSpec
from tuichat.ui.option_keys import highlighted_id, move_highlight

NO_PROMPT = "\x00none"
"""What the picker returns for "no prompt" (no system message from now on)."""


def _option(spec: PromptSpec) -> Option:
    origin = "" if spec.source == BUNDLED else " · yours"
    template = f" · asks {', '.join(spec.variables)}" if spec.variables else ""
    label = Content.assemble(
        (spec.name, "bold"),
        (f"{origin}{template}", "dim"),
        "\n  ",
        (spec.description, "dim"),
    )
    return Option(label, id=spec.name)


class PromptPicker(ModalScreen[str | None]):
    """Lists the library's prompts; Enter picks the highlighted one, Esc closes.

    Dismissed with the prompt's name, `NO_PROMPT`, or None (closed).
    """

    DEFAULT_CSS = """
    PromptPicker { align: center middle; }
    PromptPicker > Vertical {
        width: 80; max-width: 100%; height: 24; max-height: 100%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    PromptPicker #prompt-status { height: auto; color: $text-muted; }
    PromptPicker OptionList { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, library: PromptLibrary, current: str | None) -> None:
        super().__init__()
        self.library = library
        self.current = current

    def compose(self) -> ComposeResult:
        now = f"now {self.current}" if self.current else "none in use"
        with Vertical():
            yield Static(Content(f"Prompt ({now})"), id="prompt-title")
            yield Input(placeholder="type to filter", id="prompt-filter")
            yield Static(id="prompt-status")
            yield OptionList(id="prompt-list")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._show("")

    def _show(self, text: str) -> None:
        needle = text.strip().lower()
        specs = [self.library.prompts[name] for name in self.library.names()]
        shown = [
            spec
            for spec in specs
            if needle in spec.name.lower() or needle in spec.description.lower()
        ]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([_option(spec) for spec in shown])
        if self.current and not needle:
            options.add_option(Option(Content("No prompt (no system message)"), id=NO_PROMPT))
        if options.option_count:
            highlighted = next((i for i, spec in enumerate(shown) if spec.name == self.current), 0)
            options.highlighted = highlighted
        count = f"{len(shown)} of {len(specs)}" if len(shown) != len(specs) else str(len(specs))
        enter = "Enter picks" if options.option_count else "no prompt matches"
        self.query_one("#prompt-status", Static).update(
            Content(f"{count} prompts · {enter} · Esc closes · `tuichat prompts` says where")
        )

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._show(event.value)

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one(OptionList), step)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        picked = highlighted_id(self.query_one(OptionList))
        if picked is not None:
            self.dismiss(picked)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
