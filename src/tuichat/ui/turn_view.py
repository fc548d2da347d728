"""Showing a turn as its events arrive: the one path from the session's events to the screen.

The completion worker hands every batch of the turn to `TurnView.show`. Answer events go to
the live answer's widget (`AssistantMessage.apply`), raw chunks to the inspector's feed,
notices and errors into the conversation. Nothing is posted per event and nothing is
coalesced here: the answer's Markdown widget gathers its text and draws it once a frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tuichat.core.events import WIRE_RECORD_TYPES, RawChunk, StreamError
from tuichat.core.provider import Provider
from tuichat.session.events import (
    AnswerEnded,
    AnswerStarted,
    Notice,
    TurnBatch,
    TurnFinished,
)
from tuichat.session.session import UsageTotals
from tuichat.ui.answer_progress import AnswerProgress
from tuichat.ui.widgets.chat_message import AssistantMessage, ErrorMessage, NoticeMessage
from tuichat.ui.widgets.inspector import Inspector
from tuichat.ui.widgets.message_list import Entry, MessageList

Notify = Callable[[str, str], None]  # (message, title): a warning outside the conversation


class TurnView:
    """The answers, notices and errors of one turn, shown as its events arrive.

    Args:
        messages: the conversation's scroll view (the answers are added at its end).
        inspector: gets the requests and raw chunks.
        usage: the conversation's totals, shown after the turn on its last answer.
        warn: tells the user about something outside the conversation (a malformed chunk).
        asked: who is asked (an answer's status line names them while it connects).
        provider: the provider answering (its stall timeout, whether it streams).
    """

    def __init__(
        self,
        messages: MessageList,
        inspector: Inspector,
        usage: Callable[[], UsageTotals],
        warn: Notify,
        asked: Callable[[], str] = lambda: "the server",
        provider: Callable[[], Provider] | None = None,
    ) -> None:
        self._messages = messages
        self._feed = inspector.feed
        self._usage = usage
        self._warn = warn
        self._asked = asked
        self._provider = provider
        self.entries: list[Entry] = []  # the turn's answers, in order
        self.failed = False  # the turn ended in an error
        self.answer: AssistantMessage | None = None  # the answer receiving events now
        self._last_ended: AssistantMessage | None = None  # for the turn's totals

    def show(self, batch: TurnBatch) -> None:
        """Show one batch of the turn's events."""
        for event in batch:
            if isinstance(event, WIRE_RECORD_TYPES):
                self._feed.append(event)  # the inspector reads every record of the wire
                if not isinstance(event, RawChunk) and self.answer is not None:
                    # A new attempt, the headers, a read, a keep-alive: what its status says.
                    self.answer.apply(event)
            elif isinstance(event, AnswerStarted):
                self.answer = AssistantMessage()
                if event.continues and event.answer.message is not None:
                    self.answer.show_so_far(event.answer.message)  # then the rest, appended
                entry = self._messages.add(self.answer, None, "answer", answer=event.answer)
                self.entries.append(entry)
                # Connecting, retrying, the first token: each can take seconds. Say which.
                self.answer.follow(self._progress())
            elif isinstance(event, AnswerEnded):
                if self.answer is not None:
                    self.answer.apply(event)
                    self._last_ended = self.answer
            elif isinstance(event, StreamError):
                self._failed(event)
            elif isinstance(event, Notice):
                self.add_note(NoticeMessage, event.message)
            elif isinstance(event, TurnFinished):
                self.failed = self.failed or event.failed
                self._finished()
            elif self.answer is not None:
                self.answer.apply(event)

    def _progress(self) -> AnswerProgress:
        provider = self._provider() if self._provider is not None else None
        return AnswerProgress(
            self._asked(),
            stall_timeout=provider.stall_timeout if provider is not None else 60.0,
            stream=provider.stream if provider is not None else True,
            now=time.monotonic(),
        )

    def _failed(self, error: StreamError) -> None:
        if error.kind == "malformed":
            self._warn(error.message, "Malformed chunk")
            return
        self.failed = True
        answer = self.answer
        if answer is not None and answer.is_empty:
            self._messages.discard(answer)  # nothing arrived: the error says it all
            self.entries = [entry for entry in self.entries if entry.widget is not answer]
            self.answer = None
        self.add_note(ErrorMessage, error.message)

    def _finished(self) -> None:
        self.answer = None
        ended, self._last_ended = self._last_ended, None
        totals = self._usage()
        if ended is not None and totals.total_tokens:
            line = f"conversation {totals.total_tokens:,} tokens"
            if totals.cost is not None:
                line += f" · ${totals.cost:.4f}"
            ended.add_status(line)

    def add_note(self, kind: type[NoticeMessage | ErrorMessage], text: str) -> None:
        """Show a notice or an error of tuichat's in the conversation."""
        self._messages.add(kind(text), lambda: kind(text), "note")

    def stopped(self, why: str) -> bool:
        """The worker stopped before the turn's end: show each answer as its data has it.

        A cancelled round's partial answer is marked cancelled, the calls it was running
        say so; after an internal error the live answer says what broke.

        Returns:
            Whether an answer of the turn is shown (and says how it ended).
        """
        for entry in self.entries:
            widget, answer = entry.widget, entry.answer
            if not isinstance(widget, AssistantMessage) or answer is None:
                continue
            if widget.ended:
                pass  # its round had ended: only its calls may still have been running
            elif answer.message is not None:
                widget.show_end(answer.message)
            else:
                widget.mark(why)
            widget.end_calls(answer.messages[1:])
        self.answer = None
        return any(isinstance(entry.widget, AssistantMessage) for entry in self.entries)

    def settle(self) -> None:
        """The turn is over: its answers can be rebuilt from their data from now on."""
        for entry in self.entries:
            entry.settle()
