"""Accumulates Chat Completions chunks into one assistant message, tolerantly.

Modelled on openai-python's `ChatCompletionStreamState` (feed a chunk, get typed events and a
running snapshot) but built for what real providers send: chunks with empty `choices`, tool
calls without `index` or with a reused one, ids and names repeated on every fragment, usage
inside `x_groq`, error objects in the stream, streams cut before `[DONE]`. The routing rules
are those of the stream corpus README (copied beside the fixtures in `tests/fixtures/`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tuichat.core.events import (
    Event,
    Finished,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolArgsDelta,
    ToolCallReady,
    ToolCallStarted,
    UsageReported,
)
from tuichat.core.text import ControlStripper


@dataclass(slots=True)
class ToolCallState:
    """One tool call as it accumulates."""

    position: int  # order of appearance in this answer; the UI's identity for the call
    index: int | None  # the provider's `index`, when it sent one
    id: str = ""
    name: str = ""
    arguments_parts: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. Gemini's `extra_content`
    announced: bool = False  # ToolCallStarted has been emitted

    @property
    def arguments(self) -> str:
        """The argument text received so far."""
        return "".join(self.arguments_parts)


def parse_arguments(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse a tool call's argument text.

    Args:
        text: the JSON text as received; empty means no arguments.

    Returns:
        The parsed object and None, or None and why it could not be parsed.
    """
    if not text.strip():
        return {}, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"arguments are not valid JSON ({error.msg} at position {error.pos})"
    if not isinstance(value, dict):
        return None, f"arguments must be a JSON object, got {type(value).__name__}"
    return value, None


def _error_message(error: Any) -> str:
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, str) and message:
            return message
        return json.dumps(error, ensure_ascii=False)
    if isinstance(error, str) and error:
        return error
    return "the server reported an error during streaming"


