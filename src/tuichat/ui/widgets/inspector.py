"""The inspector (F2): a protocol debugger for the answer's wire.

Every request, response head and chunk of the turn (or of a saved answer) in a list, one always
selected and shown whole beside it (or below it in a narrow panel), with the turn's timing and
a sparkline of its arrival rate above. Keys while it has focus: up, down, page, first and last
move; `/` searches the raw text (`n`, `N` again); `f` filters by kind; `c` copies the selected
chunk, `u` the request as curl; `r` selects the request; `s` saves the answer as a turn file;
`z` widens the panel to the whole screen; Esc goes back to the prompt.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from tuichat.core.curl import curl_command, pretty_request
from tuichat.core.events import RawChunk, RawComment, RequestSent, WireRecord
from tuichat.core.stream_timing import StreamTiming, TimingTracker
from tuichat.core.text import counted
from tuichat.core.turn_file import TurnFileError, dump_turn, turn_from_records
from tuichat.ui.inspected_turn import FILTERS, InspectedTurn
from tuichat.ui.widgets.chunk_detail import ChunkDetail
from tuichat.ui.widgets.chunk_list import KIND_LABELS, ChunkList

SYNC_INTERVAL = 0.25  # seconds between reads of the feed while shown
WIDE = 100  # cells from which the list and the chunk sit side by side

COMPACT_BELOW = 70  # cells under which the timing line is written short

InputMode = Literal["search", "save"]


def compact(timing: StreamTiming) -> str:
    """The timing in few cells, for a narrow panel: `ttfc 0.41 s · 1,234 · 310/s · p99 ...`."""
    parts = [f"ttfc {timing.first_chunk or 0:.2f} s", f"{timing.chunks:,}"]
    if timing.chunks_per_second is not None:
        parts.append(f"{timing.chunks_per_second:,.0f}/s")
    if timing.p99_gap is not None:
        parts.append(f"p99 {timing.p99_gap * 1000:.0f} ms")
    if timing.longest_stall is not None and timing.stall_after is not None:
        parts.append(f"stall {timing.longest_stall * 1000:.0f} ms @{timing.stall_after + 1}")
    return " · ".join(parts)


class Inspector(Vertical):
    """The list of a turn's rows, the selected one whole, and the turn's timing.

    The completion worker appends the turn's wire records to `feed` (a plain list, no message
    per chunk). The inspector reads new entries only while it is shown, a few times a second:
    a hidden inspector costs nothing, and the list draws only the rows in view.
    """

    DEFAULT_CSS = """
    Inspector { height: 1fr; }
    Inspector > #inspector-header { height: auto; max-height: 5; padding: 0 1; }
    Inspector > #inspector-body { height: 1fr; layout: vertical; }
    Inspector > #inspector-body.-wide { layout: horizontal; }
    Inspector > #inspector-body > ChunkList { height: 1fr; min-height: 4; }
    Inspector > #inspector-body > ChunkDetail {
        height: 1fr; border-top: solid $panel;
    }
    Inspector > #inspector-body.-wide > ChunkList { width: 45%; height: 1fr; }
    Inspector > #inspector-body.-wide > ChunkDetail {
        width: 1fr; border-top: none; border-left: vkey $panel;
    }
    Inspector > Input { display: none; height: 3; }
    Inspector > Input.-open { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("n", "find(1)", "Next match", show=False),
        Binding("N", "find(-1)", "Previous match", show=False),
        Binding("f", "filter(1)", "Filter"),
        Binding("F", "filter(-1)", "Filter back", show=False),
        Binding("c", "copy_chunk", "Copy"),
        Binding("u", "copy_curl", "Copy as curl"),
        Binding("r", "request", "Request", show=False),
        Binding("s", "save_turn", "Save turn"),
        Binding("z", "zoom", "Zoom"),
        Binding("escape", "leave", "Prompt", show=False),
    ]

    class Zoomed(Message):
        """The panel asks to fill the screen (`zoomed`) or to go back beside the chat."""

        def __init__(self, zoomed: bool) -> None:
            super().__init__()
            self.zoomed = zoomed

    class Left(Message):
        """The user left the panel (Esc): the prompt takes the keys again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.feed: list[WireRecord] = []
        self._read = 0  # how many feed entries the live turn has read
        self.live = InspectedTurn()
        self.turn = self.live  # the turn shown: the live one or a saved answer's
        self.saved_title: str | None = None  # showing a saved answer, not the live feed
        self.api_key_env = "OPENAI_API_KEY"  # named in copied curl commands
        self.zoomed = False
        self.query_text = ""  # the last search
        self._mode: InputMode | None = None
        self._header_key: tuple[object, ...] = ()  # what the header shows, to skip repeats
        self._list: ChunkList | None = None  # the parts, made when first shown
        self._detail = ChunkDetail()
        self._header = Static()
        self._body = Container()
        self._line = Input()
        self._ticker: Timer  # reads the feed while shown (set on mount)

    def compose(self) -> ComposeResult:
        # Nothing until the panel is first shown (`_panel`): most sessions never open it.
        yield from ()

    def _panel(self) -> ChunkList:
        """The header, the list and the detail, mounted on first use."""
        if self._list is None:
            self._list = ChunkList()
            self._detail = ChunkDetail()
            self._header = Static("no request yet", id="inspector-header")
            self._body = Container(self._list, self._detail, id="inspector-body")
            self._body.set_class(self.size.width >= WIDE, "-wide")
            self._line = Input(id="inspector-input")
            self.mount(self._header, self._body, self._line)
        return self._list

    def on_mount(self) -> None:
        self._ticker = self.set_interval(SYNC_INTERVAL, self._sync_if_shown)

    def on_show(self) -> None:
        self._ticker.resume()
        self.sync()

    def on_resize(self, event: Resize) -> None:
        self._body.set_class(event.size.width >= WIDE, "-wide")
        self._update_header()  # the timing is written short in a narrow panel

    # -- what it shows -------------------------------------------------------------------

    def new_turn(self) -> None:
        """Forget the previous turn."""
        self.feed.clear()
        self.live = InspectedTurn()
        self._read = 0
        self.show_live()

    def show_live(self) -> None:
        """Show the live feed (the current or last turn of this session) again."""
        self.saved_title = None
        self._show(self.live)

    def show_saved(self, title: str, records: list[WireRecord]) -> None:
        """Show a saved answer's records instead of the live feed, until `show_live()`.

        Args:
            title: what the header says the records are (e.g. which answer).
            records: the answer's wire records, as saved.
        """
        self.saved_title = title
        turn = InspectedTurn()
        turn.extend(records)
        turn.finish()
        self._show(turn)

    def _show(self, turn: InspectedTurn) -> None:
        self.turn = turn
        self._read_feed()
        if self._list is not None:  # shown or not: the list and `turn` are never apart
            self._list.show_turn(turn)
            self._update_header()

    @property
    def chunk_count(self) -> int:
        """Chunks of the turn shown (every answer of it)."""
        self._read_feed()
        return self.turn.chunk_count

    @property
    def chunk_list(self) -> ChunkList:
        """The list of rows (mounted when the panel is first shown)."""
        return self._panel()

    def _read_feed(self) -> None:
        if self._read != len(self.feed):
            self.live.extend(self.feed[self._read :])
            self._read = len(self.feed)

    def _sync_if_shown(self) -> None:
        if not self.display:
            # Hidden (most of the time): no ticks until shown again, streaming or idle.
            self._ticker.pause()
        elif self._read != len(self.feed):
            self.sync()

    def sync(self) -> None:
        """Show what the feed holds now: the new rows, and the header."""
        self._read_feed()
        if not self.display:
            return
        chunks = self._panel()
        if chunks.turn is not self.turn:
            chunks.show_turn(self.turn)
        else:
            chunks.rows_added()
        self._update_header()

    @on(ChunkList.Selected)
    def _selected(self, event: ChunkList.Selected) -> None:
        event.stop()
        if self._list is not None and self._list.turn is self.turn:  # not a stale message
            self._detail.show(self.turn, event.row)
        self._update_header()

    # -- the header ----------------------------------------------------------------------

    def _update_header(self) -> None:
        if self._list is None:
            return
        # Moving the selection within one answer changes nothing up here: no new Content.
        selected = self._list.selected
        answer = self.turn.rows[selected].answer if selected is not None else None
        key = (
            id(self.turn),
            answer,
            len(self.turn.rows),
            self._list.kind_filter,
            self.query_text,
            self.size.width,
            self.saved_title,
        )
        if key != self._header_key:
            self._header_key = key
            self._header.update(self.header())

    def header(self) -> Content:
        """Which answer, its timing and a sparkline of its arrival rate, the filter."""
        turn = self.turn
        lines: list[Content] = []
        if self.saved_title is not None:
            lines.append(Content.styled(self.saved_title, "bold"))
        if not turn.rows:
            if self.saved_title is None:
                lines.append(Content("no request yet"))
            else:
                lines.append(Content("no raw chunks"))
            return Content("\n").join(lines)
        selected = self._list.selected if self._list is not None else None
        answer = turn.rows[selected].answer if selected is not None else len(turn.readers) - 1
        reader = turn.readers[answer]
        timing = reader.timing
        which = f"answer {answer + 1} of {len(turn.readers)} · " if len(turn.readers) > 1 else ""
        if not len(reader):
            lines.append(Content(f"{which}waiting for the first chunk"))
        else:
            summary = timing.summary()
            wide = self.size.width >= COMPACT_BELOW
            lines.append(Content(which + (summary.describe() if wide else compact(summary))))
            lines.append(self._sparkline(timing))
        lines.append(self._filter_line())
        return Content("\n").join(lines)

    def header_text(self) -> str:
        """The header as plain text."""
        return self.header().plain

    def raw_texts(self) -> list[str]:
        """Each row's raw text (the payload as it arrived, the request's method and URL)."""
        self._read_feed()
        return [row.raw_text() for row in self.turn.rows]

    def _sparkline(self, timing: TimingTracker) -> Content:
        width = max(8, min(64, self.size.width - 16))
        spark = timing.sparkline(width)
        summary = timing.summary()
        span = f" {summary.duration:.1f} s" if summary.duration else ""
        return Content.assemble(("rate ", "$text-muted"), (spark, "$text-accent"), span)

    def _filter_line(self) -> Content:
        chunks = self.chunk_list
        kind = chunks.kind_filter
        parts: list[str] = []
        total = counted(self.turn.chunk_count, "chunk")
        if kind is None:
            parts.append(f"{total} · all kinds")
        else:
            parts.append(f"{len(chunks.shown):,} {KIND_LABELS[kind]} of {total} (f: next kind)")
        if self.query_text:
            parts.append(f"/{self.query_text}")
        return Content.styled(" · ".join(parts), "$text-muted")

    # -- keys ----------------------------------------------------------------------------

    def action_filter(self, step: int) -> None:
        """Show only the chunks of the next kind that the turn has (then all of them)."""
        counts = self.turn.counts()
        present = [kind for kind in FILTERS if kind is None or counts.get(kind)]
        chunks = self.chunk_list
        position = present.index(chunks.kind_filter) if chunks.kind_filter in present else 0
        chunks.set_filter(present[(position + step) % len(present)])
        self._update_header()

    def action_search(self) -> None:
        """Ask for a text to find in the rows' raw text."""
        self._open_input("search", self.query_text, "find in the raw chunks (Enter)")

    def action_find(self, step: int) -> None:
        """Select the next (1) or previous (-1) row holding the last search."""
        if not self.query_text:
            self.action_search()
            return
        chunks = self.chunk_list
        found = self.turn.find(self.query_text, chunks.shown, chunks.cursor, step)
        if found is None:
            self.notify(f"No chunk holds {self.query_text!r}.", severity="warning")
            return
        chunks.select(found)

    def action_request(self) -> None:
        """Select the request of the selected row's answer."""
        chunks = self.chunk_list
        selected = chunks.selected
        if selected is None:
            return
        answer = self.turn.rows[selected].answer
        for position, number in enumerate(chunks.shown):
            row = self.turn.rows[number]
            if row.answer == answer and row.kind == "request":
                chunks.select(position)
                return
        self.notify("The request is not among the rows shown (a filter is on?).")

    def action_copy_chunk(self) -> None:
        """Copy the selected row: a chunk's payload as it arrived, the request as JSON."""
        selected = self.chunk_list.selected
        if selected is None:
            self.notify("There is no chunk to copy yet.", severity="warning")
            return
        record = self.turn.rows[selected].record
        if isinstance(record, RawChunk):
            text, what = record.data, "the chunk"
        elif isinstance(record, RawComment):
            text, what = record.text, "the comment line"
        elif isinstance(record, RequestSent):
            text, what = pretty_request(record.request), "the request"
        else:
            text = "\n".join(f"{name}: {value}" for name, value in record.headers.items())
            text, what = f"{record.status} {record.reason}\n{text}", "the response head"
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {what} ({counted(len(text), 'character')}).")

    def action_copy_curl(self) -> None:
        """Copy the selected answer's request as a curl command (the key as $VARIABLE)."""
        request = self._request()
        if request is None:
            self.notify("There is no request to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(curl_command(request.request, self.api_key_env))
        self.notify(f"Copied the request as curl (the key as ${self.api_key_env}).")

    def _request(self) -> RequestSent | None:
        turn = self.turn
        if not turn.readers:
            return None
        selected = self.chunk_list.selected
        answer = turn.rows[selected].answer if selected is not None else -1
        return turn.readers[answer].request

    def action_save_turn(self) -> None:
        """Ask where to save the selected answer as a turn file."""
        if not self.turn.records:
            self.notify("There is no answer to save yet.", severity="warning")
            return
        name = time.strftime("tuichat-%Y%m%d-%H%M%S.turn.json")
        self._open_input("save", name, "save the answer as a turn file (Enter)")

    def action_zoom(self) -> None:
        """Fill the screen with the panel, or put it back beside the conversation."""
        self.zoomed = not self.zoomed
        self.post_message(self.Zoomed(self.zoomed))

    def action_leave(self) -> None:
        """Close the search or save line; else give the keys back to the prompt."""
        if self._mode is not None:
            self._close_input()
            return
        self.post_message(self.Left())

    def _open_input(self, mode: InputMode, value: str, placeholder: str) -> None:
        self._panel()
        self._mode = mode
        line = self._line
        line.placeholder = placeholder
        line.value = value
        line.add_class("-open")
        line.focus()

    def _close_input(self) -> None:
        self._mode = None
        self._line.remove_class("-open")
        self.chunk_list.focus()

    @on(Input.Submitted, "#inspector-input")
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        mode, value = self._mode, event.value.strip()
        self._close_input()
        if mode == "search":
            self.query_text = value
            self._update_header()
            if value:
                self.action_find(1)
        elif mode == "save" and value:
            self.save_turn(Path(value).expanduser())

    def save_turn(self, path: Path) -> Path | None:
        """Write the selected answer's wire to `path` as a turn file; say where, or why not."""
        turn = self.turn
        selected = self._list.selected if self._list is not None else None
        answer = turn.rows[selected].answer if selected is not None else len(turn.records) - 1
        try:
            text = dump_turn(turn_from_records(turn.records[answer]))
            path.write_text(text, encoding="utf-8")
        except (TurnFileError, OSError) as error:
            self.notify(f"The turn was not saved: {error}", severity="error")
            return None
        where = path.resolve()
        self.notify(f"Saved the answer to {where} (tuichat replay {path} streams it again).")
        return where
