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

from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.widget import Widget

__all__ = ["KeepsLinesWhenTaller", "settled_virtual_size"]


def settled_virtual_size() -> Reactive[Size]:
    """A `virtual_size` that repaints and lays out nothing when layout sets it.

    Returns:
        A reactive to assign to `virtual_size` in the widget's class body.
    """
    return Reactive(Size(0, 0), layout=False, repaint=False)


class KeepsLinesWhenTaller(Widget):
    """A widget whose painted lines stay valid when it grows taller at the same width.

    Textual repaints every line of a widget whose size changed. An answer that streams
    grows at its bottom: its lines above the old bottom (and those of the message holding
    it) are what they were, and only the lines below need painting. With the whole answer
    repainted at each step of its height, as many lines as the view holds were rendered
    again, for the answer and for the message, several times a second.

    For a widget whose lines do not depend on its height (no vertical alignment, no
    background that depends on the height): only the lines from the old bottom gutter on
    are marked to paint again.
    """

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        old = self.outer_size
        if not (old.width == size.width and size.height > old.height > 0):
            return super()._size_updated(size, virtual_size, container_size, layout)
        # Textual's check sees the same size and leaves the painted lines alone.
        self._size = size
        super()._size_updated(size, virtual_size, container_size, layout)
        top, _right, bottom, left = self.styles.gutter
        first = max(0, old.height - bottom)  # the old bottom border and padding change too
        # refresh() takes regions of the content area; this one is the full width.
        self.refresh(Region(-left, first - top, size.width, size.height - first))
        return True
