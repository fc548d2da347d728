"""The chat screen: the conversation, the prompt and the raw-chunk inspector."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Header
from textual.worker import Worker, WorkerState

from tuichat.session.attachments import Attachment, AttachmentError, collect
from tuichat.session.compare_targets import Target
from tuichat.session.events import TurnBatch
from tuichat.session.prompts import prompt_name
from tuichat.session.session import LASTING, ChatSession
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import StoredMessage
from tuichat.ui.chat_bindings import CHAT_BINDINGS
from tuichat.ui.compositor import PaintedRowsScreen
from tuichat.ui.context_meter import ContextMeter
from tuichat.ui.notes import tell
from tuichat.ui.screens.approving import ask_approval
from tuichat.ui.screens.comparing import compare, pick_targets, show_compare_mode
from tuichat.ui.screens.context_opening import show_context_screen
from tuichat.ui.screens.copying import copy_answer, copy_code
from tuichat.ui.screens.endpoint_choosing import pick_model, show_tools, switch_profile, toggle_tool
from tuichat.ui.screens.history_opening import search_history, show_branches, show_history
from tuichat.ui.screens.inspecting import InspectorNavigation, highlight
from tuichat.ui.screens.prompt_choosing import offer_template, pick_prompt, use_prompt
from tuichat.ui.screens.version_diff import show_version_diff
from tuichat.ui.screens.versions import VersionNavigation
from tuichat.ui.subtitle import endpoint_subtitle
from tuichat.ui.tab_messages import TabChanged
from tuichat.ui.turn_view import TurnView
from tuichat.ui.widgets.attachment_chip import user_widget
from tuichat.ui.widgets.chat_message import (
    AssistantMessage,
    ErrorMessage,
    NoticeMessage,
)
from tuichat.ui.widgets.inspector import Inspector
from tuichat.ui.widgets.key_footer import KeyFooter
from tuichat.ui.widgets.message_list import Entry, MessageList, entries_for_history
from tuichat.ui.widgets.prompt import PromptInput
from tuichat.ui.widgets.tab_bar import TabBar, TabLabel, TabState

if TYPE_CHECKING:
    from tuichat.ui.screens.branches import BranchChoice

__all__ = ["ChatScreen", "MessageList"]

BUSY = "An answer is still arriving: Esc cancels it."


def subtitle(session: ChatSession) -> str:
    """What the header says about where answers come from: the provider and the model."""
    return endpoint_subtitle(
        session.provider, demo=session.demo, prompt=prompt_name(session.messages)
    )


class ChatScreen(PaintedRowsScreen[None]):
    """One conversation with the model: the screen of one session (one tab of the app)."""

    BINDINGS: ClassVar[list[BindingType]] = CHAT_BINDINGS

    def __init__(
        self,
        session: ChatSession,
        *,
        welcome: str | None = None,
        shown: list[StoredMessage] | None = None,
        fixed_subtitle: str | None = None,
        tab_id: str = "",
    ) -> None:
        super().__init__()
        self.session = session
        self.tab_id = tab_id  # the app's tab this screen is
        self.tab_count = 1  # how many tabs are open (the tab keys show when more than one)
        self.shown_now = asyncio.Event()  # set while the screen is the one shown
        self._turn_failed = False
        self.fixed_subtitle = fixed_subtitle  # tests and benchmarks name their own
        self.welcome = welcome
        self.shown = shown or []  # a reopened conversation's saved messages
        self.editing = False  # the prompt holds the last prompt, to be edited and re-sent
        self.turn: TurnView | None = None  # the turn being shown (the last one, once over)
        self._navigation: InspectorNavigation | None = None
        self.compare: tuple[Target, ...] = session.options.compare  # each prompt goes to these
        self._versions: VersionNavigation | None = None
        self.context_meter: ContextMeter | None = None  # the prompt's border, once mounted

    def compose(self) -> ComposeResult:
        yield Header()
        yield TabBar(id="tabs")
        with Horizontal(id="main"):
            yield MessageList(id="messages")
            yield Inspector(id="inspector")
        yield PromptInput(id="prompt")
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.refresh_subtitle()
        self.inspector.display = False
        self._navigation = InspectorNavigation(
            self,
            self.messages,
            self.inspector,
            lambda: self.session.history,
            lambda: self.turn.entries if self.turn is not None else [],
        )
        self._versions = VersionNavigation(
            self, self.messages, self.session, changed=self._branch_shown
        )
        # Calls whose policy is "ask" come to this screen's modal, notes to its notifications.
        self.session.approve = self.approve_calls
        self.session.on_note = partial(tell, self)
        entries = self._entries(self.shown)
        if self.welcome and not entries:
            entries = [Entry("note", partial(NoticeMessage, self.welcome))]
        await self.messages.show(entries)
        self.prompt.focus()
        show_compare_mode(self)
        meter = ContextMeter(
            self.session,
            self.prompt,
            lambda find: self.run_worker(find, group="context-window", exit_on_error=False),
        )
        self.context_meter = meter
        meter.show()  # again as the draft changes, a turn ends, the model or conversation does
        if self.session.history is not None:
            self._load_recall()
            self.refresh_versions()
        role = self.session.role  # `--role`: its template, filled, waits in the input
        if role is not None and role.template is not None and not self.shown:
            offer_template(self, role, dict(self.session.options.variables))

    def show_tabs(self, labels: list[TabLabel], active: str) -> None:
        """Show the app's open tabs on this screen's bar."""
        # The tab keys show in the footer only with several tabs: its bindings change only
        # when that does (a refresh recomposes the footer, ~0.1 s, on every screen).
        several = (len(labels) > 1) != (self.tab_count > 1)
        self.tab_count = len(labels)
        # Not while the screen is ending (its bar may be gone already).
        for bar in self.query(TabBar) if self.is_mounted else ():
            bar.show(labels, active)
            if several:
                self.refresh_bindings()

    def tell_tab(self, state: TabState | None = None, title: str | None = None) -> None:
        if self.tab_id:
            self.post_message(TabChanged(self.tab_id, state, title))

    def on_screen_resume(self) -> None:
        self.shown_now.set()
        self.tell_tab("streaming" if self.busy else "idle")  # what it did unseen is seen

    def on_screen_suspend(self) -> None:
        self.shown_now.clear()

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
    def navigation(self) -> InspectorNavigation:
        """Which answer the inspector shows."""
        assert self._navigation is not None, "the screen is not mounted"
        return self._navigation

    @property
    def versions(self) -> VersionNavigation:
        """The marks of the messages that have versions, and stepping through them."""
        assert self._versions is not None, "the screen is not mounted"
        return self._versions

    @work(group="versions", exclusive=True, exit_on_error=False)
    async def refresh_versions(self) -> None:
        """Mark the messages that have versions again, from the history (after a turn, or
        after answers were added beside the one shown)."""
        await self.versions.refresh()

    @property
    def busy(self) -> bool:
        """Whether an answer is being received on this screen (the workers are the app's:
        another tab's answer does not count)."""
        return any(
            worker.node is self and worker.group == "completion" and worker.is_running
            for worker in self.workers
        )

    @staticmethod
    def _entries(rows: list[StoredMessage]) -> list[Entry]:
        return entries_for_history([row.message for row in rows], [row.id for row in rows])

    @work(group="recall", exit_on_error=False)
    async def _load_recall(self) -> None:
        """Fill the prompt's Up-arrow recall with the prompts saved in the history."""
        history = self.session.history
        if history is None:
            return
        try:
            prompts = await history.recent_prompts(200)
        except StorageError:
            return  # recall is a convenience: the session's own prompts still work
        self.prompt.add_saved_prompts(prompts)

    # -- sending -------------------------------------------------------------------------

    @on(PromptInput.Changed)
    def _draft_changed(self) -> None:
        self.count_context()

    def count_context(self) -> None:
        """Say again on the prompt's border what the next request sends (once mounted)."""
        if self.context_meter is not None:
            self.context_meter.show()

    @on(PromptInput.Submitted)
    async def send(self, event: PromptInput.Submitted) -> None:
        """Send the prompt (re-send it, when editing the last one), unless an answer is arriving."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        meter = self.context_meter
        warning = None if self.editing or meter is None else meter.warning(event.text)
        if warning is not None:
            self.notify(warning, title="Context window", severity="warning", timeout=8)
            return
        attachments = self.attachments_of(event.text)
        if attachments is None:
            return
        if self.compare and not self.editing:
            if await compare(self, event.text, attachments):
                event.prompt.clear()
                event.prompt.remember(event.text)
            return
        if self.editing:
            # The edited prompt replaces the last one: it and its answer leave the screen
            # and the conversation (the history keeps them, marked replaced).
            self.stop_editing()
            await self.messages.jump_to_end()
            last = self.messages.last_index("user")
            if last is not None:
                self.messages.truncate(last)
            turn = self.session.resend(event.text, attachments)
        else:
            event.prompt.clear()
            turn = self.session.send(event.text, attachments)
        event.prompt.remember(event.text)
        if not any(m.get("role") == "user" for m in self.session.messages[:-1]):
            self.tell_tab(title=event.text)  # the first prompt names the tab
        await self._start_turn(event.text, turn)

    def attachments_of(self, text: str) -> list[Attachment] | None:
        """The files a prompt attaches; None when one cannot be (said, the prompt stays in
        the input to be edited)."""
        try:
            return collect(text, Path.cwd(), self.session.settings.attachments)
        except AttachmentError as error:
            self.notify(str(error), title="Not sent", severity="error", timeout=LASTING)
            return None

    async def _start_turn(self, prompt: str | None, turn: AsyncIterator[TurnBatch]) -> None:
        """Show the prompt (if any) at the end of the conversation and run the turn."""
        await self.messages.jump_to_end()
        if prompt is not None:
            sent = self.session.outgoing or {"role": "user", "content": prompt}
            self.messages.add(user_widget(sent), partial(user_widget, sent), "user")
        self.messages.anchor()
        self.navigation.new_turn()
        self.turn = TurnView(
            self.messages,
            self.inspector,
            self.session.usage,
            self._warn,
            self._asked,
            lambda: self.session.provider,
        )
        self.tell_tab("streaming")
        self.run_turn(self.turn, turn)
        self.refresh_bindings()

    def _asked(self) -> str:
        provider = self.session.provider
        return "the demo model" if self.session.demo else f"{provider.base_url}"

    def _warn(self, message: str, title: str) -> None:
        self.notify(message, title=title, severity="warning")

    @work(exclusive=True, group="completion", exit_on_error=False)
    async def run_turn(self, view: TurnView, turn: AsyncIterator[TurnBatch]) -> None:
        """Run a turn and show its events as they arrive."""
        async for batch in turn:
            view.show(batch)

    async def approve_calls(self, calls: list[dict[str, Any]]) -> list[bool]:
        """Ask the user whether these calls may run (the conversation's approver)."""
        return await ask_approval(self, calls)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "completion":
            return
        if not event.worker.is_running:
            self.count_context()  # the answer's usage: what the server counted
        view = self.turn
        ended = event.state in (WorkerState.CANCELLED, WorkerState.ERROR)
        # A question about calls of a turn that has ended has no one waiting for it.
        from tuichat.ui.screens.tool_approval import ApprovalScreen

        if ended and isinstance(self.app.screen, ApprovalScreen):
            self.app.screen.dismiss(None)
        if view is None:
            return
        if event.state == WorkerState.CANCELLED:
            if not view.stopped("cancelled: the text above is what arrived"):
                view.add_note(NoticeMessage, "Cancelled.")  # before any answer began
        elif event.state == WorkerState.ERROR:
            # A bug of ours in the worker must not take the app down: say what broke.
            view.stopped("failed: tuichat hit an internal error")
            view.add_note(ErrorMessage, f"Internal error: {event.worker.error!r}")
        refused = self.session.refused_images() if event.state == WorkerState.SUCCESS else None
        if refused is not None:  # the prompt goes back to the input, to drop the images
            self.notify(refused, title="Images refused", severity="error", timeout=LASTING)
            self.call_later(self.action_edit_last_prompt)
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
            view.settle()
            self.refresh_bindings()  # Retry and Continue show after an answer cut short
            failed = view.failed or event.state == WorkerState.ERROR
            if self.shown_now.is_set():
                self.tell_tab("idle")
            else:  # done while not shown: the tab says so until it is shown
                self.tell_tab("failed" if failed else "unread")
            if self.is_mounted:  # a regenerated answer or an edited prompt has versions
                self.versions.selected = None  # the keys step the newest
                self.refresh_versions()

    # -- conversations -------------------------------------------------------------------

    async def open_conversation(self, conversation_id: int, message_id: int | None = None) -> bool:
        """Show a saved conversation and continue it (at `message_id`, else at its end).

        Returns:
            Whether it was opened.
        """
        if self.session.history is None:
            return False
        if self.busy:
            self.notify(BUSY, severity="warning")
            return False
        try:
            rows = await self.session.reopen(conversation_id)
        except StorageError as error:
            self.notify(str(error), title="History not available", severity="error")
            return False
        if rows is None:
            self.notify(f"There is no conversation {conversation_id}.", severity="warning")
            return False
        self.stop_editing()
        entries = self._entries(rows)
        around = None
        if message_id is not None:
            around = next(
                (i for i, entry in enumerate(entries) if message_id in entry.message_ids), None
            )
        await self.messages.show(entries, around=around)
        self.refresh_subtitle()  # its own prompt, from its saved system message
        self.navigation.forget()
        self.refresh_bindings()
        self.versions.forget()
        self.refresh_versions()
        if around is not None:
            found = entries[around].widget
            if found is not None:
                highlight(self, found)
        return True

    async def new_conversation(self) -> bool:
        """Start afresh: an empty screen, and the next prompt starts a new saved conversation."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return False
        self.session.new_conversation()
        self.stop_editing()
        self.prompt.clear()
        await self.messages.show([])
        self.refresh_subtitle()
        self.navigation.forget()
        self.refresh_bindings()
        self.versions.forget()
        return True

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With text in the prompt, ctrl+e goes on to it (end of line).
        if action == "edit_last_prompt":
            return not (self.is_mounted and self.prompt.text)
        if action == "step_version":  # with text in the prompt: its word moves
            return not (self.is_mounted and self.prompt.text)
        if action in ("app.close_tab", "app.next_tab", "app.previous_tab", "close_tab"):
            return self.tab_count > 1  # with one tab open, these keys stay out of the footer
        if action == "cancel":
            return self.busy
        if action == "stop_editing" and (self.busy or not self.editing):
            return False
        if action in ("page_up", "page_down", "stop_editing"):
            # Keys in the inspector page its list, and Esc there leaves it (or its search).
            return not (self.is_mounted and self.inspector.has_focus_within)
        # Only after an answer that stopped short: in the footer, the help and the palette
        # then (and Ctrl+R is plain regenerate otherwise). Continuing needs its text.
        if action == "retry_answer":
            return not self.busy and self.session.stopped_short() is not None
        if action == "continue_answer":
            return not self.busy and self.session.cut_answer() is not None
        return True

    def action_cancel(self) -> None:
        """Stop the answer that is arriving; its text so far stays, marked cancelled."""
        if self.busy:
            # Cancelling the worker closes the HTTP response on its way out.
            self.workers.cancel_group(self, "completion")

    def action_stop_editing(self) -> None:
        """Leave the edit of the last prompt; the prompt is emptied."""
        self.stop_editing()

    async def action_regenerate(self) -> None:
        """Ask for the last answer again; the old one stays in the history, marked replaced."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        turn = self.session.regenerate()
        if turn is None:
            self.notify("There is no answer to regenerate yet.", severity="warning")
            return
        self.stop_editing()
        await self.messages.jump_to_end()
        last = self.messages.last_index("user")
        if last is not None:
            self.messages.truncate(last + 1)
        await self._start_turn(None, turn)

    async def action_retry_answer(self) -> None:
        """Ask for the cut answer again, from the start (the cut one stays in the history)."""
        await self.action_regenerate()

    async def action_continue_answer(self) -> None:
        """Have the model go on with the cut answer: what comes is appended to it."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        turn = self.session.continue_answer()
        if turn is None:
            self.notify(
                "The last answer was not cut short: there is nothing to continue.",
                severity="warning",
            )
            return
        self.stop_editing()
        await self.messages.jump_to_end()
        # The cut answer (and the error after it) make way for the same answer, live.
        last = self.messages.last_index("answer")
        if last is not None:
            self.messages.truncate(last)
        await self._start_turn(None, turn)

    def action_edit_last_prompt(self) -> None:
        """Put the last prompt in the input: Enter re-sends it (replacing its answer)."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        text = self.session.last_prompt()
        if text is None:
            self.notify("There is no prompt to edit yet.", severity="warning")
            return
        prompt = self.prompt
        prompt.load_text(text)
        prompt.move_cursor(prompt.document.end)
        self.editing = True
        prompt.border_title = "editing the last prompt · Enter re-sends · Esc cancels"
        prompt.add_class("-editing")
        self.refresh_bindings()

    def stop_editing(self) -> None:
        """Leave edit mode; the text being edited goes too."""
        if self.editing:
            self.editing = False
            show_compare_mode(self)
            self.prompt.remove_class("-editing")
            self.prompt.clear()
            self.refresh_bindings()

    async def action_new_conversation(self) -> None:
        """Start a new conversation."""
        if await self.new_conversation():
            self.notify("New conversation.")

    def action_attach_file(self) -> None:
        """Pick a file (or directory) in a tree: its `@path` goes into the prompt."""

        def picked(path: Path | None) -> None:
            if path is not None:
                self.prompt.insert_reference(path)
            self.prompt.focus()

        from tuichat.ui.screens.file_picker import FilePicker  # imported when first needed

        self.app.push_screen(FilePicker(Path.cwd()), picked)

    def action_show_history(self) -> None:
        """List the saved conversations: open, rename, delete."""
        show_history(self)

    def action_search_history(self) -> None:
        """Search every saved message."""
        search_history(self)

    async def open_branch(self, conversation_id: int, choice: BranchChoice) -> bool:
        """Show a conversation on the branch through a message picked in its tree.

        Returns:
            Whether it is shown.
        """
        if self.busy:
            self.notify(BUSY, severity="warning")
            return False
        if conversation_id != self.session.conversation_id:
            if not await self.open_conversation(conversation_id):
                return False
        self.stop_editing()
        return await self.versions.show(choice.message_id, to_leaf=choice.to_leaf, scroll=True)

    def action_show_branches(self) -> None:
        """Show the conversation's branches as a tree: open one, or continue from a message."""
        show_branches(self)

    def action_show_context(self) -> None:
        """What the next request sends: leave messages out, put them back, summarise some."""
        show_context_screen(self)

    async def action_step_version(self, step: int) -> None:
        """Show the previous (-1) or next (1) version of the selected message."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        if not await self.versions.step_selected(step):
            self.notify(
                "No message here has other versions: Ctrl+R regenerates an answer, Ctrl+E "
                "edits the last prompt.",
                severity="warning",
            )

    def action_step_versions(self, message_id: int, step: int) -> None:
        """Show the version before (-1) or after (1) this one (a click on a mark's arrow)."""
        # Not awaited here: the click's handler runs in the mark, which the step removes
        # (awaiting the removal of the widget handling the click would never end).
        self.call_later(self._step_versions, message_id, step)

    async def _step_versions(self, message_id: int, step: int) -> None:
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        self.stop_editing()
        await self.versions.step(message_id, step)

    async def action_select_versions(self, step: int) -> None:
        """Select the message with versions above (-1) or below (1) the selected one."""
        if self.busy:
            self.notify(BUSY, severity="warning")
            return
        if not await self.versions.select(step):
            self.notify("No message here has other versions.", severity="warning")

    async def action_diff_versions(self, message_id: int) -> None:
        """Compare this version with the one before it as a word diff (a click on `diff`)."""
        history, conversation_id = self.session.history, self.session.conversation_id
        if history is not None and conversation_id is not None:
            await show_version_diff(self, history, conversation_id, message_id)

    async def action_compare_versions(self) -> None:
        """Compare the selected answer's version with the one before it as a word diff."""
        entry = self.versions.selected_entry()
        if entry is None or not entry.message_ids:
            self.notify("No message here has other versions.", severity="warning")
            return
        await self.action_diff_versions(entry.message_ids[0])

    def action_copy_answer(self) -> None:
        """Copy the last answer's Markdown to the clipboard (OSC 52)."""
        copy_answer(self)

    def action_copy_code(self) -> None:
        """Copy the last fenced code block of the last answer."""
        copy_code(self)

    def action_pick_model(self) -> None:
        """Choose the model from the server's list (or type one); saved in the profile."""
        pick_model(self)

    def switch_profile(self, name: str) -> None:
        """Talk to another provider profile from now on (the conversation goes on)."""
        switch_profile(self, name)

    def toggle_tool(self, name: str) -> None:
        """Offer a tool to the model or stop offering it; the choice is saved."""
        toggle_tool(self, name)

    def action_show_tools(self) -> None:
        """List every tool (source, policy, description) and switch each on or off."""
        show_tools(self)

    def action_compare_models(self) -> None:
        """Pick the profiles and models to compare: each prompt then goes to all of them."""
        pick_targets(self)

    def action_pick_prompt(self) -> None:
        """Choose a prompt of the library for this conversation (or a new one)."""
        pick_prompt(self)

    async def use_prompt(self, name: str) -> None:
        """Use the library prompt of this name (the palette's "Prompt: NAME")."""
        await use_prompt(self, name)

    def _branch_shown(self) -> None:
        """Another branch is shown: the inspector forgets its answer, and the context budget
        counts what the next request sends now."""
        self.navigation.forget()
        self.count_context()

    def refresh_subtitle(self) -> None:
        """Say in the header where answers come from (after a model or profile change too)."""
        self.sub_title = self.fixed_subtitle or subtitle(self.session)
        self.count_context()

    def action_toggle_inspector(self) -> None:
        """Show or hide the raw-chunk inspector (on a reopened conversation: its last answer).

        Shown, it takes the keys (its list moves with the arrows); hidden, the prompt does.
        """
        inspector = self.inspector
        inspector.api_key_env = self.session.provider.api_key_env or ""
        self.navigation.toggle()
        if inspector.display:
            self.call_after_refresh(inspector.chunk_list.focus)
        else:
            self._inspector_zoomed(Inspector.Zoomed(False))
            self.prompt.focus()

    @on(Inspector.Left)
    def _inspector_left(self) -> None:
        self.prompt.focus()

    @on(Inspector.Zoomed)
    def _inspector_zoomed(self, event: Inspector.Zoomed) -> None:
        self.inspector.zoomed = event.zoomed
        self.messages.display = not event.zoomed
        self.inspector.set_class(event.zoomed, "-zoomed")

    def action_inspect_answer(self, step: int) -> None:
        """Show the raw chunks of the answer before (-1) or after (1) the one shown."""
        self.navigation.step(step)

    @on(events.DescendantFocus)
    def _keep_typing_in_the_prompt(self, event: events.DescendantFocus) -> None:
        # A click on a fold (a result, reasoning) would focus it and swallow what is typed
        # next: the folds open by mouse, and the keys stay with the prompt.
        if self.messages in event.widget.ancestors:
            self.prompt.focus()

    @on(AssistantMessage.Clicked)
    def _answer_clicked(self, event: AssistantMessage.Clicked) -> None:
        entry = self.messages.entry_of(event.answer)
        if self.inspector.display and entry is not None:
            self.navigation.inspect(entry)

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
