"""A conversation and its tool loop: ask, run the tools the model asks for, ask again.

The history is a list of OpenAI-format messages. Assistant messages also carry what the model
does not need back but the user does (`reasoning`, `finish_reason`, `usage`, `timing`,
`model`, `cancelled`, `error`, and `continued` for an answer that was cut short and then
continued); tool messages carry how the call ended (`status`, `duration`), what the tool
printed (`output`) and, when the model got a cut result, the whole one (`full_content`).
`sent_messages()` (`tuichat.core.messages`) strips all of that before a request, and
leaves out the messages the user left out of the context (`left_out`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

from tuichat.config.settings import DEFAULT_MAX_TOOL_ROUNDS, DEFAULT_TOOL_TIMEOUT
from tuichat.core.accumulator import StreamState
from tuichat.core.client import ChatClient
from tuichat.core.events import Event, ReasoningDelta, TextDelta, ToolCallStarted
from tuichat.core.messages import sent_messages
from tuichat.core.tooling import DEFAULT_RESULT_LIMIT, ToolPolicy
from tuichat.session.events import (
    Answer,
    AnswerEnded,
    AnswerStarted,
    Message,
    Notice,
    ToolResult,
    ToolRunning,
    TurnBatch,
    TurnEvent,
    TurnFinished,
)
from tuichat.tools.executor import (
    CANCELLED_RESULT,
    DENIED_RESULT,
    ToolOutcome,
    needs_approval_result,
    not_allowed_result,
    run_tool_call,
)
from tuichat.tools.policy import truncate_result
from tuichat.tools.registry import ToolRegistry

REPLAY_RESULT = "Not run: this is a replay of a recorded turn; its tool calls are shown, not run."

CONTINUE_INSTRUCTION = (
    "Your previous answer was cut off before it was finished. Continue it from exactly where "
    "it stopped: do not repeat anything already written, do not comment on the interruption, "
    "and start with the very next characters (mid-word or mid-sentence if that is where it "
    "stopped)."
)
"""Sent after a cut answer, which goes back as the assistant's message so far, to have the
model go on with it (`Conversation.continue_answer`). It is in the request only: not kept."""

# How an answer stopped short, by the error that cut it: the cuts an answer can go on from.
_CUTS = {"timeout": "stalled", "connection": "dropped", "truncated": "cut short"}


def stopped_short(message: Message) -> str | None:
    """Why an answer stopped before its end, with or without text (asking again may help).

    Returns:
        "stalled", "dropped", "cut short" (the stream ended before `[DONE]`), "too long"
        (`finish_reason: "length"`) or "cancelled"; None for an answer that ended whole or
        failed otherwise (an HTTP error, a malformed stream...), and for other messages.
    """
    if message.get("role") != "assistant":
        return None
    if message.get("cancelled"):
        return "cancelled"
    error = message.get("error")
    if isinstance(error, dict):
        return _CUTS.get(str(error.get("kind")))
    if message.get("finish_reason") == "length":
        return "too long"
    return None


def cut_short(message: Message) -> str | None:
    """Why an answer stopped before its end, when it can be continued from its text: as
    `stopped_short` says, for an answer with text that did not end in tool calls."""
    content = message.get("content")
    if message.get("tool_calls") or not isinstance(content, str) or not content.strip():
        return None
    return stopped_short(message)


# Given the calls that need the user's approval, says for each whether it may run.
Approver = Callable[[list[dict[str, Any]]], Awaitable[list[bool]]]


class Conversation:
    """Holds the messages of one conversation and runs its turns."""

    def __init__(
        self,
        client: ChatClient,
        tools: ToolRegistry | None = None,
        *,
        system_prompt: str | None = None,
        max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
        tool_timeout: float = DEFAULT_TOOL_TIMEOUT,
        messages: list[Message] | None = None,
        policy: Callable[[str], ToolPolicy] | None = None,
        approve: Approver | None = None,
        result_limit: int = DEFAULT_RESULT_LIMIT,
        replay: bool = False,
    ) -> None:
        self.client = client
        self.tools = tools
        # Which calls run at once, which ask the user first (through `approve`), which never.
        self.policy: Callable[[str], ToolPolicy] = policy or (lambda name: "run")
        self.approve = approve
        self.result_limit = result_limit
        # A replay of a recorded turn: one answer per turn, its calls shown and never run.
        self.replay = replay
        self.max_tool_rounds = max_tool_rounds
        self.tool_timeout = tool_timeout
        self.messages: list[Message] = list(messages or [])
        self.clock: Callable[[], float] = time.perf_counter  # answers' timings (tests fix it)
        if system_prompt and not self.messages:
            self.messages.append({"role": "system", "content": system_prompt})

    def wire_messages(self) -> list[Message]:
        """The history in the API's format, as a request sends it: without the messages left
        out of the context, nor answers that failed before any text (`sent_messages`)."""
        return sent_messages(self.messages)

    async def send(self, text: str | Message) -> AsyncIterator[TurnBatch]:
        """Add a user message and run the turn it starts.

        Yields batches of events (see `ChatClient.complete`) until a TurnFinished. Errors
        end the turn with `failed=True`; cancelling the consumer keeps the partial answer,
        marked `cancelled`, in the history.

        Args:
            text: what the user typed, or the whole user message (with attachments).
        """
        self.messages.append({"role": "user", "content": text} if isinstance(text, str) else text)
        async for batch in self.run_turn():
            yield batch

    async def continue_answer(self, answer: Answer) -> AsyncIterator[TurnBatch]:
        """Have the model go on with a cut answer, the last message (see `cut_short`).

        The answer goes back as the assistant's message so far, followed by
        `CONTINUE_INSTRUCTION`; what arrives is appended to the same message (its text,
        reasoning, usage and duration; how it ends is the continuation's), which notes the
        cut in `continued`; one that brings nothing leaves the answer as it was. If the
        continuation calls tools, the turn goes on from there as any other. Events as
        `send`'s; the first `AnswerStarted` has `continues`.

        Args:
            answer: the cut answer, whose message is `messages[-1]`.
        """
        message = answer.message
        if message is None or not self.messages or message is not self.messages[-1]:
            raise ValueError("only the last message of the conversation can be continued")
        async for batch in self.run_turn(continuing=answer):
            yield batch

    async def run_turn(self, continuing: Answer | None = None) -> AsyncIterator[TurnBatch]:
        """Ask the model about the history as it stands, for as many tool rounds as needed
        (its first answer going on with `continuing`, when given: `continue_answer`)."""
        turn_start = len(self.messages) - (continuing is not None)
        schemas = self.tools.schemas() if self.tools is not None else None
        round_number = 0
        while True:
            round_number += 1
            # The rounds of tool calls are used up: the model answers from what it has.
            last = round_number > self.max_tool_rounds
            going_on = continuing if round_number == 1 else None
            answer = going_on or Answer()
            yield [AnswerStarted(answer, round_number, continues=going_on is not None)]
            state = StreamState()
            timing = _Timing(self.clock)
            try:
                wire = self.wire_messages()
                if going_on is not None:
                    wire.append({"role": "user", "content": CONTINUE_INSTRUCTION})
                choice = "none" if last and schemas else None
                completion = self.client.complete(wire, schemas or None, state, tool_choice=choice)
                async for batch in completion:
                    timing.saw(batch)
                    yield batch
            except asyncio.CancelledError:
                self._keep_partial(answer, state, timing, cancelled=True, going_on=going_on)
                raise
            if state.error is not None:
                self._keep_partial(answer, state, timing, cancelled=False, going_on=going_on)
                yield [AnswerEnded(answer), TurnFinished(True, self.messages[turn_start:])]
                return
            message = state.final_message()
            message["timing"] = timing.summary()
            message["model"] = self.client.provider.model  # as asked for: prices are keyed by it
            calls = message.get("tool_calls") or []
            if last and calls and not message.get("content"):
                message["error"] = {"kind": "tool_rounds", "message": self._no_answer()}
            if going_on is not None:
                message = _merge_continuation(going_on, message)
            else:
                self._append(answer, message)
            yield [AnswerEnded(answer)]
            if last:
                yield self._end_at_the_limit(answer, calls, turn_start)
                return
            if not calls:
                yield [TurnFinished(messages=self.messages[turn_start:])]
                return
            if self.replay:
                yield self._show_without_running(answer, calls, turn_start)
                return
            async for tool_batch in self._run_tools(answer, calls):
                yield tool_batch

    def _no_answer(self) -> str:
        return (
            f"No answer after {self.max_tool_rounds} rounds of tool calls (the limit per "
            "turn, max_tool_rounds): the model still asked for tools. Ask again to go on."
        )

    def _end_at_the_limit(
        self, answer: Answer, calls: list[dict[str, Any]], turn_start: int
    ) -> list[TurnEvent]:
        """The round after the last allowed one: its calls (the model was told it could not
        make any) do not run, and the user is told why the tools stopped."""
        note = (
            f"Not run: the limit of {self.max_tool_rounds} tool rounds per turn was reached. "
            "Ask again to continue."
        )
        refusal = ToolOutcome(note, True, 0.0, "not_allowed")
        for call in calls:
            self._append(answer, self._result_message(call["id"], refusal))
        failed = answer.message is not None and "error" in answer.message
        if failed:
            notice = self._no_answer()
        else:
            notice = (
                f"Reached the limit of {self.max_tool_rounds} rounds of tool calls per turn: "
                "the model was asked to answer without them."
            )
        return [Notice(notice), TurnFinished(failed, self.messages[turn_start:])]

    def _show_without_running(
        self, answer: Answer, calls: list[dict[str, Any]], turn_start: int
    ) -> list[TurnEvent]:
        """A replay's calls: each gets a result saying it was not run, and the turn ends."""
        outcome = ToolOutcome(REPLAY_RESULT, False, 0.0, "not_run")
        events: list[TurnEvent] = []
        for index, call in enumerate(calls):
            self._append(answer, self._result_message(call["id"], outcome))
            events.append(self._result_event(index, call, outcome))
        events.append(TurnFinished(messages=self.messages[turn_start:]))
        return events

    def _append(self, answer: Answer, message: Message) -> None:
        self.messages.append(message)
        answer.messages.append(message)

    async def _decide(self, calls: list[dict[str, Any]]) -> list[ToolOutcome | None]:
        """For each call: None to run it, or the outcome that says why it does not run."""
        names = [call["function"]["name"] for call in calls]
        policies = [self.policy(name) for name in names]
        refusals: list[ToolOutcome | None] = [
            ToolOutcome(not_allowed_result(name), True, 0.0, "not_allowed")
            if policy == "never"
            else None
            for name, policy in zip(names, policies, strict=True)
        ]
        asking = [i for i, policy in enumerate(policies) if policy == "ask"]
        if asking and self.approve is None:
            # No one to ask (a script, a pipe): a call that needs approval does not run.
            for i in asking:
                refusals[i] = ToolOutcome(needs_approval_result(names[i]), True, 0.0, "not_allowed")
        elif asking and self.approve is not None:
            # Parallel calls are put to the user together.
            answers = await self.approve([calls[i] for i in asking])
            for i, approved in zip(asking, answers, strict=False):
                if not approved:
                    refusals[i] = ToolOutcome(DENIED_RESULT, True, 0.0, "denied")
        return refusals

    async def _run_tools(
        self, answer: Answer, calls: list[dict[str, Any]]
    ) -> AsyncIterator[TurnBatch]:
        """Run the calls concurrently (after approval), yielding each result as it comes."""
        # With no registry every call is an unknown tool: a tool error the model sees, not a crash.
        registry = self.tools if self.tools is not None else ToolRegistry()
        outcomes: dict[int, ToolOutcome] = {}
        try:
            refusals = await self._decide(calls)
            for i, refusal in enumerate(refusals):
                if refusal is not None:
                    outcomes[i] = refusal
            refused: list[TurnEvent] = [
                self._result_event(i, calls[i], outcome) for i, outcome in outcomes.items()
            ]
            if refused:
                yield refused
            allowed = [i for i, refusal in enumerate(refusals) if refusal is None]
            if allowed:
                yield [
                    ToolRunning(i, calls[i]["id"], calls[i]["function"]["name"]) for i in allowed
                ]
            started = self.clock()  # calls are timed on the loop's clock, like answers
            tasks: dict[asyncio.Task[ToolOutcome], int] = {
                asyncio.create_task(
                    run_tool_call(
                        registry,
                        calls[i]["function"]["name"],
                        calls[i]["function"]["arguments"],
                        timeout=self.tool_timeout,
                    )
                ): i
                for i in allowed
            }
            pending = set(tasks)
            try:
                while pending:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    batch: list[TurnEvent] = []
                    for task in done:
                        position = tasks[task]
                        outcome = replace(task.result(), duration=self.clock() - started)
                        outcomes[position] = outcome
                        batch.append(self._result_event(position, calls[position], outcome))
                    yield batch
            finally:
                for task in pending:
                    task.cancel()
        except asyncio.CancelledError:
            cancelled = ToolOutcome(CANCELLED_RESULT, True, 0.0, "cancelled")
            for position, call in enumerate(calls):
                outcome = outcomes.get(position, cancelled)
                self._append(answer, self._result_message(call["id"], outcome))
            raise
        # One tool message per call, in the order of the calls, as the API requires.
        for position, call in enumerate(calls):
            self._append(answer, self._result_message(call["id"], outcomes[position]))

    @staticmethod
    def _result_event(index: int, call: dict[str, Any], outcome: ToolOutcome) -> ToolResult:
        return ToolResult(
            index,
            call["id"],
            _name(call),
            outcome.content,
            outcome.is_error,
            outcome.duration,
            outcome.status,
            outcome.output,
        )

    def _result_message(self, call_id: str, outcome: ToolOutcome) -> Message:
        """The tool message: the result cut to the limit for the model, with a note saying so.

        How the call ended and how long it took are kept with it, the whole text in
        `full_content`, and what the tool printed in `output` (none of these is sent; all
        are saved with the history), so the call's view shows them now and on reopening.
        """
        for_model, cut = truncate_result(outcome.content, self.result_limit)
        message: Message = {
            "role": "tool",
            "tool_call_id": call_id,
            "content": for_model,
            "status": outcome.status,
            "duration": outcome.duration,
        }
        if cut:
            message["full_content"] = outcome.content
        if outcome.output:
            message["output"] = outcome.output
        return message

    def _keep_partial(
        self,
        answer: Answer,
        state: StreamState,
        timing: _Timing,
        *,
        cancelled: bool,
        going_on: Answer | None = None,
    ) -> None:
        """Keep what arrived of a failed or cancelled answer (without its unfinished calls);
        of a continuation, appended to the answer it continues."""
        message = state.final_message()
        message.pop("tool_calls", None)
        message["timing"] = timing.summary()
        message["model"] = self.client.provider.model
        if cancelled:
            message["cancelled"] = True
        elif state.error is not None:
            message["error"] = {"kind": state.error.kind, "message": state.error.message}
        if going_on is not None:
            _merge_continuation(going_on, message)
        else:
            self._append(answer, message)


def _name(call: dict[str, Any]) -> str:
    return str(call["function"]["name"])


def _merge_continuation(answer: Answer, more: Message) -> Message:
    """Append a continuation to the cut answer it continues, in place (the same dict the
    conversation, the screen and the history hold), and return that message.

    The text and reasoning are joined; usage and duration add up; how it ended (finish
    reason, error, cancelled, tool calls) is the continuation's; `continued` notes each cut:
    where in the text (`at`) and why (`after`, as `cut_short` says it). A continuation that
    brought nothing (it failed at once, or was cancelled) leaves the answer as it was.
    """
    message = answer.message
    assert message is not None
    if not (more.get("content") or more.get("tool_calls")):
        return message  # nothing came (it failed at once, or was cancelled): still cut as it was
    why = cut_short(message) or "cut short"
    before = str(message.get("content") or "")
    message["content"] = before + str(more.get("content") or "")
    thoughts = [str(m.get("reasoning")) for m in (message, more) if m.get("reasoning")]
    message["reasoning"] = "\n\n".join(thoughts) or None
    message["usage"] = _added_usage(message.get("usage"), more.get("usage"))
    old_timing, new_timing = message.get("timing") or {}, more.get("timing") or {}
    message["timing"] = {
        "time_to_first_token": old_timing.get("time_to_first_token"),
        "duration": float(old_timing.get("duration") or 0.0)
        + float(new_timing.get("duration") or 0.0),
    }
    for key in ("finish_reason", "model", "tool_calls", "error", "cancelled"):
        message.pop(key, None)
        if more.get(key) is not None:
            message[key] = more[key]
    cut = {"at": len(before), "after": why}
    message["continued"] = [*(message.get("continued") or []), cut]
    return message


def _added_usage(first: Any, second: Any) -> dict[str, Any] | None:
    """Two answers' token usage together (what a continued answer cost in all)."""
    if not isinstance(first, dict):
        return second if isinstance(second, dict) else None
    if not isinstance(second, dict):
        return first
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {key: int(first.get(key) or 0) + int(second.get(key) or 0) for key in keys}


class _Timing:
    """Time to first token and duration of one answer."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.started = clock()
        self.first_token: float | None = None

    def saw(self, batch: list[Event]) -> None:
        if self.first_token is None:
            for event in batch:
                if isinstance(event, TextDelta | ReasoningDelta | ToolCallStarted):
                    self.first_token = self.clock() - self.started
                    break

    def summary(self) -> dict[str, float | None]:
        return {
            "time_to_first_token": self.first_token,
            "duration": self.clock() - self.started,
        }
