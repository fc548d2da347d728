"""The footer: the screen's keys on one line, drawn by one widget.

Textual's `Footer` makes a widget of each key, and each costs passes of the stylesheet when it
is mounted and again whenever the screen's bindings change: with the chat screen's keys that
was a fifth of tuichat's first frame. This draws the same line (the same theme variables and
spacing, the command palette's key at the right edge) as one `Text`, made again only when the
bindings change. A click on a key presses it, as on Textual's; the mouse over a key shows its
tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class ShownKey:
    """One key as the footer shows it, and the columns it takes on the line."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str
    start: int = 0
    end: int = 0


def _footer_key(binding: Binding, display: str, enabled: bool, tooltip: str) -> ShownKey:
    return ShownKey(binding.key, display, binding.description, enabled, tooltip)


class KeyFooter(Widget, can_focus=False):
    """The keys of the screen that can be pressed, as Textual's `Footer` shows them."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--item",
        "key-footer--key",
        "key-footer--description",
        "key-footer--hover",
        "key-footer--separator",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--item { background: $footer-item-background; }
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .key-footer--separator { color: $foreground 20%; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[ShownKey] | None = None  # None: collected again when next drawn
        self._palette: ShownKey | None = None
        self._placed: list[ShownKey] = []  # the keys drawn, with their columns
        self._hover: str | None = None  # the key under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self._keys = None
        self.refresh()

    @property
    def keys(self) -> list[ShownKey]:
        """The keys shown from the left (the command palette's, at the right, not included)."""
        if self._keys is None:
            self._keys, self._palette = self._collect()
        return self._keys

    def _collect(self) -> tuple[list[ShownKey], ShownKey | None]:
        app = self.app
        keys: list[ShownKey] = []
        actions: set[str] = set()
        palette: ShownKey | None = None
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == palette_key:
                palette = _footer_key(binding, app.get_key_display(binding), enabled, tooltip)
            elif binding.show and binding.action not in actions:  # one key an action
                actions.add(binding.action)
                keys.append(_footer_key(binding, app.get_key_display(binding), enabled, tooltip))
        return keys, palette

    def render(self) -> Text:
        width = self.size.width
        keys = self.keys
        style = self.get_component_rich_style
        item = style("key-footer--item")
        parts = (style("key-footer--key"), style("key-footer--description"))
        right = Text(end="")
        if self._palette is not None:  # as Textual's, compact: no space around the key
            right.append("▏", style("key-footer--separator"))
            right.append_text(self._drawn(self._palette, compact=True, parts=parts, item=item))
            right.append(" ", item)
        room = max(0, width - right.cell_len)
        line = Text(end="", no_wrap=True, overflow="crop")
        placed: list[ShownKey] = []
        for key in keys:
            if line.cell_len >= room:
                break
            start = line.cell_len
            line.append_text(self._drawn(key, compact=False, parts=parts, item=item))
            placed.append(replace(key, start=start, end=min(room, line.cell_len)))
        line.truncate(room, pad=True)
        if self._palette is not None:
            placed.append(replace(self._palette, start=room, end=width))
            line.append_text(right)
        self._placed = placed
        return line

    def _drawn(
        self, key: ShownKey, *, compact: bool, parts: tuple[Style, Style], item: Style
    ) -> Text:
        key_style, description_style = parts
        shown = key.display if compact else f" {key.display} "
        words = f" {key.description}" if compact else f"{key.description} "
        words = words if key.description else ""
        text = Text.assemble((shown, key_style), (words, description_style))
        if key.key == self._hover:
            text.stylize(self.get_component_rich_style("key-footer--hover"))
        if not key.enabled:
            text.stylize(Style(dim=True))
        text.stylize_before(item)
        return text

    def _key_at(self, x: int) -> ShownKey | None:
        return next((key for key in self._placed if key.start <= x < key.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x)
        hover = key.key if key is not None else None
        if hover != self._hover:
            self._hover = hover
            self.tooltip = (key.tooltip or None) if key is not None else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
