"""One prompt sent to several profiles or models at once, each column answering in a session of
its own, and one answer kept as the conversation's continuation.

Every column is a `ChatSession` built by `build_session` from the conversation's options and
its target (`tuichat.session.compare_targets`): its own provider and client, the conversation
so far as its context, and the conversation's tools (one registry and one set of MCP servers
for every column). A column saves nothing while it streams; `Comparison.keep` writes the
turn to the conversation's history the way regenerating does, so the answers are siblings of
one prompt: the ones not kept are written first, each marked replaced by the next, and the kept
one last, live. The kept column's messages join the conversation's. Left without keeping one,
all of them are kept as a replaced branch, the prompt too, and the conversation goes on as if
the prompt had not been sent. Every column sends the prompt with its files as one model would
be sent them; a column whose server refuses its images says so (`refused_images`) in its own
answer only.

    comparison = await Comparison.open(session, targets, "hello", attachments)
    async for batch in comparison.answer(0): ...   # each column in a task (or worker) of its own
    await comparison.keep(0)
    await comparison.aclose()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tuichat.config.profiles import DEFAULT_MODEL, DEMO_PROFILE
from tuichat.core.client import prepare_sdk
from tuichat.core.events import (
    WIRE_RECORD_TYPES,
    ReasoningDelta,
    TextDelta,
    ToolArgsDelta,
    ToolCallStarted,
    WireRecord,
)
from tuichat.demo import DEMO_MODEL, DEMO_MODELS
from tuichat.session.attachments import Attachment, user_message
from tuichat.session.builder import build_session
from tuichat.session.compare_targets import Target
from tuichat.session.events import Answer, AnswerStarted, Message, TurnBatch, TurnFinished
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession, Note, usage_of
from tuichat.storage.errors import StorageError
from tuichat.storage.store import HistoryStore

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ColumnStats:
    """How one column's answer went: its speed, its tokens and what it cost.

    Attributes:
        time_to_first_token: seconds from the request to the first token (None: none yet).
        duration: seconds from the request to the end of the turn (so far, while it runs).
        prompt_tokens: as the server counted them (None: it sent no usage, or not yet).
        completion_tokens: as the server counted them, else the pieces streamed so far.
        tokens_per_second: completion tokens per second of writing (after the first token).
        cost: in US dollars, where `[prices."MODEL"]` prices the model.
        exact: the tokens are the server's count (else counted from the stream, about one a
            piece).
        running: the answer is still arriving.
    """

    time_to_first_token: float | None
    duration: float
    prompt_tokens: int | None
    completion_tokens: int
    tokens_per_second: float | None
    cost: float | None
    exact: bool
    running: bool

    def parts(self) -> list[str]:
        """The stats as short phrases: `TTFT 0.81 s`, `25 tok/s`, `12 → 174 tokens`, `$0.0003`."""
        about = "" if self.exact else "≈"
        if self.time_to_first_token is None:
            parts = [f"waiting {self.duration:.1f} s" if self.running else "no token"]
        else:
            parts = [f"TTFT {self.time_to_first_token:.2f} s"]
        if self.tokens_per_second is not None:
            parts.append(f"{about}{self.tokens_per_second:,.0f} tok/s")
        if self.time_to_first_token is not None:
            parts.append(f"{self.duration:.1f} s")
        if self.prompt_tokens is not None:
            parts.append(f"{self.prompt_tokens:,} → {self.completion_tokens:,} tokens")
        elif self.completion_tokens:
            parts.append(f"{about}{self.completion_tokens:,} tokens")
        if self.exact:  # the cost is known once the server has counted the tokens
            parts.append("no price" if self.cost is None else f"${self.cost:.4f}")
        return parts

    def as_json(self) -> dict[str, Any]:
        """The stats as `tuichat ask --compare --json` prints them (`timing`, `usage`, `cost`)."""
        usage = None
        if self.exact and self.prompt_tokens is not None:
            usage = {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            }
        return {
            "timing": {
                "time_to_first_token": self.time_to_first_token,
                "duration": self.duration,
                "tokens_per_second": self.tokens_per_second,
            },
            "usage": usage,
            "cost": self.cost,
        }


class CompareColumn:
    """One column of a comparison: a target, the session answering it, and what it answered.

    Attributes:
        target: what was asked for.
        session: its own session (no history: `Comparison.keep` saves its answers).
        answers: the answers of its turn (one per round of tool calls), as they start.
        wire: the wire records of each of `answers` (kept for the history's raw chunks).
    """

    def __init__(self, target: Target, session: ChatSession, clock: Clock) -> None:
        self.target = target
        self.session = session
        self.answers: list[Answer] = []
        self.wire: list[list[WireRecord]] = []
        self._prompt_at = len(session.messages)  # where this turn's prompt goes
        self._clock = clock
        self._started: float | None = None
        self._first_token: float | None = None
        self._ended: float | None = None
        self._pieces = 0  # text, reasoning and argument deltas: about one token each
        self.running = False

    @property
    def label(self) -> str:
        """Who answers: the profile (or endpoint) and the model."""
        provider = self.session.provider
        return f"{provider.name} · {provider.model}"

    @property
    def messages(self) -> list[Message]:
        """What the turn added after the prompt: the answers and their tool results."""
        return self.session.messages[self._prompt_at + 1 :]

    def refused_images(self) -> str | None:
        """What to tell about its server refusing the prompt's images (None: it did not)."""
        return self.session.refused_images()

    def observe(self, batch: TurnBatch) -> None:
        """Look at one batch of the column's events (the live stats, the wire records)."""
        now = self._clock()
        for event in batch:
            if isinstance(event, WIRE_RECORD_TYPES):
                if self.wire:
                    self.wire[-1].append(event)
            elif isinstance(event, TextDelta | ReasoningDelta | ToolArgsDelta | ToolCallStarted):
                if self._first_token is None:
                    self._first_token = now
                if not isinstance(event, ToolCallStarted):
                    self._pieces += 1
            elif isinstance(event, AnswerStarted):
                self.answers.append(event.answer)
                self.wire.append([])
            elif isinstance(event, TurnFinished):
                self._ended = now

    def begin(self) -> None:
        """Its turn starts (the clock of its stats too)."""
        self.running = True
        self._started = self._clock()

    def end(self) -> None:
        """Its turn is over, however it ended."""
        self.running = False
        if self._ended is None:
            self._ended = self._clock()

    def stats(self) -> ColumnStats:
        """Its stats now: counted from the stream while it runs, from its answers once over."""
        now = self._ended if self._ended is not None else self._clock()
        started = self._started if self._started is not None else now
        answers = [m for m in self.messages if m.get("role") == "assistant"]
        timings = [m.get("timing") or {} for m in answers]
        usage = usage_of(self.messages, self.session.settings, self.session.provider.model)
        exact = not self.running and any(isinstance(m.get("usage"), dict) for m in answers)
        first: float | None = None
        if not self.running and timings:
            first = timings[0].get("time_to_first_token")
        if first is None and self._first_token is not None:
            first = self._first_token - started
        completion = usage.completion_tokens if exact else self._pieces
        if not self.running and timings:
            # The time spent writing, round by round (not the tools' time between rounds).
            writing = sum(
                float(t.get("duration") or 0.0) - float(t.get("time_to_first_token") or 0.0)
                for t in timings
                if t.get("time_to_first_token") is not None
            )
        else:
            writing = now - self._first_token if self._first_token is not None else 0.0
        rate = completion / writing if writing > 0 and completion else None
        return ColumnStats(
            time_to_first_token=first,
            duration=now - started,
            prompt_tokens=usage.prompt_tokens if exact else None,
            completion_tokens=completion,
            tokens_per_second=rate,
            cost=usage.cost if exact else None,
            exact=exact,
            running=self.running,
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """A target the app's compare picker offers.

    Attributes:
        target: what a column would ask.
        label: the profile (or endpoint) and the model it asks.
        in_use: it is what the conversation asks now.
    """

    target: Target
    label: str
    in_use: bool = False


def compare_choices(main: ChatSession, listed: Sequence[str] = ()) -> list[Choice]:
    """What there is to compare: the model in use and the others its server lists, the demo
    models (offline), and every profile with its own model, each once.

    Args:
        main: the conversation.
        listed: the models the conversation's server lists (`/models`), if asked.
    """
    settings, profile = main.settings, main.endpoint.profile
    choices: list[Choice] = []
    seen: set[tuple[str | None, str]] = set()

    def add(target: Target, model: str, in_use: bool = False) -> None:
        if (target.profile, model) not in seen:
            seen.add((target.profile, model))
            choices.append(Choice(target, target_label(main, target), in_use))

    add(Target(profile, main.provider.model), main.provider.model, in_use=True)
    for model in listed:
        add(Target(profile, model), model)
    for demo in DEMO_MODELS:
        add(Target(DEMO_PROFILE, demo.name), demo.name)
    for name in sorted(settings.profiles):
        if name != DEMO_PROFILE:
            add(Target(name, None), settings.profiles[name].model or DEFAULT_MODEL)
    return choices


def target_label(main: ChatSession, target: Target) -> str:
    """Who a target asks, as a column's title says it: the profile (or the conversation's
    endpoint) and the model."""
    if target.profile is None:
        return f"{main.provider.name} · {target.model or main.provider.model}"
    profile = main.settings.profiles.get(target.profile)
    default = DEMO_MODEL if target.profile == DEMO_PROFILE else DEFAULT_MODEL
    model = target.model or (profile.model if profile is not None else None) or default
    return f"{target.profile} · {model}"


def column_options(main: ChatSession, target: Target) -> SessionOptions:
    """The options of a column's session: the conversation's, pointed at the target.

    A target without a profile asks the conversation's profile (or endpoint) as it is now,
    after any switch in the app; without a model, its profile's model (or the conversation's).
    Columns read and write no history and start no tools of their own.
    """
    base = replace(
        main.options, resume=None, history=False, save=False, tools=False, compare=(), replay=False
    )
    if target.profile is not None:
        return replace(
            base,
            profile=target.profile,
            demo=target.profile == DEMO_PROFILE,
            base_url=None,
            api_key_env=None,
            model=target.model,
        )
    options = replace(base, model=target.model or main.provider.model)
    if main.endpoint.profile is not None:
        options = replace(options, profile=main.endpoint.profile, demo=False)
    return options


def column_session(main: ChatSession, target: Target) -> ChatSession:
    """A session for one column: the target's provider, the conversation so far as context,
    and the conversation's tools (their policies and approvals too).

    Raises:
        ConfigError: the target names no profile of the settings.
    """
    session = build_session(main.settings, column_options(main, target), main.environ)
    # One set of tools for every column: the conversation's (MCP servers are not started
    # again, and a tool switched on or off, or always run, is so for all of them).
    session.conversation.tools = main.tools
    session.conversation.policy = main.conversation.policy
    session.policies = main.policies
    session.messages[:] = list(main.messages)
    return session


class Comparison:
    """One prompt sent to several targets at once; one answer kept, the others its siblings.

    Open it with `Comparison.open`; run each column's `answer(index)` at the same time (each
    in a task or worker of its own); then `keep(index)` (or `keep(None)`) once none is
    running, and `aclose()`.

    Attributes:
        prompt: the prompt as typed.
        message: the user message every column sends: the prompt and its files, as a
            prompt sent to one model sends them (`tuichat.session.attachments.user_message`).
    """

    def __init__(
        self,
        main: ChatSession,
        prompt: str,
        columns: Sequence[CompareColumn],
        attachments: Sequence[Attachment] = (),
    ) -> None:
        self.main = main
        self.prompt = prompt
        self.attachments = tuple(attachments)
        self.message = user_message(prompt, attachments)
        self.columns = list(columns)
        self.kept: int | None = None
        self.stored = False  # keep() ran: the turn is in the conversation and its history

    @classmethod
    async def open(
        cls,
        main: ChatSession,
        targets: Sequence[Target],
        prompt: str,
        attachments: Sequence[Attachment] = (),
        clock: Clock | None = None,
    ) -> Comparison:
        """A comparison of these targets for this prompt (and the files attached to it) on the
        conversation of `main`; its stats, and each column's answers, are timed on `clock`
        (by default the conversation's, which times its answers).

        Raises:
            ConfigError: a target names no profile (the columns built so far are closed).
        """
        clock = clock or main.conversation.clock
        columns: list[CompareColumn] = []
        try:
            for target in targets:
                session = column_session(main, target)
                session.conversation.clock = clock
                columns.append(CompareColumn(target, session, clock))
        except BaseException:
            for column in columns:
                await column.session.aclose()
            raise
        for column in columns:
            column.session.on_note = _noting(main, column.label)
        return cls(main, prompt, columns, attachments)

    @property
    def running(self) -> bool:
        """Whether an answer is still arriving."""
        return any(column.running for column in self.columns)

    async def answer(self, index: int) -> AsyncIterator[TurnBatch]:
        """Column `index`'s turn: iterate it to run it (cancel it to stop it, keeping what
        arrived, marked cancelled)."""
        column = self.columns[index]
        await self.main.tools_ready()
        # The first request of a process waits for the SDK's import: not to be counted in
        # one column's time to first token (a failed import fails in the column's turn).
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(prepare_sdk())
        column.begin()
        try:
            async for batch in column.session.send(self.prompt, self.attachments):
                column.observe(batch)
                yield batch
        finally:
            column.end()

    async def keep(self, index: int | None) -> list[Answer]:
        """End the comparison: column `index`'s answer continues the conversation, the
        others are saved as its siblings (`None`: none continues it, all are saved as a
        replaced branch). Call it once, when no answer is arriving.

        Returns:
            The kept column's answers (their stored ids filled in), to show in the
            conversation; empty for `None`.

        Raises:
            RuntimeError: an answer is still arriving, the comparison was kept already, or
                the column has no answer.
        """
        if self.running or self.stored:
            raise RuntimeError("a comparison is kept once, when no answer is arriving")
        kept = self.columns[index] if index is not None else None
        if kept is not None and not kept.answers:
            raise RuntimeError(f"{kept.label} has no answer to keep")
        self.stored = True
        self.kept = index
        if kept is not None:
            self.main.messages.extend([self.message, *kept.messages])
        await self._save(kept)
        return list(kept.answers) if kept is not None else []

    async def _save(self, kept: CompareColumn | None) -> None:
        """Write the turn as regenerating would have: the prompt, each answer not kept then
        marked replaced, and the kept one last (or, with none kept, the prompt replaced too)."""
        main, history = self.main, self.main.history
        written = [column for column in self.columns if column is not kept and column.answers]
        if kept is not None:
            written.append(kept)
        if history is None or not written or not main.save:
            return
        conversation_id = await main.saved_conversation()
        if conversation_id is None:
            return
        prompt = self.message
        save_raw = main.settings.history.save_raw_chunks

        def write(store: HistoryStore) -> None:
            store.add_message(conversation_id, prompt)
            for position, column in enumerate(written):
                model, provider = column.session.provider.model, column.session.provider.name
                for answer, wire in zip(column.answers, column.wire, strict=True):
                    for message in answer.messages:
                        by_model = message.get("role") == "assistant"
                        message_id = store.add_message(
                            conversation_id,
                            message,
                            model=model if by_model else None,
                            provider=provider if by_model else None,
                        )
                        answer.message_ids.append(message_id)
                        if by_model and wire and save_raw:
                            store.save_raw_chunks(message_id, wire)
                last = position == len(written) - 1
                if not last or kept is None:
                    store.replace_last_answer(conversation_id, include_prompt=last)

        try:
            await history.run(write)
        except StorageError as error:
            main.note(str(error), "Not saved", "error")

    async def aclose(self) -> None:
        """Stop the answers still arriving and close the columns' sessions."""
        await asyncio.gather(*(column.session.aclose() for column in self.columns))


def _noting(main: ChatSession, label: str) -> Callable[[Note], None]:
    """A column's notes go to the conversation's, saying which column they are about."""

    def note(note: Note) -> None:
        main.on_note(replace(note, message=f"{label}: {note.message}"))

    return note
