"""A streaming answer that grows taller paints its new rows, not all of them again.

At each step of a streaming answer's height Textual would paint every row of the answer,
of the message holding it and of the conversation's scrollbar again. These tests record
which rows are painted (through the widgets' `render_line`) and check that what is shown
is still what a full repaint shows.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tuichat.ui.widgets.chat_message import AssistantMessage
from tuichat.ui.widgets.markdown_view import HEIGHT_STEP
from tuichat.ui.widgets.message_list import MessageList
from tuichat.ui.widgets.scroll_bar import ChangedRowsScrollBar, ChangedRowsScrolling


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MessageList()


def record_rows(widget: Widget) -> list[int]:
    """Record the rows a widget is asked to paint (its `render_line` calls)."""
    rows: list[int] = []
    render_line = widget.render_line

    def recording(y: int) -> Strip:
        rows.append(y)
        return render_line(y)

    widget.render_line = recording  # type: ignore[method-assign]
    return rows


def cells(widget: Widget) -> list[tuple[str, Any]]:
    """What a widget shows now: the text and style of each of its segments."""
    size = widget.outer_size
    lines = widget.render_lines(Region(0, 0, size.width, size.height))
    return [(segment.text, segment.style) for line in lines for segment in line]


def repainted(widget: Widget) -> list[tuple[str, Any]]:
    """What the widget shows once every row is painted again from scratch."""
    widget.refresh()
    return cells(widget)


async def grow(pilot: Pilot[Any], answer: AssistantMessage, text: str, height: int) -> None:
    answer.body.append(text)
    while answer.body.reserved_height < height:
        await pilot.pause(0.02)  # until the flush (at most 15 a second)
    await pilot.pause()  # and the frame it asks for


async def test_a_taller_answer_paints_only_the_rows_below_its_old_bottom() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 20)) as pilot:
        answer = AssistantMessage()
        messages = app.query_one(MessageList)
        messages.add(answer, None, "answer")
        messages.anchor()  # as the chat screen does when a prompt is sent
        # Taller than the view: the list shows its scrollbar (a new width) and follows the end.
        start = "".join(f"start {n}\n\n" for n in range(12))
        await grow(pilot, answer, start, 23)
        assert messages.vertical_scrollbar.display
        body_rows, message_rows = record_rows(answer.body), record_rows(answer)
        for step in range(1, 4):
            old_height = answer.outer_size.height
            old_lines = answer.body.line_count
            body_rows.clear()
            message_rows.clear()
            paragraphs = "".join(f"line {step}.{n}\n\n" for n in range(HEIGHT_STEP // 2))
            await grow(pilot, answer, paragraphs, answer.body.reserved_height + 1)
            assert answer.outer_size.height > old_height  # a step of height: a layout
            assert messages.scroll_y == messages.max_scroll_y  # following the end
            # The answer's changed lines start at its old last line (a blank one, then
            # new paragraphs); the message's own rows from its old bottom on.
            assert body_rows and min(body_rows) >= old_lines - 1, (step, sorted(body_rows))
            assert not message_rows or min(message_rows) >= old_height - 1, step
            # The rows kept are what painting them all again shows.
            assert cells(answer.body) == repainted(answer.body)
            assert cells(answer) == repainted(answer)
        body = answer.body
        text = [body.render_line(y).text.rstrip() for y in range(body.line_count)]
        assert text[:3] == ["start 0", "", "start 1"] and text[-1] == "line 3.2"


class StockScroll(VerticalScroll):
    """Textual's scrolling container, with Textual's scrollbar."""


class ChangedRowsScroll(VerticalScroll, ChangedRowsScrolling):
    """The same, with the scrollbar that repaints only its changed rows."""


class TwoScrollsApp(App[None]):
    CSS = "Horizontal { height: 1fr; } Horizontal > * { width: 1fr; height: 1fr; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield StockScroll(*(Static(f"line {n}") for n in range(60)), id="stock")
            yield ChangedRowsScroll(*(Static(f"line {n}") for n in range(60)), id="ours")


async def test_the_scrollbar_looks_like_textuals_and_repaints_only_changed_rows() -> None:
    app = TwoScrollsApp()
    async with app.run_test(size=(60, 20)) as pilot:
        stock, ours = app.query_one("#stock", StockScroll), app.query_one("#ours")
        assert isinstance(ours, ChangedRowsScroll)
        bar = ours.vertical_scrollbar
        await pilot.pause()
        assert isinstance(bar, ChangedRowsScrollBar) and bar.display
        rows = record_rows(bar)

        async def both(change: str) -> None:
            for scroll in (stock, ours):
                if change == "grow":
                    await scroll.mount_all(Static(f"more {n}") for n in range(3))
                elif change == "end":
                    scroll.scroll_end(animate=False)
                else:
                    scroll.scroll_to(y=int(change), animate=False)
            await pilot.pause()
            await pilot.pause()

        for change in ("7", "23", "grow", "end", "grow", "0"):
            rows.clear()
            await both(change)
            assert cells(bar) == cells(stock.vertical_scrollbar), change
            assert cells(bar) == repainted(bar), change
            if change == "grow":  # the thumb shrinks and moves: a few rows change
                assert 0 < len(set(rows)) <= 4, sorted(rows)
        # Hovering changes the colours of every row, as it does Textual's.
        edge = (ours.outer_size.width - 1, 2)
        await pilot.hover("#stock", offset=edge)
        await pilot.pause()
        stock_hovered = cells(stock.vertical_scrollbar)
        await pilot.hover("#ours", offset=edge)
        await pilot.pause()
        assert cells(bar) == stock_hovered
        assert cells(bar) != cells(stock.vertical_scrollbar)  # no longer hovered
