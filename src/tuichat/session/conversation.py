"""A conversation and its tool loop: ask, run the tools the model asks for, ask again.

The history is a list of OpenAI-format messages. Assistant messages also carry what the model
does not need back but the user does (`reasoning`, `finish_reason`, `usage`, `timing`,
`model`, `cancelled`, `error`); tool messages carry how the call ended (`status`,
`duration`), what the tool printed (`output`) and, when the model got a cut result, the
whole one (`full_content`). `wire_message()` (`tuichat.core.messages`) strips all of that
before a request.
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
from tuichat.core.messages import wire_message
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
        """The history in the API's format, without answers that failed before any text."""
        return [
            wire_message(message)
            for message in self.messages
            if not (
                message.get("role") == "assistant"
                and not message.get("content")
                and not message.get("tool_calls")
                and (message.get("error") or message.get("cancelled"))
            )
        ]

    async def send(self, text: str) -> AsyncIterator[TurnBatch]:
        """Add a user message and run the turn it starts.

        Yields batches of events (see `ChatClient.complete`) until a TurnFinished. Errors
        end the turn with `failed=True`; cancelling the consumer keeps the partial answer,
        marked `cancelled`, in the history.

        Args:
            text: what the user typed.
        """
        self.messages.append({"role": "user", "content": text})
        async for batch in self.run_turn():
            yield batch

    async def run_turn(self) -> AsyncIterator[TurnBatch]:
        """Ask the model about the history as it stands, for as many tool rounds as needed."""
        turn_start = len(self.messages)
        schemas = self.tools.schemas() if self.tools is not None else None
        round_number = 0
        while True:
            round_number += 1
            # The rounds of tool calls are used up: the model answers from what it has.
            last = round_number > self.max_tool_rounds
            answer = Answer()
            yield [AnswerStarted(answer, round_number)]
            state = StreamState()
            timing = _Timing(self.clock)
            try:
                wire = self.wire_messages()
                choice = "none" if last and schemas else None
                completion = self.client.complete(wire, schemas or None, state, tool_choice=choice)
                async for batch in completion:
                    timing.saw(batch)
                    yield batch
            except asyncio.CancelledError:
                self._keep_partial(answer, state, timing, cancelled=True)
                raise
            if state.error is not None:
                self._keep_partial(answer, state, timing, cancelled=False)
                yield [AnswerEnded(answer), TurnFinished(True, self.messages[turn_start:])]
                return
            message = state.final_message()
            message["timing"] = timing.summary()
            message["model"] = self.client.provider.model  # as asked for: prices are keyed by it
            calls = message.get("tool_calls") or []
            if last and calls and not message.get("content"):
                message["error"] = {"kind": "tool_rounds", "message": self._no_answer()}
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
        self, answer: Answer, state: StreamState, timing: _Timing, *, cancelled: bool
    ) -> None:
        """Keep what arrived of a failed or cancelled answer (without its unfinished calls)."""
        message = state.final_message()
        message.pop("tool_calls", None)
        message["timing"] = timing.summary()
        message["model"] = self.client.provider.model
        if cancelled:
            message["cancelled"] = True
        elif state.error is not None:
            message["error"] = {"kind": state.error.kind, "message": state.error.message}
        self._append(answer, message)


def _name(call: dict[str, Any]) -> str:
    return str(call["function"]["name"])


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
