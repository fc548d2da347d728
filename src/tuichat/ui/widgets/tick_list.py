"""A list of options to tick, where Space ticks the option it was pressed on."""

from __future__ import annotations

from typing import TypeVar

from textual.widgets import OptionList, SelectionList

__all__ = ["TickList"]

Value = TypeVar("Value")


class TickList(SelectionList[Value]):
    """Textual's `SelectionList`, ticking the option Space (or Enter) was pressed on.

    Textual's ticks the option highlighted when the key's message is handled: Space then Down
    typed quickly (or pasted, or sent by a script) ticked the option below, or unticked it.
    The message carries the option the key was pressed on.
    """

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        event.prevent_default()  # Textual calls each base's handler too: not this one's
        self.toggle(self.get_option_at_index(event.option_index))
