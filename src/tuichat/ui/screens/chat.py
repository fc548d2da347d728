"""The chat screen: the conversation, the prompt and the raw-chunk inspector."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from tuichat.core.conversation import Conversation
from tuichat.ui import messages as ui
from tuichat.ui.widgets.chat_message import (
    AssistantMessage,
    ErrorMessage,
    NoticeMessage,
    UserMessage,
    widgets_for_history,
)
from tuichat.ui.widgets.inspector import Inspector
from tuichat.ui.widgets.prompt import PromptInput


TEXT_FRAME = 1 / 30  # seconds: the shortest interval between two TokensReceived


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks of a Markdown text, in order."""
    blocks: list[str] = []
    lines: list[str] | None = None
    fence = ""
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if lines is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            lines = []
        elif lines is not None and stripped.startswith(fence):
            blocks.append("\n".join(lines))
            lines = None
        elif lines is not None:
            lines.append(line)
    return blocks


class MessageList(VerticalScroll):
    """The scrollable conversation. Anchored: it follows new text while at the bottom."""

    can_focus = False


class ChatScreen(Screen[None]):
    """One conversation with the model."""

    CSS_PATH = "chat.tcss"

    BINDINGS = [
        Binding("f2", "toggle_inspector", "Inspector"),
        Binding("escape", "cancel", "Cancel answer", priority=True),
        Binding("pageup", "page_up", "Page up", show=False, priority=True),
        Binding("pagedown", "page_down", "Page down", show=False, priority=True),
        Binding("ctrl+home", "scroll_top", "Top", show=False, priority=True),
        Binding("ctrl+end", "scroll_bottom", "Jump to latest", priority=True),
        Binding("f1", "app.toggle_help", "Help"),
        Binding("f3", "pick_model", "Model"),
        Binding("ctrl+y", "copy_answer", "Copy answer", priority=True),
        Binding("alt+y", "copy_code", "Copy code block", show=False, priority=True),
    ]

    def __init__(
        self,
        conversation: Conversation,
        *,
        welcome: str | None = None,
        shown: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.conversation = conversation
        self.welcome = welcome
        self.shown = shown or []  # earlier messages to show (a reopened conversation)
        self.answer: AssistantMessage | None = None  # the answer receiving text now
        self._answer_started = 0.0
        self.clock = time.monotonic  # replaceable, so snapshots do not show varying times
        self._last_finished: AssistantMessage | None = None  # for the turn's usage totals

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield MessageList(id="messages")
            yield Inspector(id="inspector")
        yield PromptInput(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#inspector").display = False
        if self.welcome:
            self.messages.mount(NoticeMessage(self.welcome))
        if self.shown:
            self.messages.mount_all(widgets_for_history(self.shown))
        self.messages.anchor()
        self.query_one(PromptInput).focus()

    @property
    def messages(self) -> MessageList:
        """The conversation's scroll view."""
        return self.query_one(MessageList)

    @property
    def inspector(self) -> Inspector:
        """The raw-chunk panel."""
        return self.query_one(Inspector)

    @property
    def busy(self) -> bool:
        """Whether an answer is being received."""
        return any(
            worker.group == "completion" and worker.is_running for worker in self.workers
        )

    def _add(self, widget: Widget) -> None:
        self.messages.mount(widget)

    # -- sending -------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    def send(self, event: PromptInput.Submitted) -> None:
        """Send the prompt, unless an answer is still arriving."""
        if self.busy:
            self.notify("An answer is still arriving: Esc cancels it.", severity="warning")
            return
        event.prompt.clear()
        self._add(UserMessage(event.text))
        self.messages.anchor()
        self.inspector.new_turn()
        self.run_turn(event.text)

    @work(exclusive=True, group="completion", exit_on_error=False)
    async def run_turn(self, text: str) -> None:
        """Consume the conversation's events, posting UI messages a batch at a time.

        Text is coalesced into at most one `TokensReceived` per frame interval: at 200
        chunks a second a message per chunk costs more than drawing the text.
        """
        post = self.post_message
        feed = self.inspector.feed
        text_out = ui.TextCoalescer(post, TEXT_FRAME)
        recorder = await self.app.recorder_for(text)  # type: ignore[attr-defined]
        try:
            async for batch in self.conversation.send(text):
                if recorder is not None:
                    recorder.observe(batch)
                for message in ui.to_messages(batch, feed):
                    if isinstance(message, ui.TokensReceived):
                        text_out.add(message.text)
                    else:
                        text_out.flush()
                        post(message)
                text_out.tick()
        finally:
            text_out.flush()
            if recorder is not None:
                recorder.end()  # after a cancel: saves what arrived, marked cancelled
                await asyncio.shield(recorder.flush())

    # -- the worker's messages -----------------------------------------------------------

    @on(ui.AnswerStarted)
    def _answer_started(self, event: ui.AnswerStarted) -> None:
        self.answer = AssistantMessage()
        self._answer_started = self.clock()
        self._add(self.answer)

    @on(ui.TokensReceived)
    def _tokens(self, event: ui.TokensReceived) -> None:
        if self.answer is not None:
            self.answer.append_text(event.text)

    @on(ui.ReasoningReceived)
    def _reasoning(self, event: ui.ReasoningReceived) -> None:
        if self.answer is not None:
            self.answer.append_reasoning(event.text)

    @on(ui.ToolCallStarted)
    def _tool_started(self, event: ui.ToolCallStarted) -> None:
        if self.answer is not None:
            self.answer.add_tool_call(event.index, event.call_id, event.name)

    @on(ui.ToolArgumentsReceived)
    def _tool_arguments(self, event: ui.ToolArgumentsReceived) -> None:
        view = self.answer.tool_call(event.index) if self.answer else None
        if view is not None:
            view.append_arguments(event.text)

    @on(ui.ToolCallReady)
    def _tool_ready(self, event: ui.ToolCallReady) -> None:
        if self.answer is None:
            return
        view = self.answer.tool_call(event.index)
        if view is None:  # a call whose name never arrived: show it now
            view = self.answer.add_tool_call(event.index, "", event.name or "(no name)")
            view.call_after_refresh(view.set_ready, event.name, event.arguments_text, event.error)
        else:
            view.set_ready(event.name, event.arguments_text, event.error)

    @on(ui.ToolRunning)
    def _tool_running(self, event: ui.ToolRunning) -> None:
        view = self.answer.tool_call(event.index) if self.answer else None
        if view is not None:
            view.set_running()

    @on(ui.ToolResultReceived)
    def _tool_result(self, event: ui.ToolResultReceived) -> None:
        view = self.answer.tool_call(event.index) if self.answer else None
        if view is not None:
            view.set_result(event.content, event.is_error, event.duration)

    @on(ui.AnswerFinished)
    def _answer_finished(self, event: ui.AnswerFinished) -> None:
        if self.answer is not None and not self.answer.ended:
            elapsed = self.clock() - self._answer_started
            self.answer.finish(event.finish_reason, event.usage, elapsed)
            self._last_finished = self.answer

    @on(ui.StreamFailed)
    def _stream_failed(self, event: ui.StreamFailed) -> None:
        if event.kind == "malformed":
            self.notify(event.text, title="Malformed chunk", severity="warning")
            return
        answer = self.answer
        if answer is not None:
            if answer.is_empty:
                answer.remove()  # nothing arrived: the error says it all
                self.answer = None
            else:
                answer.mark(f"failed ({event.kind}): the text above is what arrived")
        self._add(ErrorMessage(event.text))

    @on(ui.NoticeShown)
    def _notice(self, event: ui.NoticeShown) -> None:
        self._add(NoticeMessage(event.text))

    @on(ui.TurnEnded)
    def _turn_ended(self, event: ui.TurnEnded) -> None:
        self.answer = None
        usage = getattr(self.app, "conversation_usage", None)
        if self._last_finished is not None and usage is not None:
            prompt, completion, cost = usage()
            if prompt or completion:
                total = f"conversation {prompt + completion:,} tokens"
                if cost is not None:
                    total += f" · ${cost:.4f}"
                self._last_finished.add_status(total)
        self._last_finished = None

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "completion":
            return
        # Handled here rather than in action_cancel: this message comes after every message
        # the worker posted before it stopped, so the answer has all its text when marked.
        if event.state == WorkerState.CANCELLED:
            answer = self.answer
            if answer is not None:
                answer.mark("cancelled by you (Esc): the text above is what arrived")
                for view in answer.tool_calls.values():
                    if view.state in ("streaming", "ready", "running"):
                        view.set_result("Cancelled by the user.", True, 0.0)
            self.answer = None
            self._add(NoticeMessage("Cancelled."))
        elif event.state == WorkerState.ERROR:
            # A bug of ours in the worker must not take the app down: say what broke.
            if self.answer is not None:
                self.answer.mark("failed: tuichat hit an internal error")
            self._add(ErrorMessage(f"Internal error: {event.worker.error!r}"))
            self.answer = None

    # -- actions -------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Stop the answer that is arriving; its text so far stays, marked cancelled."""
        if self.busy:
            # Cancelling the worker closes the HTTP response on its way out.
            self.workers.cancel_group(self, "completion")

    def _last_answer_text(self) -> str:
        answers = [m for m in self.conversation.messages if m.get("role") == "assistant" and m.get("content")]
        return str(answers[-1]["content"]) if answers else ""

    def action_copy_answer(self) -> None:
        """Copy the last answer's Markdown to the clipboard (OSC 52)."""
        text = self._last_answer_text()
        if not text:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the last answer ({len(text):,} characters).")

    def action_copy_code(self) -> None:
        """Copy the last fenced code block of the last answer."""
        blocks = code_blocks(self._last_answer_text())
        if not blocks:
            self.notify("The last answer has no code block.", severity="warning")
            return
        self.app.copy_to_clipboard(blocks[-1])
        self.notify(f"Copied a code block ({blocks[-1].count(chr(10)) + 1} lines).")

    def action_pick_model(self) -> None:
        """Choose the model from the server's list (or type one)."""
        from tuichat.ui.screens.model_picker import ModelPicker

        def chosen(model: str | None) -> None:
            if model:
                self.conversation.client.provider.model = model
                self.app.refresh_subtitle()
                self.notify(f"Model: {model}")

        self.app.push_screen(ModelPicker(self.conversation.client), chosen)

    def action_toggle_inspector(self) -> None:
        """Show or hide the raw-chunk inspector."""
        inspector = self.inspector
        inspector.display = not inspector.display

    def action_page_up(self) -> None:
        self.messages.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.messages.scroll_page_down(animate=False)

    def action_scroll_top(self) -> None:
        self.messages.scroll_home(animate=False)

    def action_scroll_bottom(self) -> None:
        self.messages.anchor()

    @on(PromptInput.ScrollRequested)
    def _scroll_requested(self, event: PromptInput.ScrollRequested) -> None:
        if event.where == "home":
            self.action_scroll_top()
        else:
            self.action_scroll_bottom()
