"""What the inspector lists: one row per request, response head and chunk of a turn.

No Textual here. A turn's wire records (live, as they arrive, or saved) are read by one
`ChunkReader` per answer (a turn with tool calls has several answers, each starting with its
request); the rows refer to the readings and records, so a row costs a few references and a
20,000-chunk answer keeps all its rows. Filtering by kind and searching the raw text work on
row numbers, so the list widget draws only the rows in view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from tuichat.core.chunk_reading import ChunkKind, ChunkReader, ChunkReading
from tuichat.core.events import (
    BodyRead,
    RawChunk,
    RawComment,
    RequestSent,
    ResponseHead,
    WireRecord,
)

RowKind = Literal["request", "head", "chunk"]

FILTERS: tuple[ChunkKind | None, ...] = (
    None,
    "text",
    "reasoning",
    "tool",
    "finish",
    "usage",
    "error",
    "comment",
    "not_json",
    "empty",
)
"""The filter's choices in the order `f` steps through them (None: every row)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the list.

    Attributes:
        answer: which answer of the turn it belongs to (0-based).
        kind: the request, the response's head, or a chunk (comment lines and `[DONE]` too).
        record: the request, the head, or the chunk itself.
        reading: a chunk's reading (None for the request and the head).
    """

    answer: int
    kind: RowKind
    record: RequestSent | ResponseHead | RawChunk | RawComment
    reading: ChunkReading | None = None

    def raw_text(self) -> str:
        """What `/` searches: the payload as it arrived, the comment line, the request URL."""
        record = self.record
        if isinstance(record, RawChunk):
            return record.data
        if isinstance(record, RawComment):
            return record.text
        if isinstance(record, RequestSent):
            return f"{record.request.get('method', '')} {record.request.get('url', '')}"
        return f"{record.status} {record.reason} " + " ".join(
            f"{name}: {value}" for name, value in record.headers.items()
        )


@dataclass(slots=True)
class InspectedTurn:
    """The rows of one turn, read incrementally.

    Attributes:
        readers: one chunk reader per answer, in order.
        records: each answer's records as they came (a saved turn file holds one answer's).
        rows: every row, in arrival order.
        chunk_count: rows that are chunks, over all answers.
    """

    readers: list[ChunkReader] = field(default_factory=list)
    records: list[list[WireRecord]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    chunk_count: int = 0

    def extend(self, records: Iterable[WireRecord]) -> int:
        """Read more records; returns how many rows they added."""
        before = len(self.rows)
        for record in records:
            self._add(record)
        return len(self.rows) - before

    def _add(self, record: WireRecord) -> None:
        if isinstance(record, RequestSent) or not self.readers:
            if self.readers:
                self.readers[-1].finish()  # the answer before it is complete
            self.readers.append(ChunkReader())
            self.records.append([])
        answer = len(self.readers) - 1
        reader = self.readers[answer]
        self.records[answer].append(record)
        reading = reader.add(record)
        if isinstance(record, RequestSent):
            self.rows.append(Row(answer, "request", record))
        elif isinstance(record, ResponseHead):
            self.rows.append(Row(answer, "head", record))
        elif isinstance(record, BodyRead):
            return
        else:
            self.rows.append(Row(answer, "chunk", record, reading))
            self.chunk_count += 1

    def finish(self) -> None:
        """The records are all in (a saved answer): close each answer as the client did."""
        for reader in self.readers:
            reader.finish()

    def matches(self, number: int, kind: ChunkKind | None) -> bool:
        """Whether row `number` passes the filter `kind` (None lets every row pass)."""
        if kind is None:
            return True
        reading = self.rows[number].reading
        return reading is not None and kind in reading.kinds

    def counts(self) -> dict[ChunkKind, int]:
        """How many chunks have each kind (a chunk of several kinds counts for each)."""
        counts: dict[ChunkKind, int] = {}
        for row in self.rows:
            if row.reading is not None:
                for kind in row.reading.kinds:
                    counts[kind] = counts.get(kind, 0) + 1
        return counts

    def find(self, query: str, among: list[int], start: int, step: int) -> int | None:
        """The next row of `among` after position `start` whose raw text holds `query`.

        Case is ignored; the search wraps round. Returns a position in `among`, or None.
        """
        if not among or not query:
            return None
        wanted = query.casefold()
        rows = self.rows
        count = len(among)
        for tries in range(1, count + 1):
            position = (start + step * tries) % count
            if wanted in rows[among[position]].raw_text().casefold():
                return position
        return None