class StreamState:
    """Feed it chunks (parsed JSON objects); it returns events and keeps the message."""

    def __init__(self) -> None:
        # The text as shown: control characters are removed here, once, on the text as it
        # accumulates (an escape sequence split between chunks leaves nothing either).
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._content_stripper = ControlStripper()
        self._reasoning_stripper = ControlStripper()
        self._calls: list[ToolCallState] = []
        self._by_index: dict[int, ToolCallState] = {}
        self._by_id: dict[str, ToolCallState] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self._groq_usage: dict[str, Any] | None = None
        self.error: StreamError | None = None
        self.model: str | None = None
        self.chunk_count = 0
        self.finished = False

    # -- feeding -------------------------------------------------------------------------

    def feed(self, chunk: Any, event_type: str | None = None) -> list[Event]:
        """Apply one chunk.

        Args:
            chunk: the parsed JSON of one `data:` payload.
            event_type: the SSE `event:` field, if any (`error` marks an error event).

        Returns:
            The events this chunk produced (possibly none).
        """
        self.chunk_count += 1
        events: list[Event] = []
        if not isinstance(chunk, dict):
            events.append(
                StreamError(
                    "malformed", f"ignored a chunk that is not a JSON object: {chunk!r:.80}"
                )
            )
            return events
        error = chunk.get("error")
        if error or event_type == "error":
            self.error = StreamError("stream_error", _error_message(error or chunk))
        model = chunk.get("model")
        if model and self.model is None:
            self.model = model
        usage = chunk.get("usage")
        if usage and isinstance(usage, dict):
            self.usage = usage  # last non-empty wins: vLLM sends a running total
        x_groq = chunk.get("x_groq")
        if isinstance(x_groq, dict) and isinstance(x_groq.get("usage"), dict):
            self._groq_usage = x_groq["usage"]
        choices = chunk.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict) and choice.get("index", 0) in (0, None):
                    delta = choice.get("delta")
                    if delta is None:
                        delta = choice.get("message")  # a non-streamed ChatCompletion
                    if isinstance(delta, dict):
                        self._apply_delta(delta, events)
                    reason = choice.get("finish_reason")
                    if reason:
                        self.finish_reason = reason
        return events

    def feed_invalid(self, data: str, reason: str) -> list[Event]:
        """Record a `data:` payload that could not be parsed as JSON."""
        self.chunk_count += 1
        return [
            StreamError(
                "malformed", f"ignored a chunk that is not valid JSON ({reason}): {data[:80]!r}"
            )
        ]

    def _apply_delta(self, delta: dict[str, Any], events: list[Event]) -> None:
        content = delta.get("content")
        if isinstance(content, str):
            self._add_text(content, events)
        elif isinstance(content, list):
            self._apply_content_parts(content, events)
        reasoning = delta.get("reasoning_content")
        if not isinstance(reasoning, str) or not reasoning:
            reasoning = delta.get("reasoning")
        if isinstance(reasoning, str):
            self._add_reasoning(reasoning, events)
        tool_calls = delta.get("tool_calls")
        if isinstance(tool_calls, list):
            for entry in tool_calls:
                if isinstance(entry, dict):
                    self._apply_tool_entry(entry, events)
        elif isinstance(delta.get("function_call"), dict):
            # The legacy field, only when `tool_calls` is absent: route it as an index-less call.
            self._apply_tool_entry({"function": delta["function_call"]}, events)

    def _apply_content_parts(self, parts: list[Any], events: list[Event]) -> None:
        # Mistral Magistral: typed parts, `text` is the answer and `thinking` the reasoning.
        for part in parts:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                self._add_text(part["text"], events)
            elif kind == "thinking":
                thinking = part.get("thinking")
                pieces = thinking if isinstance(thinking, list) else [thinking]
                for piece in pieces:
                    text = piece.get("text") if isinstance(piece, dict) else piece
                    if isinstance(text, str):
                        self._add_reasoning(text, events)

    def _add_text(self, raw: str, events: list[Event]) -> None:
        text = self._content_stripper.feed(raw)
        if text:
            self._content.append(text)
            events.append(TextDelta(text))

    def _add_reasoning(self, raw: str, events: list[Event]) -> None:
        text = self._reasoning_stripper.feed(raw)
        if text:
            self._reasoning.append(text)
            events.append(ReasoningDelta(text))

    def _route(self, entry: dict[str, Any], call_id: str, name: str) -> ToolCallState:
        index = entry.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            call = self._by_index.get(index)
            # Ollama reuses index 0 for every call: a different id with a name is a new call.
            if call is None or (call_id and name and call.id and call_id != call.id):
                call = self._open(index)
                self._by_index[index] = call
            return call
        if call_id:
            found = self._by_id.get(call_id)
            return found if found is not None else self._open(None)
        if name or not self._calls:
            return self._open(None)  # Gemini sends `"id": ""` with a whole call
        return self._calls[-1]

    def _open(self, index: int | None) -> ToolCallState:
        call = ToolCallState(position=len(self._calls), index=index)
        self._calls.append(call)
        return call

    def _apply_tool_entry(self, entry: dict[str, Any], events: list[Event]) -> None:
        function = entry.get("function")
        if not isinstance(function, dict):
            function = {}
        call_id = entry.get("id") if isinstance(entry.get("id"), str) else ""
        name = function.get("name") if isinstance(function.get("name"), str) else ""
        call = self._route(entry, call_id or "", name or "")
        if call_id and not call.id:
            call.id = call_id  # keep the first id: Fireworks repeats it on every fragment
            self._by_id[call_id] = call
        if name:
            if not call.name or name.startswith(call.name):
                call.name = name  # a repeat, or a longer name that starts with ours
            else:
                call.name += name  # a name split over pieces
        for key, value in entry.items():
            if key not in ("index", "id", "type", "function") and value and key not in call.extra:
                call.extra[key] = value  # e.g. extra_content.google.thought_signature
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            arguments = json.dumps(arguments, ensure_ascii=False)  # some servers send an object
        if isinstance(arguments, str) and arguments:
            call.arguments_parts.append(arguments)
            if call.announced:
                events.append(ToolArgsDelta(call.position, arguments))
        if not call.announced and call.name:
            call.announced = True
            events.append(ToolCallStarted(call.position, call.id, call.name))
            if call.arguments_parts:
                events.append(ToolArgsDelta(call.position, call.arguments))

    # -- ending --------------------------------------------------------------------------

    def finish(self, *, done: bool) -> list[Event]:
        """Close the answer.

        Args:
            done: whether `data: [DONE]` (or a whole non-streamed body) arrived.

        Returns:
            ToolCallReady for each call, the usage, an error if any, and Finished.
        """
        if self.finished:
            return []
        self.finished = True
        if not done and self.error is None:
            self.error = StreamError("truncated", "stream ended before data: [DONE]")
        events: list[Event] = []
        # The end of the text: what waited to see whether it began an escape sequence.
        rest = self._reasoning_stripper.flush()
        if rest:
            self._reasoning.append(rest)
            events.append(ReasoningDelta(rest))
        rest = self._content_stripper.flush()
        if rest:
            self._content.append(rest)
            events.append(TextDelta(rest))
        for call in self.tool_calls:
            arguments, problem = parse_arguments(call.arguments)
            events.append(
                ToolCallReady(call.position, call.id, call.name, call.arguments, arguments, problem)
            )
        usage = self.final_usage
        if usage is not None:
            events.append(UsageReported(usage))
        if self.error is not None:
            events.append(self.error)
        events.append(Finished(self.finish_reason))
        return events

    def fail(self, error: StreamError) -> list[Event]:
        """Record an error that ended the answer from outside (HTTP, connection, cancel)."""
        if self.error is None:
            self.error = error
        return self.finish(done=True)

    # -- the snapshot --------------------------------------------------------------------

    @property
    def content(self) -> str | None:
        """The answer text as shown (no control characters); None when nothing arrived."""
        return "".join(self._content) or None

    @property
    def reasoning(self) -> str | None:
        """The reasoning text as shown (no control characters); None when none arrived."""
        return "".join(self._reasoning) or None

    @property
    def content_parts(self) -> Sequence[str]:
        """The answer text as shown, in the pieces it was added in (only ever appended to:
        a count of them marks a point of the answer; read it, do not change it)."""
        return self._content

    @property
    def reasoning_parts(self) -> Sequence[str]:
        """The reasoning as shown, in the pieces it was added in (see `content_parts`)."""
        return self._reasoning

    @property
    def calls_in_order(self) -> Sequence[ToolCallState]:
        """The calls in order of appearance (`position`), whatever their index."""
        return self._calls

    @property
    def tool_calls(self) -> list[ToolCallState]:
        """Calls in index order, or in order of appearance where indexes are missing."""
        if all(call.index is not None for call in self._calls):
            return sorted(self._calls, key=lambda call: (call.index, call.position))
        return list(self._calls)

    @property
    def final_usage(self) -> dict[str, Any] | None:
        """The last top-level usage, else the last `x_groq.usage`, else None."""
        return self.usage if self.usage is not None else self._groq_usage

    def final_message(self) -> dict[str, Any]:
        """The assistant message for the conversation history, in OpenAI's format.

        Besides `role`, `content` and `tool_calls` it carries `reasoning`, `finish_reason`
        and `usage`; `wire_message()` (`tuichat.core.messages`) strips those before sending.
        """
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        calls = self.tool_calls
        if calls:
            message["tool_calls"] = [
                {
                    "id": call.id or f"call_{call.position}",  # a tool result needs an id
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                    **call.extra,
                }
                for call in calls
            ]
        message["reasoning"] = self.reasoning
        message["finish_reason"] = self.finish_reason
        message["usage"] = self.final_usage
        return message
