"""The compare view: one prompt's answers from several models, side by side, arriving at once.

The prompt is above the columns, with its files' chips. Each column is a session of its own
(`tuichat.session.compare`), run by a worker of its own, and shown as the conversation shows
a turn: a `TurnView` over the column's `MessageList`, so its answer, tool calls, notices and
errors are the same widgets, rendered as fast. Above each answer its profile and model, and a
line of stats (time to first token, tokens per second, tokens, cost) that follows the stream.
A column whose server refused the prompt's images says so under its answer.

Enter keeps the highlighted column's answer (1-4 keep a column by its number): it becomes the
conversation's answer to the prompt, and the others are saved beside it in the history, as
regenerated answers are. Esc stops the answers still arriving; once none is, Esc goes back
without keeping any (all of them are saved as a branch, and the conversation goes on as if
the prompt had not been sent). Quitting, or closing the tab, does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import PurePath
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Header
from textual.worker import Worker, WorkerState

from tuichat.core.provider import Provider
from tuichat.core.text import counted
from tuichat.session.compare import CompareColumn, Comparison
from tuichat.session.events import Answer, Message
from tuichat.session.session import UsageTotals
from tuichat.ui.compositor import PaintedRowsScreen
from tuichat.ui.screens.tool_approval import ApprovalResult, ApprovalScreen, PendingCall
from tuichat.ui.turn_view import TurnView
from tuichat.ui.widgets.attachment_chip import user_widget
from tuichat.ui.widgets.chat_message import ErrorMessage, NoticeMessage
from tuichat.ui.widgets.compare_column import CompareColumnView
from tuichat.ui.widgets.key_footer import KeyFooter
from tuichat.ui.widgets.tab_bar import TabState

STATS_INTERVAL = 0.25  # seconds between updates of the stats of the answers arriving


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """What the compare view leaves to the conversation: the prompt and the answer kept.

    Attributes:
        prompt: the user message, as sent (its files too).
        answers: the kept column's answers (one per round of tool calls), saved already.
        label: who wrote them (the profile or endpoint, and the model).
    """

    prompt: Message
    answers: list[Answer]
    label: str


class CompareScreen(PaintedRowsScreen[KeptAnswer | None]):
    """One prompt's answers side by side, each column a session of its own.

    Args:
        comparison: the comparison to run (opened, not started); the screen closes it.
        tell_tab: says how the tab is doing (its label shows it while another tab is shown).
    """

    # The answers look as in the conversation: its styles (chat.tcss), then the columns'.
    CSS_PATH: ClassVar[list[str | PurePath]] = ["chat.tcss", "compare.tcss"]

    # Each binding's id is its action's name: `[keys]` in the config file remaps by id.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "keep", "Keep this answer", priority=True, id="compare_keep"),
        *(
            Binding(str(n), f"keep({n - 1})", f"Keep answer {n}", show=False, priority=True)
            for n in range(1, 5)
        ),
        Binding("right,tab", "move(1)", "Next column", show=False, priority=True),
        Binding("left,shift+tab", "move(-1)", "Previous column", show=False, priority=True),
        Binding("escape", "stop", "Stop the answers", priority=True, id="compare_stop"),
        Binding("escape", "leave", "Back, keep none", priority=True, id="compare_leave"),
        Binding("pageup", "page(-1)", "Page up", show=False, priority=True),
        Binding("pagedown", "page(1)", "Page down", show=False, priority=True),
        Binding("f2", "toggle_inspector", "Inspector", id="toggle_inspector"),
        Binding("f1", "app.toggle_help", "Help", id="toggle_help"),
        # The app's tabs, as on the chat screen: the comparison goes on in a hidden tab.
        Binding("ctrl+t", "app.new_tab", "New tab", show=False, priority=True, id="new_tab"),
        Binding("alt+w", "app.close_tab", "Close tab", show=False, priority=True, id="close_tab"),
        Binding(
            "ctrl+pagedown,alt+right",
            "app.next_tab",
            "Next tab",
            show=False,
            priority=True,
            id="next_tab",
        ),
        Binding(
            "ctrl+pageup,alt+left",
            "app.previous_tab",
            "Previous tab",
            show=False,
            priority=True,
            id="previous_tab",
        ),
    ]

    def __init__(
        self,
        comparison: Comparison,
        *,
        tell_tab: Callable[[TabState], None] = lambda state: None,
    ) -> None:
        super().__init__()
        self.comparison = comparison
        self._tell_tab = tell_tab
        self.views = [
            CompareColumnView(number, column.label)
            for number, column in enumerate(comparison.columns, start=1)
        ]
        self._workers: dict[Worker[None], int] = {}
        self._ended: set[int] = set()  # the columns whose worker has ended
        self._shown = asyncio.Event()  # set while the screen is the one shown
        self._asking = asyncio.Lock()  # one approval question at a time
        self._question: tuple[int, ApprovalScreen] | None = None
        self._leaving = False  # kept (or left): the columns' widgets are not updated any more
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="compare-prompt"):
            yield user_widget(self.comparison.message)
        with Horizontal(id="compare-columns"):
            yield from self.views
        yield KeyFooter()

    def on_mount(self) -> None:
        count = counted(len(self.views), "model")
        self.title = "Compare"
        self.sub_title = f"{count} answering · Esc stops them"
        for index, view in enumerate(self.views):
            column = self.comparison.columns[index]
            view.turn = TurnView(
                view.answers,
                view.inspector,
                UsageTotals,
                self._warn,
                partial(_asked, column),
                partial(_provider_of, column),
            )
            column.session.approve = partial(self._approve, index)
            view.answers.anchor()  # follow the answer as it arrives
            worker = self.run_worker(
                self._answer(index), group="compare", name=f"column-{index}", exit_on_error=False
            )
            self._workers[worker] = index
        self.views[0].focus()
        self._ticker = self.set_interval(STATS_INTERVAL, self._show_stats)
        self._tell_tab("streaming")

    def on_screen_resume(self) -> None:
        self._shown.set()
        if not self.answering:
            self._tell_tab("idle")  # what it did unseen is seen

    def on_screen_suspend(self) -> None:
        self._shown.clear()

    async def _answer(self, index: int) -> None:
        view = self.views[index]
        turn = view.turn
        assert turn is not None
        view.set_state("streaming")
        async for batch in self.comparison.answer(index):
            turn.show(batch)

    def _warn(self, message: str, title: str) -> None:
        self.notify(message, title=title, severity="warning")

    def _show_stats(self) -> None:
        for view, column in zip(self.views, self.comparison.columns, strict=True):
            if column.running:
                view.show_stats(column.stats())

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        index = self._workers.get(event.worker)
        state = event.state
        ended = state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR)
        if index is None or not ended:
            return
        self._ended.add(index)
        view, column = self.views[index], self.comparison.columns[index]
        turn = view.turn
        if turn is None or self._leaving:
            return
        if self._question is not None and self._question[0] == index:
            self._question[1].dismiss(None)  # no one waits for the answer any more
        if state == WorkerState.CANCELLED:
            if not turn.stopped("cancelled: the text above is what arrived"):
                turn.add_note(NoticeMessage, "Cancelled before any answer.")
            view.set_state("cancelled")
        elif state == WorkerState.ERROR:
            turn.stopped("failed: tuichat hit an internal error")
            turn.add_note(ErrorMessage, f"Internal error: {event.worker.error!r}")
            view.set_state("failed")
        else:
            refused = column.refused_images()
            if refused is not None:  # this column's server only: the others took them
                turn.add_note(ErrorMessage, refused)
            view.set_state("failed" if turn.failed else "done")
        turn.settle()
        view.show_stats(column.stats())
        self.refresh_bindings()
        if not self.answering:
            self._all_in()

    def _all_in(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        self.sub_title = "all in · Enter keeps the highlighted one · Esc none"
        self._tell_tab("idle" if self._shown.is_set() else "unread")

    @property
    def answering(self) -> bool:
        """Whether an answer is still arriving (or about to)."""
        return len(self._ended) < len(self.views)

    def _answering(self, index: int) -> bool:
        return index not in self._ended

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.answering
        if action == "leave":
            return not self.answering
        if action == "keep" and parameters:
            index = parameters[0]
            return isinstance(index, int) and index < len(self.views)
        return True

    @property
    def focused_index(self) -> int:
        """The highlighted column (the one Enter keeps)."""
        for index, view in enumerate(self.views):
            if view.has_focus or view.has_focus_within:
                return index
        return 0

    def action_move(self, step: int) -> None:
        """Highlight the next (1) or previous (-1) column."""
        self.views[(self.focused_index + step) % len(self.views)].focus()

    def action_page(self, step: int) -> None:
        """Scroll the highlighted column's answer by a page."""
        answers = self.views[self.focused_index].answers
        if step < 0:
            answers.scroll_page_up(animate=False)
        else:
            answers.scroll_page_down(animate=False)

    def action_toggle_inspector(self) -> None:
        """Show or hide the raw chunks of the highlighted column."""
        inspector = self.views[self.focused_index].inspector
        inspector.display = not inspector.display

    def action_stop(self) -> None:
        """Stop the answers still arriving; what arrived stays, marked stopped."""
        self.workers.cancel_group(self, "compare")

    async def action_keep(self, index: int | None = None) -> None:
        """Keep a column's answer (the highlighted one's): the conversation goes on from it."""
        if self._leaving:
            return  # a key pressed twice: the first one keeps
        index = self.focused_index if index is None else index
        column = self.comparison.columns[index]
        if self._answering(index):
            self.notify(
                f"{column.label} is still answering: keep it once it is done (Esc stops the "
                "answers).",
                severity="warning",
            )
            return
        if not column.answers:
            self.notify(f"{column.label} has no answer to keep.", severity="warning")
            return
        stopped = [
            other.label for n, other in enumerate(self.comparison.columns) if self._answering(n)
        ]
        answers = await self._finish(index)
        message = f"Kept the answer of {column.label}."
        if self.comparison.main.save and self.comparison.main.history is not None:
            others = len(self.views) - 1
            saved = "The other is" if others == 1 else f"The {others} others are"
            message += f" {saved} saved beside it in the history."
        if stopped:
            message += f" Stopped: {', '.join(stopped)}."
        self.notify(message)
        self.dismiss(KeptAnswer(self.comparison.message, answers, column.label))

    async def action_leave(self) -> None:
        """Go back keeping no answer: all are saved beside the conversation, not in it."""
        if self._leaving:
            return
        await self._finish(None)
        saved = self.comparison.main.save and self.comparison.main.history is not None
        where = " (they are saved in the history, beside it)" if saved else ""
        self.notify(f"No answer kept: the conversation goes on from before this prompt{where}.")
        self.dismiss(None)

    async def _finish(self, index: int | None) -> list[Answer]:
        """Stop what is still arriving, keep column `index`'s answer (or none), close."""
        self._leaving = True
        if self._ticker is not None:
            self._ticker.stop()
        self.workers.cancel_group(self, "compare")
        await self._settled()
        answers = await self.comparison.keep(index)
        await self.comparison.aclose()
        return answers

    async def _settled(self) -> None:
        """Wait until every column's worker has ended (a stopped one keeps what arrived)."""
        for worker in self._workers:
            with contextlib.suppress(Exception):  # cancelled or failed: ended either way
                await worker.wait()

    async def on_unmount(self) -> None:
        # Quitting, or closing the tab, while comparing: nothing is lost, none is kept.
        if not self._leaving:
            await self._finish(None)

    @on(events.DescendantFocus)
    def _keep_the_column_focused(self, event: events.DescendantFocus) -> None:
        # A click on a fold in an answer would take the keys from the columns.
        for view in self.views:
            if view in event.widget.ancestors:
                view.focus()

    # -- approvals -------------------------------------------------------------------------

    async def _approve(self, index: int, calls: list[dict[str, Any]]) -> list[bool]:
        """Ask whether a column's calls may run (its session's approver), one column at a time,
        when this screen is shown."""
        async with self._asking:
            await self._shown.wait()
            view = self.views[index]
            view.focus()
            answer = view.turn.answer if view.turn is not None else None
            shown = [
                answer.call_with_id(str(call.get("id") or "")) if answer is not None else None
                for call in calls
            ]
            for call_view in shown:
                if call_view is not None:
                    call_view.set_waiting()
            question = ApprovalScreen(_pending(self.comparison.columns[index], calls))
            decision: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()

            def decided(result: ApprovalResult | None) -> None:
                result = result or ApprovalResult.deny_all(len(calls))
                for name in sorted(result.always):
                    self.comparison.main.always_run(name)  # one policy for every column
                    self.notify(f"Tool {name}: runs without asking from now on.")
                for call_view, approved in zip(shown, result.approved, strict=False):
                    if call_view is not None and approved and call_view.state == "waiting":
                        call_view.set_approved()
                if not decision.done():
                    decision.set_result(list(result.approved))

            self._question = (index, question)
            try:
                self.app.push_screen(question, decided)
                return await decision
            finally:
                self._question = None


def _provider_of(column: CompareColumn) -> Provider:
    """The provider a column's answer comes from (its stall timeout, for the status line)."""
    return column.session.provider


def _asked(column: CompareColumn) -> str:
    """Who a column waits for until its first chunk."""
    session = column.session
    return "the demo model" if session.demo else session.provider.base_url


def _pending(column: CompareColumn, calls: list[dict[str, Any]]) -> list[PendingCall]:
    """The calls to ask about, with where each tool comes from."""
    tools = column.session.tools
    pending = []
    for call in calls:
        function = call.get("function") or {}
        name = str(function.get("name") or "")
        tool = tools.get(name) if tools is not None else None
        source = f"{tool.source if tool is not None else 'unknown tool'} · asked by {column.label}"
        arguments = str(function.get("arguments") or "")
        pending.append(PendingCall(str(call.get("id") or ""), name, source, arguments))
    return pending
