"""A layout detail shared by the widgets a streaming answer grows: one layout per change.

Textual's `Widget.virtual_size` is a reactive that asks for a layout when it changes, and a
layout pass sets it on every widget whose size it changed. So each time a streaming answer
grew, the answer, the message and the conversation list each asked for another layout, and
the next frame laid out the whole screen again, found nothing had moved, and still
repainted all three: measured in tmux, as many layout frames again, a third of the CPU
that drawing an answer costs. For these widgets nothing depends on that second pass: their
virtual size is their size, or (the list) what its scrollbars show, which Textual updates
when it sets the size.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive

__all__ = ["settled_virtual_size"]


def settled_virtual_size() -> Reactive[Size]:
    """A `virtual_size` that repaints and lays out nothing when layout sets it.

    Returns:
        A reactive to assign to `virtual_size` in the widget's class body.
    """
    return Reactive(Size(0, 0), layout=False, repaint=False)
