"""The raw-chunk inspector: every chunk of the current turn (or of a saved answer) as it arrived."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Log, Static

from tuichat.core.events import RawChunk, RequestSent
from tuichat.core.text import chunk_summary, counted, strip_control

MAX_LINES = 5000  # the Log keeps the newest lines; the counts in the header stay exact
FOLLOW_SLACK = 3  # lines from the end that still count as following it
SYNC_INTERVAL = 0.25  # seconds between reads of the feed while shown (each write repaints the log)


class Inspector(Vertical):
    """A header with time to first chunk, chunk count and rate, and a log of raw chunks.

    The completion worker appends requests and raw chunks to `feed` (a plain list, no
    message per chunk). The inspector turns new entries into lines only while it is shown,
    a few times a second, and writes them to its bounded log in one batch: a hidden
    inspector costs nothing, a visible one stays responsive on a 20,000-chunk answer.
    """

    DEFAULT_CSS = """
    Inspector { height: 1fr; }
    Inspector > #inspector-header { height: auto; padding: 0 1; }
    Inspector > Log { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.feed: list[RawChunk | RequestSent] = []
        self._read = 0  # how many feed entries are lines already
        self._lines: list[str] = []
        self._written = 0  # how many of `_lines` the log holds
        self.chunk_count = 0  # chunks of the latest request
        self.first_offset: float | None = None
        self.last_offset = 0.0
        self.saved_title: str | None = None  # showing a saved answer, not the live feed
        self._ticker: Timer  # reads the feed while shown (set on mount)

    def compose(self) -> ComposeResult:
        # Nothing until the panel is first shown (`_panel`): most sessions never open it,
        # and its log (a widget class of its own, with its own CSS) delayed the first frame.
        yield from ()

    def _panel(self) -> tuple[Static, Log]:
        """The header and the log, mounted on first use."""
        if not self.children:
            self.mount(Static("no request yet", id="inspector-header"))
            self.mount(Log(max_lines=MAX_LINES, auto_scroll=True))
        return self.query_one("#inspector-header", Static), self.query_one(Log)

    def on_mount(self) -> None:
        self._ticker = self.set_interval(SYNC_INTERVAL, self._sync_if_shown)

    def on_show(self) -> None:
        self._ticker.resume()
        self.sync()

    @property
    def lines(self) -> list[str]:
        """Every line of the current turn, shown or not."""
        self._read_feed()
        return self._lines

    def new_turn(self) -> None:
        """Forget the previous turn."""
        self.feed.clear()
        self.show_live()

    def show_live(self) -> None:
        """Show the live feed (the current or last turn of this session) again."""
        self.saved_title = None
        self._restart()
        self.sync()

    def show_saved(self, title: str, entries: list[RawChunk | RequestSent]) -> None:
        """Show a saved answer's chunks instead of the live feed, until `show_live()`.

        Args:
            title: what the header says the chunks are (e.g. which answer).
            entries: the answer's chunks, as saved.
        """
        self.saved_title = title
        self._restart()
        self._add_lines(entries)
        self.sync()

    def _restart(self) -> None:
        self._read = 0
        self._lines = []
        self._written = 0
        self.chunk_count = 0
        self.first_offset = None
        self.last_offset = 0.0
        for log in self.query(Log):
            log.clear()

    def _read_feed(self) -> None:
        feed = self.feed
        if self.saved_title is not None or self._read == len(feed):
            return
        self._add_lines(feed[self._read :])
        self._read = len(feed)

    def _add_lines(self, entries: list[RawChunk | RequestSent]) -> None:
        lines = self._lines
        for entry in entries:
            if isinstance(entry, RequestSent):
                request = entry.request
                lines.append(f"── request {request.get('method', 'POST')} {request.get('url', '')}")
                lines.append(strip_control(json.dumps(request, ensure_ascii=False)))
                lines.append("── response")
                self.chunk_count = 0
                self.first_offset = None
                continue
            if self.first_offset is None:
                self.first_offset = entry.offset
            self.chunk_count += 1
            self.last_offset = entry.offset
            if entry.whole_response:
                lines.append(f"+{entry.offset:.3f}s whole ChatCompletion (stream=false):")
                lines.extend(strip_control(_pretty(entry.data)).splitlines())
            else:
                # A short reading first (the panel is narrow), then the payload exactly as sent.
                summary = chunk_summary(entry.data)
                lines.append(f"+{entry.offset:.3f}s {summary:<24} │ {strip_control(entry.data)}")

    def _sync_if_shown(self) -> None:
        if not self.display:
            # Hidden (most of the time): no ticks until shown again, streaming or idle.
            self._ticker.pause()
        elif self.saved_title is None and self._read != len(self.feed):
            self.sync()

    def sync(self) -> None:
        """Show what the feed holds now: new lines in one batch, and the header."""
        self._read_feed()
        if not self.display:
            return
        header, log = self._panel()
        # Following the end unless the user scrolled up. Not Log's own test (at the end right
        # now): the header above it may have grown a line meanwhile (it wraps when the panel
        # is narrow), which leaves the end one line out of view, and the log stops following.
        following = log.max_scroll_y - log.scroll_y <= FOLLOW_SLACK
        pending = self._lines[max(self._written, len(self._lines) - MAX_LINES) :]
        if pending:
            log.write_lines(pending, scroll_end=False)
        self._written = len(self._lines)
        header.update(Content(self.header_text()))
        if following:
            # After the header's new height is laid out, so the end really is in view.
            log.call_after_refresh(log.scroll_end, animate=False, immediate=True, x_axis=False)

    def header_text(self) -> str:
        """Which answer is shown (when a saved one), time to first chunk, chunk count and rate."""
        self._read_feed()
        prefix = "" if self.saved_title is None else f"{self.saved_title}\n"
        if self.first_offset is None:
            if self.saved_title is not None:
                return f"{prefix}no raw chunks"
            return "waiting for the first chunk" if self._lines else "no request yet"
        span = self.last_offset - self.first_offset
        rate = f"{self.chunk_count / span:,.0f} chunks/s" if span > 0 else "– chunks/s"
        return (
            f"{prefix}first chunk {self.first_offset:.3f} s · "
            f"{counted(self.chunk_count, 'chunk')} · {rate}"
        )


def _pretty(data: str) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except ValueError:
        return data
