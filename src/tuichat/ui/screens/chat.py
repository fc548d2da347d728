"""The chat screen: the conversation, the prompt and the raw-chunk inspector."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from tuichat.core.conversation import Conversation
from tuichat.core.events import Event
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.db import StorageError
from tuichat.storage.recorder import TurnRecorder
from tuichat.tools.executor import CANCELLED_RESULT
from tuichat.ui import messages as ui
from tuichat.ui.screens.history import ConversationList, HistoryChoice, SearchScreen
from tuichat.ui.screens.tool_approval import ApprovalResult, ApprovalScreen, PendingCall
from tuichat.ui.screens.tools import ToolsScreen
from tuichat.ui.widgets.chat_message import (
    ENDED_STATES,
    AssistantMessage,
    ErrorMessage,
    NoticeMessage,
    ToolCallView,
    UserMessage,
)
from tuichat.ui.widgets.inspector import Inspector
from tuichat.ui.widgets.message_list import (
    Entry,
    MessageList,
    build_widget,
    entries_for_history,
    group_messages,
)
from tuichat.ui.widgets.prompt import PromptInput

__all__ = ["ChatScreen", "MessageList", "code_blocks"]

TEXT_FRAME = 1 / 30  # seconds: the shortest interval between two TokensReceived
FOUND_HIGHLIGHT = 3.0  # seconds a message found by search stays highlighted

Replace = Literal["answer", "prompt"]  # what a turn replaces: the last answer, or the prompt too


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


def _last_user_index(messages: list[dict[str, Any]]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return None


class ChatScreen(Screen[None]):
    """One conversation with the model."""

    CSS_PATH = "chat.tcss"

    # Each binding's id is its action's name: `[keys]` in the config file remaps by id.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "toggle_inspector", "Inspector", id="toggle_inspector"),
        Binding(
            "alt+up",
            "inspect_answer(-1)",
            "Inspect the previous answer",
            show=False,
            priority=True,
            id="inspect_previous",
        ),
        Binding(
            "alt+down",
            "inspect_answer(1)",
            "Inspect the next answer",
            show=False,
            priority=True,
            id="inspect_next",
        ),
        Binding("escape", "cancel", "Cancel answer", priority=True, id="cancel"),
        Binding("pageup", "page_up", "Page up", show=False, priority=True, id="page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, priority=True, id="page_down"),
        Binding("ctrl+home", "scroll_top", "Top", show=False, priority=True, id="scroll_top"),
        Binding("ctrl+end", "scroll_bottom", "Jump to latest", priority=True, id="scroll_bottom"),
        Binding("f1", "app.toggle_help", "Help", id="toggle_help"),
        Binding("f3", "pick_model", "Model", id="pick_model"),
        Binding("f5", "show_tools", "Tools", id="show_tools"),
        Binding("ctrl+y", "copy_answer", "Copy answer", priority=True, id="copy_answer"),
        Binding("alt+y", "copy_code", "Copy code block", show=False, priority=True, id="copy_code"),
        Binding("f4", "show_history", "Conversations", show=False, id="show_history"),
        Binding("ctrl+f", "search_history", "Search history", show=False, id="search_history"),
        Binding(
            "ctrl+n", "new_conversation", "New conversation", show=False, id="new_conversation"
        ),
        Binding("ctrl+r", "regenerate", "Regenerate answer", show=False, id="regenerate"),
        # ctrl+e is also the prompt's "line end": this one acts only on an empty prompt.
        Binding(
            "ctrl+e",
            "edit_last_prompt",
            "Edit last prompt",
            show=False,
            priority=True,
            id="edit_last_prompt",
        ),
    ]

    def __init__(
        self,
        conversation: Conversation,
        *,
        welcome: str | None = None,
        shown: list[dict[str, Any]] | None = None,
        shown_ids: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.conversation = conversation
        self.welcome = welcome
        self.shown = shown or []  # earlier messages to show (a reopened conversation)
        self.shown_ids = shown_ids  # their stored ids, if saved
        self.answer: AssistantMessage | None = None  # the answer receiving text now
        self._answer_began = 0.0  # clock() when the answer began
        self.clock = time.monotonic  # replaceable, so snapshots do not show varying times
        self._last_finished: AssistantMessage | None = None  # for the turn's usage totals
        self._turn_start = 0  # where the running turn's messages begin
        self.editing = False  # the prompt holds the last prompt, to be edited and re-sent
        self._turn_answer_ids: list[int | None] = []  # stored ids of the last turn's answers
        self._inspected: Entry | None = None  # the answer whose saved chunks the inspector shows

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield MessageList(id="messages")
            yield Inspector(id="inspector")
        yield PromptInput(id="prompt")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#inspector").display = False
        # Calls whose policy is "ask" come to this screen's modal.
        self.conversation.approve = self.approve_calls
        entries = entries_for_history(self.shown, self.shown_ids)
        if self.welcome and not entries:
            entries = [Entry("note", partial(NoticeMessage, self.welcome))]
        await self.messages.show(entries)
        self.prompt.focus()
        if self._history is not None:
            self._load_recall()

    @property
    def messages(self) -> MessageList:
        """The conversation's scroll view."""
        return self.query_one(MessageList)

    @property
    def prompt(self) -> PromptInput:
        """Where the user types."""
        return self.query_one(PromptInput)

    @property
    def inspector(self) -> Inspector:
        """The raw-chunk panel."""
        return self.query_one(Inspector)

    @property
    def busy(self) -> bool:
        """Whether an answer is being received."""
        return any(worker.group == "completion" and worker.is_running for worker in self.workers)

    @property
    def _history(self) -> AsyncHistory | None:
        """The app's history, or None when nothing is saved."""
        return getattr(self.app, "history", None)

    def _add_note(self, kind: type[NoticeMessage | ErrorMessage], text: str) -> None:
        self.messages.add(kind(text), partial(kind, text), "note")

    @work(group="recall", exit_on_error=False)
    async def _load_recall(self) -> None:
        """Fill the prompt's Up-arrow recall with the prompts saved in the history."""
        history = self._history
        if history is None:
            return
        try:
            prompts = await history.recent_prompts(200)
        except StorageError:
            return  # recall is a convenience: the session's own prompts still work
        self.prompt.add_saved_prompts(prompts)

    # -- sending -------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def send(self, event: PromptInput.Submitted) -> None:
        """Send the prompt (re-send it, when editing the last one), unless an answer is arriving."""
        if self.busy:
            self.notify("An answer is still arriving: Esc cancels it.", severity="warning")
            return
        replace: Replace | None = None
        if self.editing:
            # The edited prompt replaces the last one: it and its answer leave the screen
            # and the conversation (the history keeps them, marked replaced).
            self._stop_editing()
            index = _last_user_index(self.conversation.messages)
            if index is not None:
                await self.messages.jump_to_end()
                del self.conversation.messages[index:]
                last = self.messages.last_index("user")
                if last is not None:
                    self.messages.truncate(last)
                replace = "prompt"
        else:
            event.prompt.clear()
        event.prompt.remember(event.text)
        await self._start_turn(event.text, replace)

    async def _start_turn(self, prompt: str | None, replace: Replace | None) -> None:
        """Show the prompt (if any) at the end of the conversation and run the turn."""
        await self.messages.jump_to_end()
        if prompt is not None:
            self.messages.add(UserMessage(prompt), partial(UserMessage, prompt), "user")
        self.messages.anchor()
        self.inspector.new_turn()
        self._inspected = None
        self._turn_start = len(self.conversation.messages)
        self.run_turn(prompt, replace)

    @work(exclusive=True, group="completion", exit_on_error=False)
    async def run_turn(self, prompt: str | None, replace: Replace | None = None) -> None:
        """Run a turn: a new prompt, or (prompt None) the model asked again about the history.

        Args:
            prompt: the user's text; None to regenerate the last answer.
            replace: mark the saved last answer (and with "prompt" its prompt too) replaced
                first; they stay in the database.
        """
        if replace is not None:
            await self._replace_saved(replace)
        await self.app.tools_ready()  # type: ignore[attr-defined]
        recorder = await self.app.recorder_for(prompt)  # type: ignore[attr-defined]
        if prompt is None:
            events = self.conversation.run_turn()
        else:
            events = self.conversation.send(prompt)
        await self._relay(events, recorder)

    async def _replace_saved(self, replace: Replace) -> None:
        history = self._history
        conversation_id = getattr(self.app, "conversation_id", None)
        if history is None or conversation_id is None:
            return
        try:
            await history.replace_last_answer(conversation_id, include_prompt=replace == "prompt")
        except StorageError as error:
            self.notify(str(error), title="Not saved", severity="error")

    async def _relay(
        self, events: AsyncIterator[list[Event]], recorder: TurnRecorder | None
    ) -> None:
        """Consume a turn's events, posting UI messages a batch at a time.

        Text is coalesced into at most one `TokensReceived` per frame interval: at 200
        chunks a second a message per chunk costs more than drawing the text.
        """
        post = self.post_message
        feed = self.inspector.feed
        text_out = ui.TextCoalescer(post, TEXT_FRAME)
        try:
            async for batch in events:
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
                self._turn_answer_ids = recorder.answer_ids

    def _settle_turn(self) -> None:
        """The turn is over: its answers can be rebuilt from the messages from now on."""
        groups = [
            group
            for kind, group, _ids in group_messages(self.conversation.messages[self._turn_start :])
            if kind == "answer"
        ]
        live = [entry for entry in self.messages.entries if entry.live]
        # Answers are recorded in the order they start, as their widgets are added (a failed
        # empty answer is discarded, but only the last one of a turn can be).
        for entry, answer_id in zip(live, self._turn_answer_ids, strict=False):
            if answer_id is not None:
                entry.message_ids = (answer_id,)
        self._turn_answer_ids = []
        for position, entry in enumerate(live):
            if position < len(groups):
                self.messages.settle(entry, partial(build_widget, groups[position]))
            else:  # not in the messages (should not happen): keep the text shown
                text = entry.widget.body.text if isinstance(entry.widget, AssistantMessage) else ""
                message = {"role": "assistant", "content": text}
                self.messages.settle(entry, partial(build_widget, [message]))

    # -- the worker's messages -----------------------------------------------------------

    @on(ui.AnswerStarted)
    def _answer_started(self, event: ui.AnswerStarted) -> None:
        self.answer = AssistantMessage()
        self._answer_began = self.clock()
        self.messages.add(self.answer, None, "answer")

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
        if event.call_id:
            view.call_id = event.call_id

    async def approve_calls(self, calls: list[dict[str, Any]]) -> list[bool]:
        """Ask the user whether these calls may run (the conversation's approver).

        Runs in the completion worker: the question goes to the screen as a message carrying
        a future, which the modal resolves. Cancelling the turn cancels the wait.
        """
        decision: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self.post_message(ui.ApprovalRequested(calls, decision))
        return await decision

    @on(ui.ApprovalRequested)
    def _approval_requested(self, event: ui.ApprovalRequested) -> None:
        views = [self._call_view(str(call.get("id") or "")) for call in event.calls]
        for view in views:
            if view is not None:
                view.set_waiting()
        tools = self.conversation.tools
        pending = []
        for call in event.calls:
            function = call.get("function") or {}
            name = str(function.get("name") or "")
            tool = tools.get(name) if tools is not None else None
            source = tool.source if tool is not None else "unknown tool"
            pending.append(
                PendingCall(
                    str(call.get("id") or ""), name, source, str(function.get("arguments") or "")
                )
            )

        def decided(result: ApprovalResult | None) -> None:
            result = result or ApprovalResult.deny_all(len(pending))
            for name in sorted(result.always):
                self.app.always_run(name)  # type: ignore[attr-defined]
            for view, approved in zip(views, result.approved, strict=False):
                if view is not None and approved and view.state == "waiting":
                    view.set_approved()
            if not event.decision.done():
                event.decision.set_result(list(result.approved))

        self.app.push_screen(ApprovalScreen(pending), decided)

    def _call_view(self, call_id: str) -> ToolCallView | None:
        """The view of the running answer's call with this id."""
        answer = self.answer
        if answer is None or not call_id:
            return None
        return next((v for v in answer.tool_calls.values() if v.call_id == call_id), None)

    @on(ui.ToolRunning)
    def _tool_running(self, event: ui.ToolRunning) -> None:
        view = self.answer.tool_call(event.index) if self.answer else None
        if view is not None:
            view.set_running()

    @on(ui.ToolResultReceived)
    def _tool_result(self, event: ui.ToolResultReceived) -> None:
        view = self.answer.tool_call(event.index) if self.answer else None
        if view is not None:
            view.set_result(event.content, event.status, event.duration, event.output)

    @on(ui.AnswerFinished)
    def _answer_finished(self, event: ui.AnswerFinished) -> None:
        if self.answer is not None and not self.answer.ended:
            elapsed = self.clock() - self._answer_began
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
                self.messages.discard(answer)  # nothing arrived: the error says it all
                self.answer = None
            else:
                answer.mark(f"failed ({event.kind}): the text above is what arrived")
        self._add_note(ErrorMessage, event.text)

    @on(ui.NoticeShown)
    def _notice(self, event: ui.NoticeShown) -> None:
        self._add_note(NoticeMessage, event.text)

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
        # A question about calls of a turn that has ended has no one waiting for it.
        ended = event.state in (WorkerState.CANCELLED, WorkerState.ERROR)
        if ended and isinstance(self.app.screen, ApprovalScreen):
            self.app.screen.dismiss(None)
        if event.state == WorkerState.CANCELLED:
            answer = self.answer
            if answer is not None:
                answer.mark("cancelled by you (Esc): the text above is what arrived")
                for view in answer.tool_calls.values():
                    if view.state not in ENDED_STATES:
                        view.set_result(CANCELLED_RESULT, "cancelled", 0.0)
            self.answer = None
            self._add_note(NoticeMessage, "Cancelled.")
        elif event.state == WorkerState.ERROR:
            # A bug of ours in the worker must not take the app down: say what broke.
            if self.answer is not None:
                self.answer.mark("failed: tuichat hit an internal error")
            self._add_note(ErrorMessage, f"Internal error: {event.worker.error!r}")
            self.answer = None
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
            self._settle_turn()

    # -- conversations -------------------------------------------------------------------

    async def open_conversation(self, conversation_id: int, message_id: int | None = None) -> bool:
        """Show a saved conversation and continue it (at `message_id`, else at its end).

        Returns:
            Whether it was opened.
        """
        history = self._history
        if history is None:
            return False
        if self.busy:
            self.notify("An answer is still arriving: Esc cancels it.", severity="warning")
            return False
        try:
            rows = await history.message_rows(conversation_id, include_replaced=False)
            if not rows and await history.get_conversation(conversation_id) is None:
                self.notify(f"There is no conversation {conversation_id}.", severity="warning")
                return False
        except StorageError as error:
            self.notify(str(error), title="History not available", severity="error")
            return False
        self._stop_editing()
        messages = [row.message for row in rows]
        self.conversation.messages[:] = messages
        self.app.conversation_id = conversation_id  # type: ignore[attr-defined]
        entries = entries_for_history(messages, [row.id for row in rows])
        around = None
        if message_id is not None:
            around = next(
                (i for i, entry in enumerate(entries) if message_id in entry.message_ids), None
            )
        await self.messages.show(entries, around=around)
        self._forget_inspected()
        if around is not None:
            found = entries[around].widget
            if found is not None:
                found.add_class("-found")
                self.set_timer(FOUND_HIGHLIGHT, partial(found.remove_class, "-found"))
        return True

    async def new_conversation(self) -> bool:
        """Start afresh: an empty screen, and the next prompt starts a new saved conversation."""
        if self.busy:
            self.notify("An answer is still arriving: Esc cancels it.", severity="warning")
            return False
        system = [m for m in self.conversation.messages[:1] if m.get("role") == "system"]
        self.conversation.messages[:] = system
        self.app.conversation_id = None  # type: ignore[attr-defined]
        self._stop_editing()
        self.prompt.clear()
        await self.messages.show([])
        self._forget_inspected()
        return True

    def _forget_inspected(self) -> None:
        """Another conversation is shown: the inspector leaves the previous one's chunks."""
        self._inspected = None
        self.inspector.new_turn()
        if self.inspector.display and self._answer_entries():
            self.action_inspect_answer(-1)

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With text in the prompt, ctrl+e goes on to it (end of line).
        return not (action == "edit_last_prompt" and self.is_mounted and self.prompt.text)

    def action_cancel(self) -> None:
        """Stop the answer that is arriving; its text so far stays, marked cancelled."""
        if self.busy:
            # Cancelling the worker closes the HTTP response on its way out.
            self.workers.cancel_group(self, "completion")
        elif self.editing:
            self._stop_editing()

    async def action_regenerate(self) -> None:
        """Ask for the last answer again; the old one stays in the history, marked replaced."""
        if self.busy:
            self.notify("An answer is still arriving: Esc cancels it.", severity="warning")
            return
        index = _last_user_index(self.conversation.messages)
        if index is None:
            self.notify("There is no answer to regenerate yet.", severity="warning")
            return
        self._stop_editing()
        await self.messages.jump_to_end()
        del self.conversation.messages[index + 1 :]
        last = self.messages.last_index("user")
        if last is not None:
            self.messages.truncate(last + 1)
        await self._start_turn(None, "answer")

    def action_edit_last_prompt(self) -> None:
        """Put the last prompt in the input: Enter re-sends it (replacing its answer)."""
        if self.busy:
            self.notify("An answer is still arriving: Esc cancels it.", severity="warning")
            return
        index = _last_user_index(self.conversation.messages)
        if index is None:
            self.notify("There is no prompt to edit yet.", severity="warning")
            return
        content = self.conversation.messages[index].get("content")
        prompt = self.prompt
        prompt.load_text(content if isinstance(content, str) else str(content or ""))
        prompt.move_cursor(prompt.document.end)
        self.editing = True
        prompt.border_title = "editing the last prompt · Enter re-sends · Esc cancels"
        prompt.add_class("-editing")

    def _stop_editing(self) -> None:
        """Leave edit mode; the text being edited goes too."""
        if self.editing:
            self.editing = False
            self.prompt.border_title = None
            self.prompt.remove_class("-editing")
            self.prompt.clear()

    async def action_new_conversation(self) -> None:
        """Start a new conversation."""
        if await self.new_conversation():
            self.notify("New conversation.")

    def action_show_history(self) -> None:
        """List the saved conversations: open, rename, delete."""
        history = self._history
        if history is None:
            self.notify("The history is off: nothing is saved.", severity="warning")
            return
        current = getattr(self.app, "conversation_id", None)
        self.app.push_screen(
            ConversationList(history, current, busy=self.busy), self._history_chosen
        )

    def action_search_history(self) -> None:
        """Search every saved message."""
        history = self._history
        if history is None:
            self.notify("The history is off: nothing is saved.", severity="warning")
            return
        self.app.push_screen(SearchScreen(history), self._history_chosen)

    async def _history_chosen(self, choice: HistoryChoice | None) -> None:
        """Act on what the conversation list or the search returned."""
        if choice is None:
            return
        current = getattr(self.app, "conversation_id", None)
        if choice.open is not None and await self.open_conversation(choice.open, choice.message_id):
            return
        if choice.new or (current is not None and current in choice.deleted):
            await self.new_conversation()

    def _last_answer_text(self) -> str:
        answers = [
            m
            for m in self.conversation.messages
            if m.get("role") == "assistant" and m.get("content")
        ]
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
                self.app.refresh_subtitle()  # type: ignore[attr-defined]
                self.notify(f"Model: {model}")

        self.app.push_screen(ModelPicker(self.conversation.client), chosen)

    def action_show_tools(self) -> None:
        """List every tool (source, policy, description) and switch each on or off."""
        tools = self.conversation.tools
        if tools is None:
            self.notify("Tools are off (--no-tools).", severity="warning")
            return
        self.app.push_screen(
            ToolsScreen(
                tools,
                policy=self.conversation.policy,
                toggle=self.app.toggle_tool,  # type: ignore[attr-defined]
                servers=self.app.mcp_statuses(),  # type: ignore[attr-defined]
            )
        )

    def action_toggle_inspector(self) -> None:
        """Show or hide the raw-chunk inspector (on a reopened conversation: its last answer)."""
        inspector = self.inspector
        inspector.display = not inspector.display
        if (
            inspector.display
            and self._answer_entries()
            and not inspector.feed
            and inspector.saved_title is None
        ):
            self.action_inspect_answer(-1)

    @on(AssistantMessage.Clicked)
    def _answer_clicked(self, event: AssistantMessage.Clicked) -> None:
        entry = self.messages.entry_of(event.answer)
        if self.inspector.display and entry is not None:
            self._inspect(entry)

    def action_inspect_answer(self, step: int) -> None:
        """Show the raw chunks of the answer before (-1) or after (1) the one shown."""
        answers = self._answer_entries()
        if not answers:
            self.notify("There is no answer to inspect yet.", severity="warning")
            return
        if self._inspected in answers:
            position = answers.index(self._inspected) + step
        else:  # the live feed: the latest answers
            position = len(answers) - 1 if step < 0 or not self.inspector.feed else len(answers)
        if position >= len(answers) and self.inspector.feed:
            self._inspected = None
            self.inspector.show_live()  # past the last saved answer: this session's turn
            self.inspector.display = True
            return
        self._inspect(answers[max(0, min(position, len(answers) - 1))])

    def _answer_entries(self) -> list[Entry]:
        """The conversation's answers, in order (shown or not)."""
        return [entry for entry in self.messages.entries if entry.kind == "answer"]

    def _inspect(self, entry: Entry) -> None:
        """Show the saved raw chunks of an answer in the inspector."""
        self._inspected = entry
        self.inspector.display = True
        widget = entry.widget
        if widget is not None and widget.is_mounted:
            self.messages.scroll_to_widget(widget, animate=False, top=True)
            widget.add_class("-found")
            self.set_timer(FOUND_HIGHLIGHT, partial(widget.remove_class, "-found"))
        history = self._history
        number = self._answer_entries().index(entry) + 1
        title = f"answer {number} (saved)"
        if entry.live:
            self.inspector.show_live()  # still arriving: the live feed is this answer
        elif history is None or not entry.message_ids:
            self.inspector.show_saved(f"{title} · not saved: the history is off", [])
        else:
            self._load_chunks(history, entry.message_ids[0], title)

    @work(group="inspect", exclusive=True, exit_on_error=False)
    async def _load_chunks(self, history: AsyncHistory, message_id: int, title: str) -> None:
        try:
            saved = await history.load_raw_chunks(message_id)
        except StorageError as error:
            self.notify(str(error), title="History not available", severity="error")
            return
        chunks = list(saved)
        if not chunks:
            title += " · no raw chunks were saved for it ([history] save_raw_chunks = false?)"
        self.inspector.show_saved(title, chunks)

    def action_page_up(self) -> None:
        self.messages.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.messages.scroll_page_down(animate=False)

    async def action_scroll_top(self) -> None:
        """Go to the first message of the conversation."""
        await self.messages.jump_to_start()

    async def action_scroll_bottom(self) -> None:
        """Go to the latest message and follow new text."""
        await self.messages.jump_to_end()

    @on(PromptInput.ScrollRequested)
    async def _scroll_requested(self, event: PromptInput.ScrollRequested) -> None:
        if event.where == "home":
            await self.action_scroll_top()
        else:
            await self.action_scroll_bottom()
