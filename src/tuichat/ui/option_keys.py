"""The keys of a picker whose input filters an `OptionList` below it: Up and Down move the
highlight while the input keeps the focus, Enter picks the highlighted option."""

from __future__ import annotations

from textual.widgets import OptionList


def move_highlight(options: OptionList, step: int) -> None:
    """Move the highlight `step` options down (up when negative), staying in the list."""
    if options.option_count:
        current = options.highlighted or 0
        options.highlighted = max(0, min(options.option_count - 1, current + step))


def highlighted_id(options: OptionList) -> str | None:
    """The id of the highlighted option (None: nothing is shown or highlighted)."""
    if options.highlighted is None or not options.option_count:
        return None
    return options.get_option_at_index(options.highlighted).id
