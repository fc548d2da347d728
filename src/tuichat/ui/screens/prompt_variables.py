"""Ask the values of a prompt template's variables: one field each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tuichat.config.prompt_library import PromptSpec


class PromptVariables(ModalScreen[dict[str, str] | None]):
    """A field per variable of the prompt's template; Enter goes to the next field and, on
    the last, fills the template. Esc closes without filling it.

    Dismissed with the values by name, or None.
    """

    DEFAULT_CSS = """
    PromptVariables { align: center middle; }
    PromptVariables > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    PromptVariables VerticalScroll { height: auto; max-height: 20; }
    PromptVariables Label { margin-top: 1; }
    PromptVariables #variables-status { color: $text-muted; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, spec: PromptSpec, values: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.values = dict(values or {})

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(f"{self.spec.name}: {self.spec.description}"))
            with VerticalScroll():
                for index, name in enumerate(self.spec.variables):
                    yield Label(Content(name))
                    yield Input(self.values.get(name, ""), placeholder=name, id=f"variable-{index}")
            yield Static(
                Content("Enter: next field, then the message goes to the prompt · Esc closes"),
                id="variables-status",
            )

    def on_mount(self) -> None:
        fields = list(self.query(Input))
        empty = next((field for field in fields if not field.value), None)
        (empty or fields[0]).focus()

    def _values(self) -> dict[str, str]:
        fields = list(self.query(Input))
        return {name: field.value for name, field in zip(self.spec.variables, fields, strict=True)}

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.dismiss(self._values())
