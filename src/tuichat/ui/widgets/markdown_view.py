"""A streaming Markdown view whose per-frame cost does not grow with the answer.

Textual's stock ``Markdown`` widget mounts one widget per block and lets the
compositor lay out the whole document again every frame, so streaming a long
answer gets slower and slower. :class:`StreamingMarkdown` is a single Line API
widget instead:

* The source is split into *finished* blocks and an unfinished *tail*. A
  finished block is parsed and rendered exactly once (per width and code theme)
  into cached lines (lists of Rich segments), which are appended to one flat list
  that only ever grows at its end.
* Only the tail is parsed and rendered again, at most once per frame: ``append``
  just buffers the text and schedules a flush after the next screen refresh.
* ``render_line`` is a list lookup, so painting costs what is visible, and a
  flush refreshes only the lines that changed (or requests a layout when the
  line count changed, because the widget is ``height: auto``).

Where the blocks are and which are finished is decided in
:mod:`tuichat.ui.markdown_blocks` (``markdown-it-py`` configured like Rich's own
Markdown parser); each block is rendered here with :class:`rich.markdown.Markdown`,
so the result matches what Rich prints for the whole document (blocks are
separated by one blank line, none after a horizontal rule, as Rich does).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from rich.console import ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.theme import Theme as RichTheme
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.selection import Selection
from textual.strip import Strip
from textual.theme import Theme

from tuichat.core.text import strip_control
from tuichat.ui.markdown_blocks import (
    CONTAINER_KINDS,
    TopBlock,
    is_open_fence,
    needs_separator,
    split_tail,
)
from tuichat.ui.markdown_render import make_markdown
from tuichat.ui.markdown_styles import markdown_theme
from tuichat.ui.widgets.layout import KeepsLinesWhenTaller, settled_virtual_size

__all__ = ["StreamingMarkdown"]

# A rendered line: Rich segments exactly as wide as the widget's content. Plain lists
# rather than Strips: a Strip carries seven caches, and a long answer keeps thousands
# of lines alive, which the garbage collector has to scan again and again. Strips are
# made in render_line for the visible lines only, and kept in a small LRU cache.
_Line = list[Segment]

# Code themes (Pygments style names) for dark and light app themes.
DARK_CODE_THEME = "monokai"
LIGHT_CODE_THEME = "default"

# A growing (unclosed) fenced code block is rendered in frozen chunks of this many
# complete lines, so a frame re-highlights at most this many lines (Pygments through
# rich.syntax costs ~0.3 ms per line).
_FENCE_CHUNK_LINES = 16

# A flush that took `t` seconds is followed by at least `t * _COOLDOWN_FACTOR` seconds
# without one, so even a huge tail (a 200-item list) uses at most a third of the CPU.
_COOLDOWN_FACTOR = 2.0

# While text streams, the height grows in steps of this many lines. Each change of height
# is a layout, and in an anchored list a scroll that repaints the whole screen (measured:
# ~6 ms at 120x40, most of the app's CPU at 200 chunks/s); new lines within a step are a
# repaint of just those lines. finish() gives the exact height back.
HEIGHT_STEP = 6

# At most this many flushes (and so frames caused by text) per second while streaming.
# Every frame costs Textual's compositor a few ms whatever changed: it renders again every
# widget whose clip touches the changed region, the prompt and the header included
# (measured in tmux: ~3 ms a text frame on a 2-core machine). 15 updates a second still
# read as smooth streaming, and cost a quarter less than 20 (~0.17 s of CPU on a paced
# 2,000-chunk answer, ~8% of the app's).
_MIN_FLUSH_INTERVAL = 1 / 15


@dataclass(slots=True)
class _Block:
    """A finished block: its source and its rendered lines at the current width."""

    source: str
    kind: str
    lines: list[_Line]
    line_offset: int
    """Index in the flat line list where this block (with its separator) starts."""


class StreamingMarkdown(KeepsLinesWhenTaller, can_focus=False):
    """Markdown that can be appended to cheaply, e.g. an answer streamed by a model.

    The text is literal model output: Rich console markup is shown as typed and
    terminal control characters are removed.

    Call :meth:`append` from the app's event loop (not from a thread).
    """

    DEFAULT_CSS = """
    StreamingMarkdown {
        width: 1fr;
        height: auto;
        color: $foreground;
    }
    """

    virtual_size = settled_virtual_size()  # one layout per change of height (see layout.py)

    def __init__(
        self,
        markdown: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create a streaming Markdown view.

        Args:
            markdown: Initial Markdown source.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._pending: list[str] = []
        """Appended text not yet looked at (raw; sanitized when consumed)."""
        self._done_parts: list[str] = []
        """Source of the finished blocks (with the blank lines between them)."""
        self._done_length = 0
        """Total length of ``_done_parts``."""
        self._tail = ""
        """Source not yet in finished blocks."""
        self._blocks: list[_Block] = []
        self._lines: list[_Line] = []
        """Lines of all finished blocks and their separators; only grows at its end."""
        self._last_kind: str | None = None
        """Kind of the last finished block that rendered any line."""
        self._tail_lines: list[_Line] = []
        self._tail_key: tuple[object, ...] | None = None
        self._fence_key: tuple[object, ...] | None = None
        self._fence_chunks: list[list[_Line]] = []
        self._width = 0
        """Width of the cached lines; 0 until the first layout."""
        self._options: ConsoleOptions | None = None
        self._blank: _Line = []
        self._strip_cache: LRUCache[int, tuple[Style, Strip]] = LRUCache(256)
        """Styled strips of recently painted lines, by line number."""
        self._code_theme = DARK_CODE_THEME
        self._styles: RichTheme | None = None
        """Rich's Markdown styles from the app theme (tuichat.ui.markdown_styles)."""
        self._finished = False
        self._finish_mark: tuple[int, int, str] | None = None
        """(blocks, done parts, tail) before finish(), to resume if text is appended."""
        self._flush_scheduled = False
        self._flush_timer: asyncio.TimerHandle | None = None
        self._hold_until = 0.0
        self._last_flush = 0.0
        self._laid_out_height = 0  # the height last asked for with refresh(layout=True)
        self._render_count = 0
        """Number of Rich renders done (for tests: finished blocks are rendered once)."""
        if markdown:
            self._pending.append(markdown)

    # Public API

    @property
    def text(self) -> str:
        """The full Markdown source (without control characters)."""
        return "".join(self._done_parts) + self._tail + strip_control("".join(self._pending))

    @property
    def line_count(self) -> int:
        """Number of rendered lines currently shown."""
        return len(self._lines) + len(self._tail_lines)

    @property
    def is_finished(self) -> bool:
        """Whether :meth:`finish` was called (and no text appended since)."""
        return self._finished

    def append(self, text: str) -> None:
        """Append Markdown source; it is shown at the next frame.

        This only buffers the text: parsing and rendering happen once per frame,
        however many times this is called.

        Args:
            text: A fragment of Markdown (any split, even inside a line or a fence).
        """
        if not text:
            return
        if self._finished:
            self._resume()
        self._pending.append(text)
        self._schedule_flush()

    def set_text(self, text: str) -> None:
        """Replace the whole source.

        Args:
            text: The new Markdown source.
        """
        self.clear()
        self.append(text)

    def clear(self) -> None:
        """Remove all text."""
        self._pending.clear()
        self._done_parts.clear()
        self._done_length = 0
        self._tail = ""
        self._blocks.clear()
        self._lines = []
        self._last_kind = None
        self._tail_lines = []
        self._tail_key = None
        self._fence_key = None
        self._fence_chunks = []
        self._strip_cache.clear()
        self._finished = False
        self._finish_mark = None
        self.refresh(layout=True)

    def finish(self) -> None:
        """Mark the answer as complete: render the tail as finished blocks now.

        After this every line is cached. Appending again resumes streaming.
        """
        if self._finished:
            return
        self._finished = True
        if self._width > 0:
            self._flush()
            if self.reserved_height != self._laid_out_height:
                # Give back the lines reserved for streaming.
                self._laid_out_height = self.reserved_height
                self.refresh(layout=True)
        # Otherwise the first layout renders everything as finished (see _rebuild).

    # Textual hooks

    def _on_mount(self, event: events.Mount) -> None:
        """Follow theme changes, and show text given before mounting."""
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)
        if self._pending:
            self._schedule_flush()

    def on_unmount(self) -> None:
        """Stop following theme changes: Textual's signal would otherwise keep this widget
        (and its cached lines) alive until the next theme change, so every answer scrolled
        out of a long conversation's window would stay in memory."""
        self.app.theme_changed_signal.unsubscribe(self)
        if self._flush_timer is not None:
            self._flush_timer.cancel()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """Fill the available width (Markdown wraps to whatever it is given).

        Args:
            container: Size of the container.
            viewport: Size of the viewport.

        Returns:
            The content width.
        """
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The number of rendered lines at the given width.

        Layout calls this with the content width, so this is where a new width is
        picked up: everything is rendered again for it.

        Args:
            container: Size of the container.
            viewport: Size of the viewport.
            width: Content width.

        Returns:
            The content height.
        """
        if width <= 0:
            return 0
        if width != self._width:
            self._rebuild(width)
        self._laid_out_height = self.reserved_height
        return self._laid_out_height

    @property
    def reserved_height(self) -> int:
        """The height to lay out: the line count, rounded up to a step while streaming."""
        count = self.line_count
        if self._finished or count == 0:
            return count
        return -(-count // HEIGHT_STEP) * HEIGHT_STEP

    def render_line(self, y: int) -> Strip:
        """Render one line of content from the caches (no parsing or rendering).

        Args:
            y: Line number, relative to the content area.

        Returns:
            The line.
        """
        width = self.size.width
        if width != self._width and width > 0:
            # A size that layout did not give to get_content_height (e.g. a fixed
            # height): render for it now and lay out again if the height changed.
            count = self.line_count
            self._rebuild(width)
            if self.line_count != count:
                self.refresh(layout=True)
        style = self.visual_style.rich_style
        selection = self.text_selection
        if selection is None:
            cached = self._strip_cache.get(y)
            if cached is not None and cached[0] == style:
                return cached[1]
        finished = self._lines
        if y < len(finished):
            line = finished[y]
        else:
            index = y - len(finished)
            tail = self._tail_lines
            if not 0 <= index < len(tail):
                return Strip.blank(width, style)
            line = tail[index]
        strip = Strip(Segment.apply_style(line, style), self._width)
        if selection is not None and (span := selection.get_span(y)) is not None:
            strip = self._highlight(strip, *span)
        # Offsets let Textual map the mouse to (x, y) in this widget for selecting text.
        strip = strip.apply_offsets(0, y)
        if selection is None:
            self._strip_cache[y] = (style, strip)
        return strip

    def _highlight(self, strip: Strip, start: int, end: int) -> Strip:
        """Show part of a line as selected.

        Args:
            strip: The line.
            start: First selected cell.
            end: Cell after the selection, or -1 for the end of the line.

        Returns:
            The line with the selection style over the span.
        """
        length = strip.cell_length
        end = length if end == -1 else min(end, length)
        if start >= end:
            return strip
        style = self.screen.get_component_rich_style("screen--selection")
        before, selected, after = strip.divide([start, end, length])
        selected = Strip(Segment.apply_style(selected, post_style=style), selected.cell_length)
        return Strip.join([before, selected, after])

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text under a selection: the rendered lines (as shown, not the source).

        Args:
            selection: The selection.

        Returns:
            The selected text and the separator to use after it.
        """
        lines = (*self._lines, *self._tail_lines)
        text = "\n".join("".join(segment.text for segment in line).rstrip() for line in lines)
        return selection.extract(text), "\n"

    # Scheduling

    def _schedule_flush(self) -> None:
        """Arrange for one flush after the next screen refresh (idempotent)."""
        if self._flush_scheduled or not self.is_mounted:
            return
        self._flush_scheduled = True
        # call_after_refresh runs the callback after the screen's next paint (or at
        # once if nothing is waiting to be painted), so flushes follow the frame rate.
        if not self.call_after_refresh(self._scheduled_flush):
            self._flush_scheduled = False

    def _scheduled_flush(self) -> None:
        """Flush pending text, or wait out the cooldown after an expensive flush."""
        if not self.is_attached:
            self._flush_scheduled = False
            return
        now = time.monotonic()
        delay = max(self._hold_until, self._last_flush + _MIN_FLUSH_INTERVAL) - now
        if self._finished:
            delay = 0.0  # the final render is not held back
        if delay > 0:
            # A bare loop timer that hands over to the message queue: a Textual timer (a task
            # and a message per flush) cost twice as much, 15 times a second.
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(delay, self.call_next, self._scheduled_flush)
            return
        self._flush_scheduled = False
        self._flush()

    def _on_theme_changed(self, theme: Theme) -> None:
        """Render again in the new theme's styles (and the code theme that suits it)."""
        if self._width > 0:
            self._rebuild(self._width)
            self.refresh(layout=True)

    # Rendering

    def _pick_code_theme(self) -> str:
        """The Pygments theme for code blocks, from the app theme."""
        return DARK_CODE_THEME if self.app.current_theme.dark else LIGHT_CODE_THEME

    def _render_markdown(self, source: str, first_kind: str) -> list[_Line]:
        """Render Markdown source into lines at the current width.

        Args:
            source: Markdown source of one or more top-level blocks.
            first_kind: Kind of the first block.

        Returns:
            The lines, each exactly the current width, without the blank line Rich
            renders before a container block (the caller adds separators).
        """
        self._render_count += 1
        lines = self._render_lines(make_markdown(source, self._code_theme))
        if (
            first_kind in CONTAINER_KINDS
            and lines
            and not "".join(segment.text for segment in lines[0]).strip()
        ):
            del lines[0]
        if first_kind == "table":
            # A table's top and bottom edges are empty rows: with the blank line between
            # blocks they would read as two.
            while lines and not "".join(segment.text for segment in lines[-1]).strip():
                del lines[-1]
            while lines and not "".join(segment.text for segment in lines[0]).strip():
                del lines[0]
        return lines

    def _render_lines(self, renderable: RenderableType) -> list[_Line]:
        """Render any Rich renderable into lines of the current width."""
        assert self._options is not None
        console = self.app.console
        if self._styles is None:
            self._styles = markdown_theme(self.app.theme_variables)
        with console.use_theme(self._styles):
            return console.render_lines(renderable, self._options, pad=True)

    def _rebuild(self, width: int) -> None:
        """Render everything again for a new width or code theme.

        Args:
            width: The content width.
        """
        self._width = width
        self._code_theme = self._pick_code_theme()
        self._styles = markdown_theme(self.app.theme_variables)
        self._options = self.app.console.options.update(width=width, height=None)
        self._blank = [Segment(" " * width)]
        self._strip_cache.clear()
        self._lines = []
        self._last_kind = None
        for block in self._blocks:
            block.lines = self._render_markdown(block.source, block.kind)
            self._add_lines(block)
        self._tail_lines = []
        self._tail_key = None
        self._fence_key = None
        self._fence_chunks = []
        self._consume_pending()
        self._advance()

    def _flush(self) -> None:
        """Bring the rendered lines up to date with the text and refresh what changed."""
        if self._width <= 0:
            # Not laid out yet, or hidden: the first layout renders everything.
            return
        if not self._pending and not (self._finished and self._tail):
            return
        started = time.monotonic()
        old_count = self.line_count
        old_finished = len(self._lines)
        old_tail = self._tail_lines
        self._consume_pending()
        self._advance()
        self._refresh_changed(old_count, old_finished, old_tail)
        self._last_flush = now = time.monotonic()
        self._hold_until = now + (now - started) * _COOLDOWN_FACTOR

    def _consume_pending(self) -> None:
        """Move buffered text to the tail, removing control characters."""
        if self._pending:
            self._tail += strip_control("".join(self._pending))
            self._pending.clear()

    def _advance(self) -> None:
        """Parse the tail, move finished blocks to the cache, and render the rest."""
        if self._finished and self._finish_mark is None:
            self._finish_mark = (len(self._blocks), len(self._done_parts), self._tail)
        split = split_tail(self._tail, final=self._finished)
        if split.finished:
            for source, kind in split.finished:
                self._add_block(source, kind)
            self._done_parts.append(split.done)
            self._done_length += len(split.done)
            self._tail = split.tail
        self._render_tail(split.blocks, split.lines)

    def _add_block(self, source: str, kind: str) -> None:
        """Render a finished block once and append its lines.

        Args:
            source: The block's Markdown source.
            kind: The block kind.
        """
        block = _Block(source, kind, self._render_markdown(source, kind), len(self._lines))
        self._blocks.append(block)
        self._add_lines(block)

    def _add_lines(self, block: _Block) -> None:
        """Append a finished block's lines, after a separator like Rich's."""
        block.line_offset = len(self._lines)
        if not block.lines:
            return
        if needs_separator(self._last_kind, block.kind):
            self._lines.append(self._blank)
        self._lines.extend(block.lines)
        self._last_kind = block.kind

    def _render_tail(self, blocks: list[TopBlock], lines: list[str]) -> None:
        """Render the unfinished blocks (skipped if nothing visible changed).

        Args:
            blocks: Unfinished blocks, line numbers relative to ``lines``.
            lines: The tail split on ``\\n``.
        """
        if not blocks:
            self._tail_lines = []
            self._tail_key = None
            return
        last = blocks[-1]
        fence_lines = 0
        if last.kind == "fence" and is_open_fence(last, lines):
            fence_lines = last.token.content.count("\n")
        if fence_lines > _FENCE_CHUNK_LINES:
            head_source = "\n".join(lines[blocks[0].start : last.start])
            key: tuple[object, ...] = ("fence", head_source, last.token.content)
        else:
            head_source = "\n".join(lines[blocks[0].start : last.end])
            # Trailing whitespace never changes how Markdown renders.
            key = ("markdown", head_source.rstrip())
        key += (len(self._blocks), self._last_kind)
        if key == self._tail_key:
            return
        self._tail_key = key
        first_kind = blocks[0].kind
        rendered = self._render_markdown(head_source, first_kind) if head_source.strip() else []
        if fence_lines > _FENCE_CHUNK_LINES:
            if not rendered:
                first_kind = "fence"
            elif needs_separator(blocks[-2].kind, "fence"):
                rendered.append(self._blank)
            rendered.extend(self._render_open_fence(last))
        if rendered and needs_separator(self._last_kind, first_kind):
            rendered.insert(0, self._blank)
        self._tail_lines = rendered

    def _render_open_fence(self, block: TopBlock) -> list[_Line]:
        """Render a long, still open fenced code block without re-highlighting it all.

        Complete lines are highlighted in frozen chunks that are cached; only the
        lines after the last chunk are highlighted again each frame. The layout is
        Rich's (a padded ``Syntax`` in the theme's background); highlighting may be
        off at chunk boundaries (e.g. inside a multi-line string) until the fence is
        closed, when the whole block is rendered by Rich at once.

        Args:
            block: The open fence (last block of the tail).

        Returns:
            The block's lines.
        """
        token = block.token
        lexer = (token.info or "").partition(" ")[0] or "text"
        key = (self._done_length, block.start, token.info)
        if key != self._fence_key:
            self._fence_key = key
            self._fence_chunks = []
        code_lines = token.content.split("\n")
        complete = len(code_lines) - 1
        chunks = self._fence_chunks
        while (len(chunks) + 1) * _FENCE_CHUNK_LINES <= complete:
            start = len(chunks) * _FENCE_CHUNK_LINES
            code = "\n".join(code_lines[start : start + _FENCE_CHUNK_LINES])
            chunks.append(self._render_code(code, lexer))
        from rich.syntax import Syntax

        background = Syntax.get_theme(self._code_theme).get_background_style()
        pad = [Segment(" " * self._width, background)]
        lines = [pad]
        for chunk in chunks:
            lines.extend(chunk)
        active = "\n".join(code_lines[len(chunks) * _FENCE_CHUNK_LINES :]).rstrip()
        if active:
            lines.extend(self._render_code(active, lexer))
        lines.append(pad)
        return lines

    def _render_code(self, code: str, lexer: str) -> list[_Line]:
        """Highlight code like Rich's Markdown code block, without vertical padding."""
        from rich.syntax import Syntax

        self._render_count += 1
        syntax = Syntax(code, lexer, theme=self._code_theme, word_wrap=True, padding=(0, 1))
        return self._render_lines(syntax)

    def _refresh_changed(self, old_count: int, old_finished: int, old_tail: list[_Line]) -> None:
        """Ask Textual to repaint what a flush changed: from the first line that differs.

        Lines before ``old_finished`` cannot have changed (finished lines never change), and
        the tail's first lines mostly have not either: the text grows at its end. Lines that
        are blank before and after (the rest of the reserved height) are not repainted.

        Args:
            old_count: Line count before the flush.
            old_finished: Number of finished lines before the flush.
            old_tail: Tail lines before the flush.
        """
        count = self.line_count
        first = self._first_changed(old_count, old_finished, old_tail)
        end = max(count, old_count)
        # The strips painted for lines that changed are stale.
        discard = self._strip_cache.discard
        for y in range(first, end):
            discard(y)
        if self.reserved_height != self._laid_out_height:
            # The height changed: the parent must lay out again (this also repaints).
            self._laid_out_height = self.reserved_height
            # Only the changed lines: the ones below the old height are painted anyway.
            self.refresh(Region(0, first, self._width, max(0, end - first)), layout=True)
        elif first < end:
            self.refresh(Region(0, first, self._width, end - first))

    def _first_changed(self, old_count: int, old_finished: int, old_tail: list[_Line]) -> int:
        """The first line that a flush changed (``max(count, old_count)`` if none did)."""
        count = self.line_count
        finished = self._lines
        tail = self._tail_lines
        split = len(finished)
        for index, old in enumerate(old_tail):
            y = old_finished + index
            if y >= count:
                return y
            new = finished[y] if y < split else tail[y - split]
            if new is not old and new != old:
                return y
        return min(count, old_count) if count != old_count else count

    def _resume(self) -> None:
        """Undo finish() because more text arrived: its blocks go back to the tail.

        What is shown does not change: the lines of those blocks become the tail's
        lines until the next flush renders the tail again.
        """
        self._finished = False
        mark, self._finish_mark = self._finish_mark, None
        if mark is None:
            return
        block_count, part_count, tail = mark
        if block_count < len(self._blocks):
            cut = self._blocks[block_count].line_offset
            self._tail_lines = self._lines[cut:] + self._tail_lines
            del self._lines[cut:]
            del self._blocks[block_count:]
        del self._done_parts[part_count:]
        self._done_length = sum(map(len, self._done_parts))
        self._tail = tail
        self._tail_key = None
        self._last_kind = next(
            (block.kind for block in reversed(self._blocks) if block.lines), None
        )
