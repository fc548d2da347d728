"""How an answer arrived over time: time to first chunk, rate, gaps, the longest stall, and a
sparkline of the arrival rate across the answer.

The same figures for a live answer (a `TimingTracker` fed one offset at a time, O(1) each)
and a saved one (`stream_timing(offsets)`). Offsets are seconds since the request was sent,
as `RawChunk.offset` has them; the chunks are the SSE payloads (`[DONE]` included), not the
comment lines, so a keep-alive does not hide a stall.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SPARK_LEVELS = " ▁▂▃▄▅▆▇█"
"""The sparkline's characters: a space for no chunk at all, then eight heights."""

DEFAULT_SPARK_WIDTH = 32
"""Buckets in a sparkline unless asked otherwise."""


@dataclass(frozen=True, slots=True)
class StreamTiming:
    """The timing of one answer's chunks.

    Attributes:
        chunks: how many chunks arrived.
        first_chunk: seconds from the request to the first chunk (time to first chunk);
            None before any.
        last_chunk: seconds from the request to the latest chunk.
        duration: seconds from the first chunk to the latest.
        chunks_per_second: chunks over `duration`; None until two chunks came apart in time.
        median_gap: the median time between one chunk and the next (None: fewer than two).
        p99_gap: the 99th percentile of those gaps (linear between ranks, as numpy does).
        longest_stall: the longest gap between two chunks (None: fewer than two).
        stall_after: the number (0-based) of the chunk the longest stall came after.
        stall_at: seconds from the request to the start of the longest stall.
    """

    chunks: int = 0
    first_chunk: float | None = None
    last_chunk: float | None = None
    duration: float = 0.0
    chunks_per_second: float | None = None
    median_gap: float | None = None
    p99_gap: float | None = None
    longest_stall: float | None = None
    stall_after: int | None = None
    stall_at: float | None = None

    def describe(self) -> str:
        """One line for a header: `first chunk 0.412 s · 1,234 chunks · 310 chunks/s · ...`."""
        if self.first_chunk is None:
            return "no chunk yet"
        parts = [f"first chunk {self.first_chunk:.3f} s", f"{self.chunks:,} chunks"]
        if self.chunks == 1:
            parts[1] = "1 chunk"
        if self.chunks_per_second is not None:
            parts.append(f"{self.chunks_per_second:,.0f} chunks/s")
        if self.median_gap is not None and self.p99_gap is not None:
            parts.append(f"gap median {_ms(self.median_gap)} p99 {_ms(self.p99_gap)}")
        if self.longest_stall is not None and self.stall_after is not None:
            parts.append(
                f"longest stall {_ms(self.longest_stall)} after chunk {self.stall_after + 1}"
            )
        return " · ".join(parts)


def _ms(seconds: float) -> str:
    """A duration for people: `850 ms`, `2.41 s`."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The value at `fraction` (0..1) of sorted values, linear between ranks.

    Args:
        ordered: the values, sorted ascending; not empty.
        fraction: 0.5 for the median, 0.99 for the 99th percentile.
    """
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def sparkline(offsets: Sequence[float], width: int = DEFAULT_SPARK_WIDTH) -> str:
    """The arrival rate across the answer, as block characters.

    The time from the first chunk to the last is cut into `width` equal buckets; each
    character's height is its bucket's chunk count against the fullest bucket's, and a
    bucket with no chunk at all is a space (a stall is a gap in the line).

    Args:
        offsets: the chunks' offsets, in arrival order (non-decreasing).
        width: how many buckets (characters).

    Returns:
        `width` characters; empty without chunks; one full block when every chunk came at
        once.
    """
    if not offsets or width <= 0:
        return ""
    first, last = offsets[0], offsets[-1]
    span = last - first
    if span <= 0:
        return SPARK_LEVELS[-1]
    counts: list[int] = []
    start = 0
    for bucket in range(1, width + 1):
        # Bucket i holds offsets in [edge(i-1), edge(i)); the last one includes the end.
        end = (
            len(offsets)
            if bucket == width
            else bisect.bisect_left(offsets, first + span * bucket / width, lo=start)
        )
        counts.append(end - start)
        start = end
    fullest = max(counts)
    top = len(SPARK_LEVELS) - 1
    return "".join(
        SPARK_LEVELS[0 if count == 0 else max(1, math.ceil(count / fullest * top))]
        for count in counts
    )


class TimingTracker:
    """The timing of an answer whose chunks are still arriving: `add` each chunk's offset
    (O(1)), read `summary()` and `sparkline()` when they are shown.

    `summary()` sorts the gaps once per change (the median and p99 need them in order), so
    reading it a few times a second stays cheap on a 20,000-chunk answer.
    """

    def __init__(self, offsets: Iterable[float] = ()) -> None:
        self._offsets: list[float] = []
        self._gaps: list[float] = []
        self._sorted: list[float] = []
        self._longest: float | None = None
        self._longest_after: int | None = None
        self._cached: StreamTiming | None = None
        for offset in offsets:
            self.add(offset)

    @property
    def offsets(self) -> Sequence[float]:
        """The offsets added so far (read-only)."""
        return self._offsets

    def add(self, offset: float) -> None:
        """One more chunk arrived, `offset` seconds after the request was sent."""
        offsets = self._offsets
        if offsets:
            previous = offsets[-1]
            offset = max(offset, previous)  # out-of-order offsets would break the buckets
            gap = offset - previous
            self._gaps.append(gap)
            if self._longest is None or gap > self._longest:
                self._longest = gap
                self._longest_after = len(offsets) - 1
        offsets.append(offset)
        self._cached = None

    def summary(self) -> StreamTiming:
        """The figures for the chunks so far."""
        if self._cached is not None:
            return self._cached
        offsets = self._offsets
        if not offsets:
            self._cached = StreamTiming()
            return self._cached
        first, last = offsets[0], offsets[-1]
        duration = last - first
        median = p99 = None
        if self._gaps:
            if len(self._sorted) != len(self._gaps):
                self._sorted = sorted(self._gaps)
            median = percentile(self._sorted, 0.5)
            p99 = percentile(self._sorted, 0.99)
        after = self._longest_after
        self._cached = StreamTiming(
            chunks=len(offsets),
            first_chunk=first,
            last_chunk=last,
            duration=duration,
            chunks_per_second=len(offsets) / duration if duration > 0 else None,
            median_gap=median,
            p99_gap=p99,
            longest_stall=self._longest,
            stall_after=after,
            stall_at=offsets[after] if after is not None else None,
        )
        return self._cached

    def sparkline(self, width: int = DEFAULT_SPARK_WIDTH) -> str:
        """The arrival rate so far (see `sparkline`)."""
        return sparkline(self._offsets, width)


def stream_timing(offsets: Iterable[float]) -> StreamTiming:
    """The timing of a whole answer from its chunks' offsets (a saved one, a turn file)."""
    return TimingTracker(offsets).summary()
