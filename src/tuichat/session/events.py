"""What a turn produces beyond the wire: the tool loop's events and the answers they fill.

A turn's events are the core's (text, reasoning, tool-call fragments, usage, how the stream
ended) interleaved with these, which only the tool loop knows: an answer begins and ends,
a call runs and returns, the turn is over. The UI and `tuichat ask` read one stream of them.

An `Answer` is the data one answer widget shows: the assistant message of one round and
the tool messages that answer its calls, the same dicts the conversation holds. A live answer
fills in as its round goes; a reopened one is made from the stored messages; both are shown
by the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tuichat.core.accumulator import parse_arguments
from tuichat.core.events import (
    Event,
    ReasoningDelta,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
)
from tuichat.core.text import strip_control
from tuichat.core.tooling import TOOL_STATUSES, ToolStatus

Message = dict[str, Any]


@dataclass(eq=False)
class Answer:
    """One answer of the model with the results of the calls it made.

    Attributes:
        messages: the assistant message first (once its round has ended), then one tool
            message per call (once the calls have run); the same dicts as the conversation's.
        message_ids: the stored id of each of `messages` that is saved, in order (filled
            in as the history writes them; empty when nothing is saved).
    """

    messages: list[Message] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)

    @property
    def message(self) -> Message | None:
        """The assistant message, once the round has ended."""
        return self.messages[0] if self.messages else None

    @property
    def stored_id(self) -> int | None:
        """The assistant message's id in the history, once written."""
        return self.message_ids[0] if self.message_ids else None


@dataclass(frozen=True, slots=True)
class AnswerStarted:
    """A new request to the model begins (the first of the turn, or one after tool results).

    With `continues`, the request asks the model to go on with `answer`, an answer that was
    cut short: what arrives is appended to it (`Conversation.continue_answer`), and its
    message holds the text so far until the continuation ends.
    """

    answer: Answer
    round: int
    continues: bool = False


@dataclass(frozen=True, slots=True)
class AnswerEnded:
    """The round's assistant message is final: its text, calls, usage, timing, how it ended."""

    answer: Answer


@dataclass(frozen=True, slots=True)
class ToolRunning:
    """The tool loop started executing a call."""

    index: int
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool call's result, whole (the model gets it cut to `[tools] result_limit`)."""

    index: int
    id: str
    name: str
    content: str
    is_error: bool = False
    duration: float = 0.0
    status: ToolStatus = "done"
    output: str = ""  # what the tool printed (shown to the user, not sent to the model)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should know that is not the model's text (e.g. the tool-round limit)."""

    message: str


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The whole turn (all rounds) is over."""

    failed: bool = False
    messages: list[Message] = field(default_factory=list)  # what this turn added


TurnEvent = Event | AnswerStarted | AnswerEnded | ToolRunning | ToolResult | Notice | TurnFinished
"""Everything a turn yields, in batches (one per network read or tool result)."""

TurnBatch = Sequence[TurnEvent]
"""One batch of a turn's events: what arrived in one network read, or one tool result."""


def answer_events(answer: Answer) -> list[TurnEvent]:
    """The events that show a saved answer exactly as its live events showed it.

    What streamed in pieces comes whole: the reasoning, the text, each call (started, then
    ready with its arguments), the end of the round, then each call's result.
    """
    message = answer.message
    if message is None:
        return []
    events: list[TurnEvent] = []
    # Saved text is what was shown; but a database from before tuichat stripped control
    # characters on the way in kept them, so they go here too.
    if message.get("reasoning"):
        events.append(ReasoningDelta(strip_control(str(message["reasoning"]))))
    text = strip_control(content_text(message.get("content")))
    if text:
        events.append(TextDelta(text))
    calls: dict[str, tuple[int, str]] = {}
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function") or {}
        call_id = str(call.get("id") or "")
        name = str(function.get("name") or "")
        arguments_text = str(function.get("arguments") or "")
        arguments, problem = parse_arguments(arguments_text)
        events.append(ToolCallStarted(index, call_id, name))
        events.append(ToolCallReady(index, call_id, name, arguments_text, arguments, problem))
        calls[call_id] = (index, name)
    events.append(AnswerEnded(answer))
    for result in answer.messages[1:]:
        call_id = str(result.get("tool_call_id") or "")
        if call_id not in calls:
            continue
        index, name = calls[call_id]
        saved = result.get("status")
        status: ToolStatus = saved if saved in TOOL_STATUSES else "done"
        whole = result.get("full_content") or result.get("content") or ""
        events.append(
            ToolResult(
                index,
                call_id,
                name,
                str(whole),
                status != "done",
                float(result.get("duration") or 0.0),
                status,
                str(result.get("output") or ""),
            )
        )
    return events


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict)]
        return "".join(part for part in parts if isinstance(part, str))
    return ""
