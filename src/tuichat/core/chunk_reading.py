"""Reading an answer chunk by chunk, as a protocol debugger shows it.

For each chunk of a turn (every SSE payload, comment line and `[DONE]`) a `ChunkReader` says
what kind it is, what it added to the answer in one line, which of its JSON fields added
something (to mark them), and how the answer stood after it. It feeds the chunks to the
client's own accumulator (`StreamState`) one at a time, so what it reports is what the client
made of them, quirks included; it keeps only counts and references per chunk, and builds the
state after a chunk when it is asked for it:

    reader = ChunkReader()
    reader.extend(records)              # the records of a turn (WireRecords), any time more
    reading = reader.readings[12]       # kind, offset, gap, one-line reading, marked paths
    after = reader.answer_after(12)     # text length and tail, tool calls, finish, usage
    lines = pretty_lines(reading.record.data, reading.added)  # the JSON, fields marked

Adding a chunk costs what the client paid for it (one JSON parse, one accumulator step) plus
O(number of tool calls); nothing re-reads earlier chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tuichat.core.accumulator import StreamState, ToolCallState
from tuichat.core.events import (
    Event,
    RawChunk,
    RawComment,
    ReasoningDelta,
    RequestSent,
    ResponseHead,
    StreamError,
    TextDelta,
    ToolArgsDelta,
    ToolCallStarted,
    WireRecord,
)
from tuichat.core.pretty_json import JsonPath
from tuichat.core.stream_timing import TimingTracker
from tuichat.core.text import strip_control

ChunkKind = Literal[
    "text",  # added to the answer's text
    "reasoning",  # added to the reasoning
    "tool",  # a tool call's id, name or arguments
    "usage",  # token usage (top-level `usage`, or `x_groq.usage`)
    "finish",  # a finish reason
    "error",  # an error object, or an `event: error`
    "comment",  # an SSE comment line (`: keep-alive`)
    "not_json",  # a payload that is not a JSON object
    "done",  # `data: [DONE]`
    "whole",  # a whole non-streamed ChatCompletion
    "empty",  # a chunk that added nothing (role only, `choices: []`, a repeat)
]
"""What a chunk is, by what it added; a chunk adding several things has several kinds."""

# When a chunk has several kinds, the first of these is its `kind`.
_PRECEDENCE: tuple[ChunkKind, ...] = ("error", "tool", "text", "reasoning", "finish", "usage")


TAIL = 120  # characters of the text and reasoning kept in `AnswerSoFar` tails
_QUOTE = 60  # characters of an added piece quoted in a one-line reading


@dataclass(frozen=True, slots=True)
class ChunkReading:
    """One chunk as the inspector lists it.

    Attributes:
        number: its place among the turn's chunks (0-based; comment lines count).
        record: the chunk itself (`data` is the payload exactly as it arrived).
        offset: seconds from the request to its arrival.
        gap: seconds since the chunk before it (None for the first).
        kind: the main thing it did (see `ChunkKind`); `kinds` lists all of them.
        kinds: everything it did, in the order of `ChunkKind`'s precedence.
        reading: one line saying what it added: `text "Hello"`, `tool 0 get_time`,
            `tool 1 args "{\\"city"` , `finish stop`, `usage 12 in + 3 out`, `keep-alive`...
        added: the JSON paths of the fields that added something (to mark when the chunk is
            shown whole; `()` marks all of it).
        tools: the positions of the tool calls it touched.
    """

    number: int
    record: RawChunk | RawComment
    offset: float
    gap: float | None
    kind: ChunkKind
    kinds: tuple[ChunkKind, ...]
    reading: str
    added: tuple[JsonPath, ...] = ()
    tools: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolCallSoFar:
    """A tool call as it stood after a chunk.

    Attributes:
        position: its place among the answer's calls (what the UI and events call `index`).
        index: the `index` the provider gave it (None: it sent none).
        id: its id so far.
        name: its name so far.
        arguments: the argument text so far.
    """

    position: int
    index: int | None
    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class AnswerSoFar:
    """The answer as it stood after a chunk: what the client had made of the stream by then.

    Attributes:
        chunks: how many chunks had arrived (comment lines included).
        content_length: characters of answer text.
        content_tail: its last `TAIL` characters (all of it when shorter).
        reasoning_length: characters of reasoning.
        reasoning_tail: its last `TAIL` characters.
        tool_calls: each call's id, name and arguments so far, by position.
        finish_reason: the last non-empty finish reason so far.
        usage: the usage so far (top-level, else `x_groq.usage`).
        error: an error the stream reported, or (after `ChunkReader.finish`) how it ended
            badly: truncated before `[DONE]`, an HTTP error.
    """

    chunks: int = 0
    content_length: int = 0
    content_tail: str = ""
    reasoning_length: int = 0
    reasoning_tail: str = ""
    tool_calls: tuple[ToolCallSoFar, ...] = ()
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    error: StreamError | None = None


@dataclass(frozen=True, slots=True)
class _Mark:
    """What `answer_after` needs of the state after one chunk (counts and references)."""

    content_parts: int
    content_length: int
    reasoning_parts: int
    reasoning_length: int
    calls: tuple[tuple[ToolCallState, str, str, int], ...]  # call, id, name, argument parts
    finish_reason: str | None
    usage: dict[str, Any] | None
    error: StreamError | None


@dataclass(slots=True)
class _Before:
    """What a chunk is compared with: the state before it."""

    usage: dict[str, Any] | None
    finish_reason: str | None
    ids: set[str] = field(default_factory=set)
    names: dict[int, str] = field(default_factory=dict)


class ChunkReader:
    """Reads one answer's wire records incrementally: `add`/`extend` as they come.

    One reader per answer: a turn with tool calls has several answers, each starting with its
    `RequestSent` (`tuichat.core.turn_file.answers_of` splits a turn's records); start a new
    reader there.

    Attributes:
        readings: one `ChunkReading` per chunk, in order (read it; do not change it).
        request: the request of the answer, once seen.
        head: the response's status and headers, once seen.
        timing: the chunks' timing (a `TimingTracker`: `timing.summary()`, `sparkline()`).
        done: whether `[DONE]` (or a whole response) arrived.
        finished: whether `finish()` was called.
    """

    def __init__(self) -> None:
        self.state = StreamState()
        self.readings: list[ChunkReading] = []
        self.request: RequestSent | None = None
        self.head: ResponseHead | None = None
        self.timing = TimingTracker()
        self.done = False
        self.finished = False
        self._marks: list[_Mark] = []
        self._content_length = 0  # characters of the first `_content_counted` text pieces
        self._content_counted = 0
        self._reasoning_length = 0
        self._reasoning_counted = 0
        self._last_offset: float | None = None
        self._error_body: list[bytes] = []

    def __len__(self) -> int:
        return len(self.readings)

    # -- feeding -------------------------------------------------------------------------

    def extend(self, records: Iterable[WireRecord]) -> list[ChunkReading]:
        """Read more records; returns the readings of the chunks among them."""
        out: list[ChunkReading] = []
        for record in records:
            reading = self.add(record)
            if reading is not None:
                out.append(reading)
        return out

    def add(self, record: WireRecord) -> ChunkReading | None:
        """Read one record.

        Returns:
            The chunk's reading, or None for records that are not chunks (the request, the
            head, a body read; an HTTP error's body is kept for `finish`).
        """
        if isinstance(record, RawChunk):
            return self._chunk(record)
        if isinstance(record, RawComment):
            return self._comment(record)
        if isinstance(record, RequestSent):
            self.request = record
        elif isinstance(record, ResponseHead):
            self.head = record
        elif self.head is not None and self.head.status >= 400:
            self._error_body.append(record.data)
        return None

    def finish(self) -> AnswerSoFar:
        """The records are all in: close the answer as the client does (flushing held text;
        a stream without `[DONE]` is truncated, an HTTP error fails it).

        Returns:
            The final state of the answer (also `final()` later).
        """
        if not self.finished:
            self.finished = True
            head = self.head
            if head is not None and head.status >= 400:
                body = b"".join(self._error_body).decode("utf-8", "replace")
                self.state.fail(StreamError("http", _http_error(head, body), head.status))
            else:
                self.state.finish(done=self.done)
        return self.final()

    # -- reading back --------------------------------------------------------------------

    def answer_after(self, number: int) -> AnswerSoFar:
        """The answer as it stood right after chunk `number` (negative counts from the end).

        Raises:
            IndexError: there is no such chunk.
        """
        mark = self._marks[number]
        chunks = (number % len(self._marks)) + 1
        return self._state_at(mark, chunks)

    def final(self) -> AnswerSoFar:
        """The answer as it stands now (after `finish()`: as the client ended it)."""
        return self._state_at(self._mark(), len(self.readings))

    def error_body(self) -> str | None:
        """The body of an HTTP error answer, as the server sent it (None: no error status)."""
        if self.head is None or self.head.status < 400:
            return None
        return b"".join(self._error_body).decode("utf-8", "replace")

    # -- internals -----------------------------------------------------------------------

    def _gap(self, offset: float) -> float | None:
        previous, self._last_offset = self._last_offset, offset
        return None if previous is None else offset - previous

    def _comment(self, record: RawComment) -> ChunkReading:
        body = record.text[1:].strip()
        words = "keep-alive" if body.lower() == "keep-alive" else f"comment {_quote(body)}"
        return self._keep(
            ChunkReading(
                len(self.readings),
                record,
                record.offset,
                self._gap(record.offset),
                "comment",
                ("comment",),
                words,
            )
        )

    def _chunk(self, record: RawChunk) -> ChunkReading:
        self.timing.add(record.offset)
        gap = self._gap(record.offset)
        number = len(self.readings)
        if record.data.startswith("[DONE]") and not record.whole_response:
            self.done = True
            return self._keep(
                ChunkReading(number, record, record.offset, gap, "done", ("done",), "[DONE]")
            )
        state = self.state
        before = _Before(
            state.final_usage,
            state.finish_reason,
            {call.id for call in state.calls_in_order if call.id},
            {call.position: call.name for call in state.calls_in_order},
        )
        try:
            chunk = json.loads(record.data)
        except json.JSONDecodeError as error:
            state.feed_invalid(record.data, error.msg)
            reading = ChunkReading(
                number, record, record.offset, gap, "not_json", ("not_json",),
                f"not JSON ({error.msg})",
            )  # fmt: skip
            return self._keep(reading)
        events = state.feed(chunk, None if record.whole_response else record.event)
        if record.whole_response:
            self.done = True
        if not isinstance(chunk, dict):
            reading = ChunkReading(
                number, record, record.offset, gap, "not_json", ("not_json",),
                f"not a JSON object ({type(chunk).__name__})",
            )  # fmt: skip
            return self._keep(reading)
        kinds, words, added, tools = self._what_it_added(chunk, record, events, before)
        kind: ChunkKind = kinds[0] if kinds else "empty"
        if record.whole_response:
            kinds = ["whole", *kinds]
            kind = "whole"
            words = ["whole ChatCompletion", *words]
        if not kinds:
            kinds = ["empty"]
            words = [_nothing_new(chunk), *words]  # and what it repeated
        return self._keep(
            ChunkReading(
                number,
                record,
                record.offset,
                gap,
                kind,
                tuple(kinds),
                " · ".join(words),
                tuple(added),
                tuple(tools),
            )
        )

    def _what_it_added(
        self,
        chunk: dict[str, Any],
        record: RawChunk,
        events: list[Event],
        before: _Before,
    ) -> tuple[list[ChunkKind], list[str], list[JsonPath], list[int]]:
        state = self.state
        found: dict[ChunkKind, str] = {}
        added: list[JsonPath] = []
        text = "".join(e.text for e in events if isinstance(e, TextDelta))
        reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
        if text:
            found["text"] = f"text {_quote(text)}"
        if reasoning:
            found["reasoning"] = f"reasoning {_quote(reasoning)}"
        # Tool calls: which ones changed, and how.
        tools: list[int] = []
        tool_words: list[str] = []
        new_ids: set[str] = set()
        renamed = False
        for call in state.calls_in_order:
            old_name = before.names.get(call.position)
            id_new = bool(call.id) and call.id not in before.ids
            name_new = call.name != (old_name or "")
            args = "".join(
                e.delta for e in events if isinstance(e, ToolArgsDelta) and e.index == call.position
            )
            started = any(
                isinstance(e, ToolCallStarted) and e.index == call.position for e in events
            )
            if not (id_new or name_new or args or started):
                continue
            if id_new:
                new_ids.add(call.id)
            renamed = renamed or name_new
            tools.append(call.position)
            words = [f"tool {call.position}"]
            if call.index is None:
                words.append("(no index)")
            elif call.index != call.position:
                words.append(f"(index {call.index})")
            if name_new:
                words.append(call.name if old_name is None else f"name +{_quote(call.name)}")
            if id_new:
                words.append(f"id {call.id}")
            if args:
                words.append(f"args {_quote(args)}")
            tool_words.append(" ".join(words))
        if tool_words:
            found["tool"] = " · ".join(tool_words)
        repeats: list[str] = []  # what it sent again without adding anything
        reason = state.finish_reason
        if reason and reason != before.finish_reason:
            found["finish"] = f"finish {reason}"
        elif reason and _finish_in(chunk):
            repeats.append(f"finish {reason} (again)")
        usage = state.final_usage
        if usage is not None and usage != before.usage:
            where = "" if state.usage is not None else " (x_groq)"
            found["usage"] = f"usage{where} {_usage_words(usage)}"
        error = chunk.get("error")
        if error or record.event == "error":
            message = state.error.message if state.error is not None else "error"
            found["error"] = f"error {_quote(message)}"
        kinds = [kind for kind in _PRECEDENCE if kind in found]
        words = [found[kind] for kind in kinds]
        words += repeats
        added.extend(
            _paths(
                chunk,
                text=bool(text),
                reasoning=bool(reasoning),
                new_ids=new_ids,
                renamed=renamed,
                finish="finish" in found,
                usage="usage" in found and state.usage is not None,
                groq_usage="usage" in found and state.usage is None,
                error=bool(error),
            )
        )
        if "error" in found and not error:
            added.append(())  # an `event: error` without an error object: all of it
        return kinds, words, added, tools

    def _keep(self, reading: ChunkReading) -> ChunkReading:
        self.readings.append(reading)
        self._marks.append(self._mark())
        return reading

    def _mark(self) -> _Mark:
        state = self.state
        content, reasoning = state.content_parts, state.reasoning_parts
        # Only the pieces added since the last mark are measured: O(new pieces).
        self._content_length += sum(map(len, content[self._content_counted :]))
        self._content_counted = len(content)
        self._reasoning_length += sum(map(len, reasoning[self._reasoning_counted :]))
        self._reasoning_counted = len(reasoning)
        return _Mark(
            len(content),
            self._content_length,
            len(reasoning),
            self._reasoning_length,
            tuple(
                (call, call.id, call.name, len(call.arguments_parts))
                for call in state.calls_in_order
            ),
            state.finish_reason,
            state.final_usage,
            state.error,
        )

    def _state_at(self, mark: _Mark, chunks: int) -> AnswerSoFar:
        state = self.state
        calls = sorted(mark.calls, key=lambda item: item[0].position)
        return AnswerSoFar(
            chunks=chunks,
            content_length=mark.content_length,
            content_tail=_tail(state.content_parts, mark.content_parts),
            reasoning_length=mark.reasoning_length,
            reasoning_tail=_tail(state.reasoning_parts, mark.reasoning_parts),
            tool_calls=tuple(
                ToolCallSoFar(
                    call.position, call.index, call_id, name, "".join(call.arguments_parts[:parts])
                )
                for call, call_id, name, parts in calls
            ),
            finish_reason=mark.finish_reason,
            usage=mark.usage,
            error=mark.error,
        )


def read_chunks(records: Iterable[WireRecord], *, finish: bool = True) -> ChunkReader:
    """A reader over a whole answer's records (a saved answer, a turn file).

    Args:
        records: the answer's wire records.
        finish: close the answer as the client did (`ChunkReader.finish`).
    """
    reader = ChunkReader()
    reader.extend(records)
    if finish:
        reader.finish()
    return reader


# -- helpers ---------------------------------------------------------------------------------


def _quote(text: str) -> str:
    """A piece of text as a short JSON string (newlines visible), cut at `_QUOTE` characters."""
    cut = text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…"
    return strip_control(json.dumps(cut, ensure_ascii=False))


def _tail(parts: Sequence[str], count: int, width: int = TAIL) -> str:
    """The last `width` characters of the first `count` parts, reading backwards."""
    pieces: list[str] = []
    size = 0
    for i in range(count - 1, -1, -1):
        pieces.append(parts[i])
        size += len(parts[i])
        if size >= width:
            break
    return "".join(reversed(pieces))[-width:]


def _usage_words(usage: dict[str, Any]) -> str:
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int) or isinstance(completion, int):
        return f"{prompt if prompt is not None else '?'} in + {completion or 0} out"
    return ", ".join(sorted(usage))[:_QUOTE] or "{}"


def _finish_in(chunk: dict[str, Any]) -> bool:
    """Whether a choice of the chunk carries a non-empty finish reason."""
    choices = chunk.get("choices")
    return isinstance(choices, list) and any(
        isinstance(choice, dict) and bool(choice.get("finish_reason")) for choice in choices
    )


def _nothing_new(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices")
    if isinstance(choices, list) and not choices:
        return "nothing new (choices: [])"
    notes: list[str] = []
    for choice in choices if isinstance(choices, list) else ():
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and delta.get("role"):
            notes.append(f"role {delta['role']}")
    if "prompt_filter_results" in chunk:
        notes.append("prompt_filter_results")
    x_groq = chunk.get("x_groq")
    if chunk.get("usage") or (isinstance(x_groq, dict) and x_groq.get("usage")):
        notes.append("usage unchanged")
    return "nothing new" + (f" ({', '.join(notes)})" if notes else "")


def _http_error(head: ResponseHead, body: str) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if isinstance(value, dict):
        inner = value.get("error", value)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return f"HTTP {head.status}: {inner['message']}"
        if isinstance(inner, str):
            return f"HTTP {head.status}: {inner}"
    detail = " ".join(body.split())[:200]
    return f"HTTP {head.status}" + (f": {detail}" if detail else "")


def _paths(
    chunk: dict[str, Any],
    *,
    text: bool,
    reasoning: bool,
    new_ids: set[str],
    renamed: bool,
    finish: bool,
    usage: bool,
    groq_usage: bool,
    error: bool,
) -> list[JsonPath]:
    """The paths of the fields that added something, by the accumulator's own rules."""
    paths: list[JsonPath] = []
    choices = chunk.get("choices")
    for k, choice in enumerate(choices if isinstance(choices, list) else ()):
        if not isinstance(choice, dict) or choice.get("index", 0) not in (0, None):
            continue
        key = "delta" if choice.get("delta") is not None else "message"
        delta = choice.get(key)
        at: JsonPath = ("choices", k, key)
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str) and content and text:
                paths.append((*at, "content"))
            elif isinstance(content, list):
                for j, part in enumerate(content):
                    if not isinstance(part, dict):
                        continue
                    if part.get("type") == "text" and part.get("text") and text:
                        paths.append((*at, "content", j, "text"))
                    elif part.get("type") == "thinking" and reasoning:
                        paths.append((*at, "content", j, "thinking"))
            if reasoning:
                name = "reasoning_content"
                value = delta.get(name)
                if not isinstance(value, str) or not value:
                    name = "reasoning"
                if isinstance(delta.get(name), str) and delta[name]:
                    paths.append((*at, name))
            entries = delta.get("tool_calls")
            if isinstance(entries, list):
                for j, entry in enumerate(entries):
                    if isinstance(entry, dict):
                        paths.extend(_tool_paths(entry, (*at, "tool_calls", j), new_ids, renamed))
            elif isinstance(delta.get("function_call"), dict):
                entry = {"function": delta["function_call"]}
                for path in _tool_paths(entry, at, new_ids, renamed):
                    paths.append(("choices", k, key, "function_call", *path[len(at) + 1 :]))
        if finish and choice.get("finish_reason"):
            paths.append(("choices", k, "finish_reason"))
    if usage and isinstance(chunk.get("usage"), dict):
        paths.append(("usage",))
    if groq_usage and isinstance(chunk.get("x_groq"), dict):
        paths.append(("x_groq", "usage"))
    if error and chunk.get("error"):
        paths.append(("error",))
    return paths


def _tool_paths(
    entry: dict[str, Any], at: JsonPath, new_ids: set[str], renamed: bool
) -> list[JsonPath]:
    paths: list[JsonPath] = []
    call_id = entry.get("id")
    if isinstance(call_id, str) and call_id in new_ids:
        paths.append((*at, "id"))
    function = entry.get("function")
    if isinstance(function, dict):
        name = function.get("name")
        if renamed and isinstance(name, str) and name:
            paths.append((*at, "function", "name"))
        arguments = function.get("arguments")
        if (isinstance(arguments, str) and arguments) or isinstance(arguments, dict):
            paths.append((*at, "function", "arguments"))
    return paths
