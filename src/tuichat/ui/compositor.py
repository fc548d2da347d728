"""Textual's compositor, rendering for a frame only the widgets and rows the frame paints.

A frame that paints part of the screen (a line of a streaming answer) is rendered by
Textual's `Compositor` as follows: every widget whose *container's* clip overlaps the
painted area renders all its visible lines, and the lines outside the painted area are then
thrown away. The screen's clip is the whole screen, so the header, the prompt and the footer
rendered all their lines at every frame of a stream, and the answer rendered each of its
visible lines (from its cache) to paint the one that changed: measured, most of what a frame
costs while an answer streams, and the same at the 2,000th chunk as at the first.

This compositor asks for lines only from the widgets whose visible part overlaps the painted
area and is not hidden there behind one widget in front (a container behind its child), and
from each only the rows of that area. What reaches the terminal is the same: a line that is
not asked for is one Textual would have thrown away, since the compositor paints the front
widget's lines over those behind it. A widget's lines that are marked to paint again and are
not asked for stay marked (Textual's `StylesCache` forgets the mark only of the lines it
rendered), so they are rendered when they are next painted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

__all__ = ["PaintedRowsCompositor", "PaintedRowsScreen"]

ResultType = TypeVar("ResultType")


class PaintedRowsCompositor(Compositor):
    """A `Compositor` whose partial updates render only what they paint (see the module)."""

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None or crop == self.size.region:
            yield from super()._get_renders(crop)
            return
        in_front: list[Region] = []  # what the widgets already rendered show
        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            visible = region.intersection(clip)
            painted = visible.intersection(crop)
            if not painted or any(front.contains_region(painted) for front in in_front):
                continue
            in_front.append(visible)
            # The rows of the painted area, at the widget's full visible width: the
            # compositor cuts each line at the widgets' edges, so it must start at one.
            rows = Region(visible.x, painted.y, visible.width, painted.height)
            yield (
                region,
                rows,
                widget.render_lines(
                    Region(rows.x - region.x, rows.y - region.y, rows.width, rows.height)
                ),
            )


class PaintedRowsScreen(Screen[ResultType]):
    """A screen whose frames render only what they paint (its compositor is the one above)."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = PaintedRowsCompositor()
