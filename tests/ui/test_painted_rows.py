"""A frame renders only what it paints, and the terminal still shows what a full repaint shows.

Textual's compositor asks every widget in the painted area's container for all its visible
lines at every frame and throws most of them away; `PaintedRowsCompositor` asks only the
widgets in front in the painted area, for its rows. These tests record what each frame
writes, apply it to a grid of cells as a terminal does, and compare the grid with the whole
screen rendered from scratch.
"""

from __future__ import annotations

from typing import Any

from rich.segment import ControlType, Segment
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tests.ui.conftest import AppFactory
from tests.ui.pilot_helpers import answer_receiving, finish_turn, send
from tuichat.demo.replies import Slow
from tuichat.demo.server import ChatServer
from tuichat.ui.compositor import PaintedRowsScreen
from tuichat.ui.widgets.key_footer import KeyFooter
from tuichat.ui.widgets.prompt import PromptInput

Cell = tuple[str, Any]  # a character and its style


class Screenful:
    """What a terminal shows of the frames written to it: one cell per column and row."""

    def __init__(self, lines: list[Strip]) -> None:
        self.rows: list[list[Cell]] = [self.cells(strip) for strip in lines]

    @staticmethod
    def cells(strip: Strip) -> list[Cell]:
        return [(char, segment.style) for segment in strip for char in segment.text]

    def write(self, segments: list[Segment]) -> None:
        """Apply a frame (what Textual's update renders) at its cursor positions."""
        x = y = 0
        for segment in segments:
            if segment.control:
                for control in segment.control:
                    if control[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = int(control[1]), int(control[2])
                continue
            if segment.text == "\n":
                continue  # every line written after it starts with a cursor move
            row = self.rows[y]
            for char in segment.text:
                row[x] = (char, segment.style)
                x += 1


class Frames:
    """The frames a screen paints from now on, applied to a `Screenful` as a terminal would.

    Attributes:
        shown: what the terminal shows.
        count: the frames painted.
        stale: the frames after which nothing was waiting to be painted and `shown` was not
            the whole screen rendered again.
        checked: how many frames were compared so.
    """

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.compositor = screen._compositor
        self.shown = Screenful(self.compositor.render_strips())
        self.count = 0
        self.stale: list[int] = []
        self.checked = 0
        self._painting = False
        render_update = self.compositor.render_update

        def recording(*args: Any, **kwargs: Any) -> Any:
            self._painting = True
            try:
                update = render_update(*args, **kwargs)
            finally:
                self._painting = False
            if update is not None:
                console = screen.app.console
                self.shown.write(list(update.__rich_console__(console, console.options)))
                self.count += 1
                if not self._waiting():
                    self.checked += 1
                    if self.shown.rows != self._rendered():
                        self.stale.append(self.count)
            return update

        self.compositor.render_update = recording

    def _waiting(self) -> bool:
        """Whether a widget has changed since the frame and waits for the next one.

        Textual paints a widget that asked for it (`refresh()`) at the first frame after
        the widget's own queue is idle: a frame in between paints the others.
        """
        return any(
            widget._repaint_required or widget._layout_required
            for widget in self.screen.walk_children(with_self=True)
        )

    def _rendered(self) -> list[list[Cell]]:
        return Screenful(self.compositor.render_strips()).rows

    def asked_for_lines(self, widget: Widget) -> list[Region]:
        """Record the regions the frames ask `widget` to render (its `render_lines` calls)."""
        crops: list[Region] = []
        render_lines = widget.render_lines

        def recording(crop: Region) -> list[Strip]:
            if self._painting:
                crops.append(crop)
            return render_lines(crop)

        widget.render_lines = recording  # type: ignore[method-assign]
        return crops

    def repainted(self) -> list[list[Cell]]:
        """The whole screen with every line rendered again, as a full update writes it."""
        for widget in self.screen.walk_children(with_self=True):
            widget.refresh()
        return self._rendered()


ANSWER = "\n\n".join(
    f"## Part {n}\n\nParagraph {n} of the answer, long enough to wrap across the view "
    f"at eighty columns, with `code {n}` and **bold {n}** in it.\n\n- item {n}.1\n- item {n}.2"
    for n in range(12)
)


async def test_a_streaming_answer_paints_what_a_full_repaint_shows(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow(ANSWER, tokens_per_second=250))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await send(pilot, "tell me")
        await answer_receiving(pilot, "Part 0")
        frames = Frames(screen)
        prompt = frames.asked_for_lines(screen.query_one(PromptInput))
        footer = frames.asked_for_lines(screen.query_one(KeyFooter))
        header = frames.asked_for_lines(screen.query_one("Header", Widget))
        await answer_receiving(pilot, "Part 11")
        streamed = frames.count
        others = len(prompt) + len(footer) + len(header)
        await finish_turn(pilot)
        assert streamed > 12  # the answer grew over many frames, some of them layouts
        assert frames.checked > streamed / 2
        assert not frames.stale, f"frames {frames.stale} of {frames.count} left stale rows"
        assert frames.shown.rows == frames.repainted()
        # The prompt blinks and the footer changes once; neither paints along with the answer
        # (with Textual's own compositor each is asked for all its lines at every frame).
        assert others < streamed / 2, (len(prompt), len(footer), len(header), streamed)


class Lines(Widget):
    """A widget of ten numbered lines, which can change one by one."""

    DEFAULT_CSS = "Lines { height: 10; }"

    def __init__(self) -> None:
        super().__init__()
        self.changed: set[int] = set()

    def render_line(self, y: int) -> Strip:
        text = f"line {y}" + (" changed" if y in self.changed else "")
        return Strip([Segment(text.ljust(self.size.width))])


class LinesScreen(PaintedRowsScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("top", id="top")
        with VerticalScroll():
            yield Lines()
        yield Static("bottom", id="bottom")


class LinesApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(LinesScreen())


async def changed_line(pilot: Pilot[None], lines: Lines, y: int) -> None:
    lines.changed.add(y)
    lines.refresh(Region(0, y, lines.size.width, 1))
    await pilot.pause()


async def test_a_frame_that_changes_one_line_renders_that_line_of_that_widget_only() -> None:
    app = LinesApp()
    async with app.run_test(size=(40, 16)) as pilot:
        await pilot.pause()
        screen = app.screen
        lines = screen.query_one(Lines)
        frames = Frames(screen)
        asked = {
            widget: frames.asked_for_lines(widget)
            for widget in screen.walk_children(with_self=True)
            if widget.region  # shown
        }
        for y in (3, 7):
            for crops in asked.values():
                crops.clear()
            await changed_line(pilot, lines, y)
            assert {w: c for w, c in asked.items() if c} == {lines: [Region(0, y, 40, 1)]}
        assert frames.count == frames.checked == 2 and not frames.stale
        assert lines.render_line(7).text.startswith("line 7 changed")
        assert frames.shown.rows == frames.repainted()
