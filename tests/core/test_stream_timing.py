"""Timing figures and the arrival-rate sparkline."""

from __future__ import annotations

import pytest

from tuichat.core.stream_timing import (
    SPARK_LEVELS,
    StreamTiming,
    TimingTracker,
    percentile,
    sparkline,
    stream_timing,
)


def test_figures_of_a_stream_with_one_stall() -> None:
    offsets = [0.5 + i * 0.01 for i in range(50)] + [3.0 + i * 0.01 for i in range(50)]
    timing = stream_timing(offsets)
    assert timing.chunks == 100 and timing.first_chunk == 0.5
    assert timing.duration == pytest.approx(3.49 - 0.5)
    assert timing.chunks_per_second == pytest.approx(100 / 2.99)
    assert timing.median_gap == pytest.approx(0.01)
    assert timing.longest_stall == pytest.approx(3.0 - 0.99)
    assert timing.stall_after == 49 and timing.stall_at == pytest.approx(0.99)
    assert timing.p99_gap is not None and 0.01 < timing.p99_gap < timing.longest_stall
    line = timing.describe()
    assert line.startswith("first chunk 0.500 s · 100 chunks · 33 chunks/s · gap median 10 ms")
    assert line.endswith("longest stall 2.01 s after chunk 50")


def test_the_tracker_is_the_same_fed_one_at_a_time_and_caches() -> None:
    offsets = [0.1, 0.1, 0.2, 0.5, 0.55, 2.0]
    tracker = TimingTracker()
    for offset in offsets:
        tracker.add(offset)
    assert tracker.summary() == stream_timing(offsets)
    assert tracker.summary() is tracker.summary()
    tracker.add(2.1)
    assert tracker.summary().chunks == 7


def test_before_and_at_the_first_chunk() -> None:
    assert stream_timing([]) == StreamTiming()
    assert stream_timing([]).describe() == "no chunk yet"
    one = stream_timing([0.25])
    assert one.chunks_per_second is None and one.median_gap is None
    assert one.describe() == "first chunk 0.250 s · 1 chunk"


def test_percentiles_interpolate_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0.5) == 2.5
    assert percentile(values, 0.99) == pytest.approx(3.97)
    assert percentile([7.0], 0.99) == 7.0


def test_the_sparkline_shows_the_rate_and_stalls_as_gaps() -> None:
    offsets = [i * 0.01 for i in range(100)] + [2.0 + i * 0.02 for i in range(50)]
    line = sparkline(offsets, 10)
    assert len(line) == 10
    assert line[0] == SPARK_LEVELS[-1]  # the fast start is the fullest
    assert " " in line[1:8]  # the stall is a gap
    assert line[-1] not in (" ", SPARK_LEVELS[-1])  # the slower end is lower
    assert sparkline([], 10) == "" and sparkline([0.3, 0.3], 10) == SPARK_LEVELS[-1]
    assert TimingTracker(offsets).sparkline(10) == line
