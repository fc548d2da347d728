"""Pick a model from the server's `/models` list, filtered as you type."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tuichat.core.client import ChatClient, describe_models_error
from tuichat.core.text import counted
from tuichat.ui.option_keys import highlighted_id, move_highlight


class ModelPicker(ModalScreen[str | None]):
    """Lists the models the server offers; Enter picks the highlighted one or the typed name."""

    DEFAULT_CSS = """
    ModelPicker { align: center middle; }
    ModelPicker > Vertical {
        width: 70; height: 24; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ModelPicker #model-status { height: auto; color: $text-muted; }
    ModelPicker OptionList { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, client: ChatClient) -> None:
        super().__init__()
        self.client = client
        self.models: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(f"Model (now {self.client.provider.model})"), id="model-title")
            yield Input(placeholder="type to filter, or a model name", id="model-filter")
            yield Static("asking the server for its models…", id="model-status")
            yield OptionList(id="model-list")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.load_models()

    @work(exclusive=True, exit_on_error=False)
    async def load_models(self) -> None:
        """Fetch `/models`; a server without it leaves typing a name."""
        status = self.query_one("#model-status", Static)
        try:
            self.models = await self.client.list_models()
        except Exception as error:  # any failure leaves typing a name
            status.update(Content(describe_models_error(error, self.client.provider)))
            return
        if not self.models:
            status.update(Content("The server lists no models: type a model name and press Enter."))
            return
        self._show(self.query_one(Input).value)

    def _show(self, text: str) -> None:
        needle = text.strip().lower()
        options = self.query_one(OptionList)
        options.clear_options()
        shown = [name for name in self.models if needle in name.lower()]
        options.add_options([Option(Content(name), id=name) for name in shown])
        if options.option_count:
            options.highlighted = 0
        if not self.models:
            return  # the status says the server lists none
        count = counted(len(self.models), "model")
        if len(shown) != len(self.models):
            count = f"{len(shown):,} of {count}"
        enter = "Enter picks" if shown else "Enter uses the name typed"
        status = self.query_one("#model-status", Static)
        status.update(Content(f"{count} · {enter} · Esc closes"))

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
        elif event.value.strip():
            self.dismiss(event.value.strip())

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
