"""Saving a turn while it streams: the user message at once, the answer about once a second.

`TurnRecorder.observe` sees the same event batches the UI sees (those `Conversation.send()`
yields) and costs O(1) per batch plus appending text and wire records to lists: every write
is scheduled on the history's worker thread and never awaited on the hot path. What it
writes:

- the user message, when the turn starts (`start_turn`);
- an assistant row with status `streaming` when a round (an answer) starts;
- the partial text at most once per `checkpoint_interval` (a checkpoint is skipped while
  the previous one is still being written, so a slow disk cannot queue up writes);
- the final message once the conversation has appended it to its messages (the
  authoritative dicts), with the round's wire records (request, response head, body reads,
  raw chunks and comment lines); then the tool messages, in order;
- cancelled or failed answers with what arrived (`end()` after a cancel);
- the continuation of a cut answer (an `AnswerStarted` with `continues`) in the cut answer's
  own row: it is marked `streaming` again, checkpointed with the whole text, and finished
  with the merged message and its wire records after the continuation's
  (`continued_wire` holds the ones saved before).

If tuichat dies mid-answer, the row stays `streaming` with the text of the last checkpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tuichat.core.events import WIRE_RECORD_TYPES, ReasoningDelta, TextDelta, WireRecord
from tuichat.session.events import (
    Answer,
    AnswerEnded,
    AnswerStarted,
    Message,
    TurnBatch,
    TurnFinished,
)
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.errors import StorageError
from tuichat.storage.store import HistoryStore

DEFAULT_CHECKPOINT_INTERVAL = 1.0  # seconds between saves of a streaming answer's text


@dataclass(slots=True, eq=False)
class _Answer:
    """One streaming answer (round) and its row."""

    started: float  # recorder clock
    last_checkpoint: float
    shown: Answer  # the conversation's record of it: its stored ids are filled in here
    id: int | None = None  # set by the worker thread when the row exists
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    raw: list[WireRecord] = field(default_factory=list)  # what went over the wire
    dirty: bool = False


class TurnRecorder:
    """Writes one turn of a conversation to the history as it happens.

    Use it like this (the events are those of `Conversation.send`):

        recorder = TurnRecorder(history, conversation_id, conversation.messages)
        recorder.start_turn(text)
        try:
            async for batch in conversation.send(text):
                recorder.observe(batch)
                ...
        finally:
            recorder.end()
        error = await recorder.flush()
    """

    def __init__(
        self,
        history: AsyncHistory,
        conversation_id: int,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        provider: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        checkpoint_interval: float = DEFAULT_CHECKPOINT_INTERVAL,
        save_raw_chunks: bool = True,
        on_error: Callable[[StorageError], None] | None = None,
    ) -> None:
        """Prepare to record a turn.

        Args:
            history: where to write.
            conversation_id: the conversation (already created).
            messages: the live `Conversation.messages` list: the conversation appends each
                final message there, and the recorder writes what appears.
            model: the model answering (stored on assistant rows).
            provider: the provider's name (stored on assistant rows).
            clock: monotonic seconds, for the checkpoint rate (tests inject one).
            checkpoint_interval: at most one partial-text save per this many seconds.
            save_raw_chunks: keep each answer's wire records (compressed): the request, the
                response's head, each read of the body, each SSE payload and comment line.
            on_error: called on the loop's thread with the first write that failed.
        """
        self.history = history
        self.conversation_id = conversation_id
        self._messages = messages
        self._model = model
        self._provider = provider
        self._clock = clock
        self._interval = checkpoint_interval
        self._save_raw = save_raw_chunks
        self._on_error = on_error
        self._turn_start: int | None = None
        self._written = 0  # messages of this turn already handed to the writer
        self._open: deque[_Answer] = deque()  # answers whose rows are not final yet
        self._answer: _Answer | None = None  # the one receiving text
        self._answers: list[_Answer] = []  # every answer of the turn, in order
        self._continuing: _Answer | None = None  # a cut answer being continued in its row
        self.continued_wire: list[WireRecord] = []  # what its row kept, before its continuation
        self._checkpoint_pending = False
        self._pending: set[asyncio.Future[Any]] = set()
        self.error: StorageError | None = None
        self.checkpoints = 0  # partial-text saves scheduled
        self.finished = False

    # -- the turn --------------------------------------------------------------------------

    def start_turn(self, prompt: str | Message | None) -> None:
        """Write the user message that starts the turn.

        Args:
            prompt: the text (or the whole user message); None when the turn has no new
                prompt (regenerate after `replace_last_answer`).
        """
        if prompt is None:
            return
        message = {"role": "user", "content": prompt} if isinstance(prompt, str) else dict(prompt)
        conversation_id = self.conversation_id
        self._schedule(lambda store: store.add_message(conversation_id, message))

    def observe(self, batch: TurnBatch) -> None:
        """Look at one batch of events (cheap: call it for every batch)."""
        if self._turn_start is not None and len(self._messages) != self._turn_start + self._written:
            self._sync()  # the conversation appended messages (an answer, tool results)
        answer = self._answer
        for event in batch:
            if isinstance(event, WIRE_RECORD_TYPES):
                if answer is not None and self._save_raw:
                    answer.raw.append(event)
            elif isinstance(event, TextDelta):
                if answer is not None:
                    answer.text.append(event.text)
                    answer.dirty = True
            elif isinstance(event, ReasoningDelta):
                if answer is not None:
                    answer.reasoning.append(event.text)
                    answer.dirty = True
            elif isinstance(event, AnswerStarted):
                if event.continues:
                    answer = self._continue_answer(event.answer)
                else:
                    answer = self._start_answer(event.answer)
            elif isinstance(event, AnswerEnded):
                self._end_continuation(event.answer)
            elif isinstance(event, TurnFinished):
                self._sync()
                self._close("failed")
        if answer is not None and answer.dirty and not self._checkpoint_pending:
            now = self._clock()
            if now - answer.last_checkpoint >= self._interval:
                self._checkpoint(answer, now)

    def end(self) -> None:
        """Finish the turn however it ended (call in a `finally`; idempotent).

        After a cancel, the conversation has appended the partial answer marked
        `cancelled`; it is written as such. An answer the conversation did not keep is
        written from the text seen so far, as cancelled.
        """
        if self.finished:
            return
        self._sync()
        self._close("cancelled")

    async def flush(self) -> StorageError | None:
        """Wait until every scheduled write is done.

        Returns:
            The first write error, if any (also passed to `on_error`).
        """
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        return self.error

    # -- internals -------------------------------------------------------------------------

    def _start_answer(self, shown: Answer) -> _Answer:
        if self._turn_start is None:
            self._turn_start = len(self._messages)
        now = self._clock()
        answer = _Answer(started=now, last_checkpoint=now, shown=shown)
        self._open.append(answer)
        self._answers.append(answer)
        self._answer = answer
        conversation_id, model, provider = self.conversation_id, self._model, self._provider

        def start(store: HistoryStore) -> None:
            answer.id = store.start_answer(conversation_id, model=model, provider=provider)
            shown.message_ids.append(answer.id)

        self._schedule(start)
        return answer

    def _continue_answer(self, shown: Answer) -> _Answer:
        """A continuation goes into the cut answer's row: streaming again, its text so far."""
        if self._turn_start is None:
            self._turn_start = len(self._messages)  # the continued message is already there
        now = self._clock()
        message = dict(shown.message or {})
        answer = _Answer(started=now, last_checkpoint=now, shown=shown, id=shown.stored_id)
        answer.text = [str(message.get("content") or "")]
        answer.reasoning = [str(message["reasoning"])] if message.get("reasoning") else []
        answer.raw = list(self.continued_wire) if self._save_raw else []
        self._answers.append(answer)
        self._answer = answer
        self._continuing = answer
        message_id = answer.id
        if message_id is not None:
            self._schedule(
                lambda store: store.finish_answer(message_id, message, status="streaming")
            )
        return answer

    def _end_continuation(self, shown: Answer) -> None:
        """The continuation ended: its row gets the merged message (the conversation's)."""
        answer = self._continuing
        if answer is None or answer.shown is not shown or shown.message is None:
            return
        self._continuing = None
        self._finish(answer, dict(shown.message))

    def _checkpoint(self, answer: _Answer, now: float) -> None:
        text = "".join(answer.text)
        answer.text = [text]  # keep the list short: the next join costs one string
        reasoning = "".join(answer.reasoning)
        answer.reasoning = [reasoning] if reasoning else []
        answer.dirty = False
        answer.last_checkpoint = now
        self.checkpoints += 1
        self._checkpoint_pending = True

        def checkpoint(store: HistoryStore) -> None:
            if answer.id is not None:
                store.checkpoint_answer(answer.id, text or None, reasoning or None)

        future = self._schedule(checkpoint)
        if future is None:
            self._checkpoint_pending = False
        else:
            future.add_done_callback(self._checkpoint_done)

    def _checkpoint_done(self, _future: asyncio.Future[Any]) -> None:
        self._checkpoint_pending = False

    def _sync(self) -> None:
        """Write the turn's messages that the conversation appended since the last sync."""
        if self._turn_start is None:
            return
        first = self._turn_start + self._written
        new = self._messages[first:]
        self._written += len(new)
        for message in new:
            snapshot = dict(message)
            if snapshot.get("role") == "assistant" and self._open:
                self._finish(self._open.popleft(), snapshot)
            else:
                # A tool result belongs to the answer before it (whose calls it answers).
                self._add(snapshot, self._answers[-1].shown if self._answers else None)

    def _add(self, message: Message, shown: Answer | None) -> None:
        """Write a message that had no streaming row (tool results, notes)."""
        conversation_id = self.conversation_id
        assistant = message.get("role") == "assistant"
        model = self._model if assistant else None
        provider = self._provider if assistant else None

        def add(store: HistoryStore) -> None:
            row = store.add_message(conversation_id, message, model=model, provider=provider)
            if shown is not None:
                shown.message_ids.append(row)

        self._schedule(add)

    def _finish(self, answer: _Answer, message: Message) -> None:
        if answer is self._answer:
            self._answer = None
        raw = answer.raw if self._save_raw else None
        answer.raw = []
        conversation_id, model, provider = self.conversation_id, self._model, self._provider

        def finish(store: HistoryStore) -> None:
            if answer.id is None:  # its row could not be created: write it whole
                answer.id = store.add_message(
                    conversation_id, message, model=model, provider=provider
                )
                answer.shown.message_ids.insert(0, answer.id)
                if raw:
                    store.save_raw_chunks(answer.id, raw)
            else:
                store.finish_answer(answer.id, message, raw_chunks=raw)

        self._schedule(finish)

    def _close(self, status: str) -> None:
        """Finish answers that no message completed, with the text seen so far."""
        self.finished = True
        if self._continuing is not None:  # cancelled: the conversation merged what came
            self._end_continuation(self._continuing.shown)
        while self._open:
            answer = self._open.popleft()
            partial: Message = {
                "role": "assistant",
                "content": "".join(answer.text) or None,
                "reasoning": "".join(answer.reasoning) or None,
                "finish_reason": None,
                "usage": None,
            }
            if status == "cancelled":
                partial["cancelled"] = True
            else:
                partial["error"] = {"kind": "truncated", "message": "the answer ended unfinished"}
            self._finish(answer, partial)

    def _schedule(self, call: Callable[[HistoryStore], Any]) -> asyncio.Future[Any] | None:
        try:
            future = self.history.submit(call)
        except RuntimeError as error:  # the history was closed
            self._failed(StorageError(str(error), kind="error", path=self.history.path))
            return None
        self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        if not isinstance(error, StorageError):
            error = StorageError(
                f"Saving to the history failed: {error!r}", kind="error", path=self.history.path
            )
        self._failed(error)

    def _failed(self, error: StorageError) -> None:
        if self.error is None:
            self.error = error
            if self._on_error is not None:
                self._on_error(error)
