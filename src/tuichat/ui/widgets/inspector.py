"""The raw-chunk inspector: every chunk of the current answer exactly as it arrived."""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Log, Static

from tuichat.core.events import RawChunk
from tuichat.core.text import strip_control

MAX_LINES = 5000  # the Log keeps the newest lines; the counts in the header stay exact


class Inspector(Vertical):
    """A header with time to first chunk, chunk count and rate, and a log of raw chunks.

    Chunks are always counted, but written to the log only while the panel is shown, in
    batches, so a hidden inspector costs nothing and a visible one stays responsive on a
    20,000-chunk answer.
    """

    DEFAULT_CSS = """
    Inspector { height: 1fr; }
    Inspector > #inspector-header { height: auto; padding: 0 1; }
    Inspector > Log { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[str] = []  # every line of the current turn (requests and chunks)
        self._written = 0  # how many of `_lines` the log holds
        self.chunk_count = 0
        self.first_offset: float | None = None
        self.last_offset: float = 0.0
        self._header_dirty = False

    def compose(self) -> ComposeResult:
        yield Static("no request yet", id="inspector-header")
        yield Log(max_lines=MAX_LINES, auto_scroll=True)

    def on_mount(self) -> None:
        self.set_interval(0.25, self._refresh_header)

    @property
    def lines(self) -> list[str]:
        """Every line of the current turn, shown or not."""
        return self._lines

    def new_turn(self) -> None:
        """Forget the previous turn."""
        self._lines = []
        self._written = 0
        self.chunk_count = 0
        self.first_offset = None
        self.last_offset = 0.0
        self.query_one(Log).clear()
        self._header_dirty = True
        self._refresh_header()

    def show_request(self, request: dict[str, Any]) -> None:
        """Show the request that was sent (already redacted), before its first chunk."""
        self.first_offset = None
        self.chunk_count = 0
        self._lines.append(f"── request {request.get('method', 'POST')} {request.get('url', '')}")
        self._lines.append(strip_control(json.dumps(request, ensure_ascii=False)))
        self._lines.append("── response")
        self._header_dirty = True
        self._flush()

    def add_chunks(self, chunks: list[RawChunk]) -> None:
        """Record chunks as they arrived; write them to the log when shown."""
        if self.first_offset is None and chunks:
            self.first_offset = chunks[0].offset
        for chunk in chunks:
            if chunk.whole_response:
                self._lines.append(f"+{chunk.offset:.3f}s whole ChatCompletion (stream=false):")
                self._lines.extend(strip_control(_pretty(chunk.data)).splitlines())
            else:
                self._lines.append(f"+{chunk.offset:.3f}s {strip_control(chunk.data)}")
        self.chunk_count += len(chunks)
        if chunks:
            self.last_offset = chunks[-1].offset
        self._header_dirty = True
        self._flush()

    def on_show(self) -> None:
        self._flush()
        self._refresh_header()

    def _flush(self) -> None:
        if not self.display:
            return
        log = self.query_one(Log)
        pending = self._lines[max(self._written, len(self._lines) - MAX_LINES) :]
        if pending:
            log.write_lines(pending)
        self._written = len(self._lines)

    def header_text(self) -> str:
        """Time to first chunk, chunk count and rate."""
        if self.first_offset is None:
            return "waiting for the first chunk" if self._lines else "no request yet"
        span = self.last_offset - self.first_offset
        rate = f"{self.chunk_count / span:,.0f} chunks/s" if span > 0 else "– chunks/s"
        return f"first chunk {self.first_offset:.3f} s · {self.chunk_count:,} chunks · {rate}"

    def _refresh_header(self) -> None:
        if self._header_dirty and self.display:
            self._header_dirty = False
            self.query_one("#inspector-header", Static).update(Content(self.header_text()))


def _pretty(data: str) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except ValueError:
        return data
