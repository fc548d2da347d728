"""What an answer that is awaited is doing, in words for its status line.

An answer's events (the same ones the screen shows) move it through its phases: connecting
(until the response's head), retrying after a failed attempt (the wait counting down),
waiting for the first token (the seconds counting up), then streaming, when the line says
nothing unless nothing has arrived for a while ("no data for N s"), which clears when data
comes again. Once the answer ends the line is the answer's own (how it finished).

No Textual here: the answer widget asks for the line on each tick of its timer, with the
time, and shows it when it changed.
"""

from __future__ import annotations

import math
from typing import Literal

from tuichat.core.events import (
    BodyRead,
    Finished,
    RawComment,
    ReasoningDelta,
    RequestSent,
    ResponseHead,
    Retrying,
    StreamError,
    TextDelta,
    ToolArgsDelta,
    ToolCallStarted,
)
from tuichat.session.events import AnswerEnded, TurnEvent

QUIET_AFTER = 5.0  # seconds without data before a streaming answer says so
Phase = Literal["connecting", "retrying", "waiting", "streaming", "ended"]


class AnswerProgress:
    """The phase of one awaited answer, from its events, and the status line it makes.

    Args:
        asked: who is asked, as the line names it ("the demo model", a base URL).
        stall_timeout: seconds of silence after which the client gives the answer up.
        stream: whether the answer streams (a whole one has no first token to wait for).
        now: the time the answer was asked for (any monotonic clock, the same as later).
    """

    def __init__(self, asked: str, *, stall_timeout: float, stream: bool, now: float) -> None:
        self.asked = asked
        self.stall_timeout = stall_timeout
        # A short stall timeout (an impatient profile) says so sooner, after a second at least.
        self.quiet_after = max(1.0, min(QUIET_AFTER, stall_timeout / 2))
        self.stream = stream
        self.phase: Phase = "connecting"
        self.since = now  # when this phase (or this attempt) began
        self.last_data = now  # when the last byte arrived
        self.attempt = 1
        self.of = 1
        self.retry: Retrying | None = None
        self.keepalives = False  # comment lines arrived while waiting for the first token

    def observe(self, event: TurnEvent, now: float) -> bool:
        """Take one event of the answer into account.

        Returns:
            Whether the phase changed (the line should be shown again at once).
        """
        before = self.phase
        if isinstance(event, RequestSent):
            self.phase, self.since, self.last_data = "connecting", now, now
            self.keepalives = False
        elif isinstance(event, Retrying):
            self.phase, self.since, self.retry = "retrying", now, event
            self.attempt, self.of = event.attempt, event.of
        elif isinstance(event, ResponseHead):
            self.last_data = now
            if self.phase == "connecting" and event.status < 400 and self.stream:
                self.phase = "waiting"
        elif isinstance(event, BodyRead):
            self.last_data = now
        elif isinstance(event, RawComment):
            self.keepalives = True
        elif isinstance(event, TextDelta | ReasoningDelta | ToolCallStarted | ToolArgsDelta):
            if self.phase in ("connecting", "waiting"):
                self.phase = "streaming"
        elif isinstance(event, Finished | AnswerEnded) or (
            isinstance(event, StreamError) and event.kind != "malformed"
        ):
            self.phase = "ended"
        return self.phase != before

    @property
    def ended(self) -> bool:
        """Whether the answer is over (its line is its own from now on)."""
        return self.phase == "ended"

    def line(self, now: float) -> str:
        """The status line at time `now` (empty: nothing to say)."""
        elapsed = now - self.since
        attempt = f" · attempt {self.attempt} of {self.of}" if self.attempt > 1 else ""
        if self.phase == "connecting":
            if self.stream:
                said = f"connecting to {self.asked}…"
            else:
                said = f"waiting for {self.asked} (not streamed: the answer comes whole)…"
            return said + _seconds(elapsed) + attempt
        if self.phase == "retrying" and self.retry is not None:
            left = max(1, math.ceil(self.retry.wait - elapsed))
            return (
                f"{self.retry.reason}: retrying in {left} s "
                f"(attempt {self.retry.attempt} of {self.retry.of})"
            )
        if self.phase == "waiting":
            said = "waiting for the first token" + _seconds(elapsed)
            if self.keepalives:
                said += " · the server sends keep-alives"
            quiet = now - self.last_data
            if quiet >= self.quiet_after:
                said += f" · no data for {int(quiet)} s (gives up at {self.stall_timeout:g} s)"
            return said + attempt
        if self.phase == "streaming":
            quiet = now - self.last_data
            if quiet >= self.quiet_after:
                return f"no data for {int(quiet)} s (gives up at {self.stall_timeout:g} s)"
        return ""


def _seconds(elapsed: float) -> str:
    """` · N s` once a second has gone by (before, a count would only flicker)."""
    return f" · {int(elapsed)} s" if elapsed >= 1 else ""
