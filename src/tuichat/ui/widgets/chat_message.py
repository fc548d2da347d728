"""The widgets of the conversation: prompts, answers, tool calls, errors and notices."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from tuichat.core.events import (
    ReasoningDelta,
    TextDelta,
    ToolArgsDelta,
    ToolCallReady,
    ToolCallStarted,
)
from tuichat.core.text import counted, strip_control
from tuichat.session.events import (
    Answer,
    AnswerEnded,
    ToolResult,
    ToolRunning,
    TurnEvent,
    answer_events,
    content_text,
)
from tuichat.tools.executor import ERROR_PREFIX
from tuichat.ui.answer_progress import AnswerProgress
from tuichat.ui.widgets.layout import KeepsLinesWhenTaller, settled_virtual_size
from tuichat.ui.widgets.markdown_view import StreamingMarkdown
from tuichat.ui.widgets.version_mark import VersionPlace, left_out_mark, show_mark, version_mark

if TYPE_CHECKING:
    from rich.syntax import Syntax


def literal(text: str) -> Content:
    """Model or tool text as content that is never interpreted as markup."""
    return Content(strip_control(text))


def pretty_json(text: str) -> str:
    """Indent JSON text when it parses; otherwise return it unchanged."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return text


def json_view(text: str) -> Syntax | Content:
    """Tool arguments or results: highlighted, indented JSON when they parse, else literal."""
    pretty = pretty_json(text)
    if pretty is text:
        return literal(text)
    from rich.syntax import Syntax  # Pygments: imported when the first tool call is shown

    return Syntax(
        strip_control(pretty), "json", word_wrap=True, background_color="default", theme="ansi_dark"
    )


class UserMessage(Static):
    """What the user sent (and, for an edited prompt, its place among its versions)."""

    def __init__(self, text: str) -> None:
        super().__init__(literal(text), classes="message")
        self.text = text
        self.versions: VersionPlace | None = None
        self.left_out = False

    def show_versions(self, place: VersionPlace | None) -> None:
        """Show the prompt's place among its versions under it (None: it has no others)."""
        self.versions = place
        self._show()

    def show_left_out(self, left_out: bool) -> None:
        """Dim the prompt and say it is left out of what is sent (or not any more)."""
        self.left_out = left_out
        self.set_class(left_out, "-left-out")
        self._show()

    def _show(self) -> None:
        parts = [left_out_mark()] if self.left_out else []
        parts.append(literal(self.text))
        if self.versions is not None:
            parts.append(version_mark(self.versions))
        self.update(Content("\n").join(parts))


class ErrorMessage(Static):
    """An error in the conversation: what happened and what to do."""

    def __init__(self, text: str) -> None:
        super().__init__(literal(text), classes="message")


class NoticeMessage(Static):
    """A notice from tuichat itself (the demo model, the tool-round limit, ...)."""

    def __init__(self, text: str) -> None:
        super().__init__(literal(text), classes="message")


RESULT_LINES_SHOWN = 4  # a tool result with more lines starts collapsed


# The title of a call in each state: an icon and what is happening.
_STATE_TITLES = {
    "streaming": ("…", "arguments arriving"),
    "ready": ("•", "ready"),
    "waiting": ("?", "waiting for your approval"),
    "running": ("⟳", "running"),
    "done": ("✓", "done"),
    "failed": ("✗", "failed"),
    "timed_out": ("⏱", "timed out"),
    "denied": ("⊘", "denied by you"),
    "not_allowed": ("⊘", "not allowed (policy never)"),
    "cancelled": ("✗", "cancelled"),
    "not_run": ("·", "not run (a replay shows the calls it recorded)"),
}
ENDED_STATES = frozenset(
    {"done", "failed", "timed_out", "denied", "not_allowed", "cancelled", "not_run"}
)
ARGUMENT_LINES_SHOWN = 12  # arguments with more lines fold into a collapsible once complete
TITLE_PREVIEW = 400  # characters of a result kept for its one-line title (wider than any screen)
ELAPSED_TICK = 0.5  # seconds between updates of a running call's elapsed time


class ToolCallView(Vertical):
    """One tool call: its name at once, arguments live, approval, running, then the result."""

    DEFAULT_CSS = """
    ToolCallView { height: auto; }
    ToolCallView > .tool-title { height: auto; }
    ToolCallView > .tool-arguments { height: auto; color: $text-muted; }
    ToolCallView Collapsible { height: auto; }
    ToolCallView CollapsibleTitle { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, call_id: str, name: str) -> None:
        super().__init__(classes="tool-call")
        self.call_id = call_id
        self.tool_name = name
        self.state = "streaming"
        self._arguments: list[str] = []
        self._started: float | None = None
        self.result: str | None = None
        # Made here, not in compose: arguments may arrive before the view is mounted.
        self.title_view = Static(self._title(), classes="tool-title")
        self.arguments_view: Static | Collapsible = Static("", classes="tool-arguments")
        self.result_view: Collapsible | None = None
        self.output_view: Collapsible | None = None  # what the tool printed
        self._ticking: Timer | None = None

    def compose(self) -> ComposeResult:
        yield self.title_view
        yield self.arguments_view
        if self.result_view is not None:
            yield self.result_view
        if self.output_view is not None:
            yield self.output_view

    def on_mount(self) -> None:
        if self.state == "running" and self._ticking is None:
            self._ticking = self.set_interval(ELAPSED_TICK, self._tick)

    def _title(self, detail: str = "") -> Content:
        icon, words = _STATE_TITLES.get(self.state, ("•", self.state))
        text = f"{icon} {self.tool_name}  {words}"
        return Content(strip_control(text + (f"  {detail}" if detail else "")))

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state = state
        self.set_class(state == "waiting", "-waiting")
        self.title_view.update(self._title(detail))

    @property
    def arguments_text(self) -> str:
        """The argument text received so far."""
        return "".join(self._arguments)

    def append_arguments(self, text: str) -> None:
        """Show another fragment of the arguments as it streams."""
        self._arguments.append(text)
        if isinstance(self.arguments_view, Static):
            self.arguments_view.update(literal(self.arguments_text))

    def set_ready(self, name: str, arguments_text: str, error: str | None) -> None:
        """The call is complete: show its arguments pretty-printed (or why they are bad)."""
        self.tool_name = name or self.tool_name
        self._arguments = [arguments_text]
        if error:
            shown: Syntax | Content = literal(f"{arguments_text}\n({error})")
        else:
            shown = json_view(arguments_text or "{}")
        lines = pretty_json(arguments_text).count("\n") + 1
        if lines > ARGUMENT_LINES_SHOWN and isinstance(self.arguments_view, Static):
            # Long arguments fold away, like long results: the title says what they are.
            folded = Collapsible(
                Static(shown, classes="tool-arguments"),
                title=f"arguments ({counted(lines, 'line')})",
                collapsed=True,
            )
            old, self.arguments_view = self.arguments_view, folded
            if old.is_attached:
                self.mount(folded, after=old)
                old.remove()
        elif isinstance(self.arguments_view, Static):
            self.arguments_view.update(shown)
        self._set_state("ready")

    def set_waiting(self) -> None:
        """The call waits for the user to approve it."""
        self._set_state("waiting")

    def set_approved(self) -> None:
        """The user approved the call: it runs next."""
        self._set_state("ready", "approved")

    def set_running(self) -> None:
        """The tool loop started the call: its elapsed time counts up until the result."""
        self._started = time.monotonic()
        self._set_state("running")
        if self.is_attached and self._ticking is None:
            self._ticking = self.set_interval(ELAPSED_TICK, self._tick)

    def _tick(self) -> None:
        if self.state == "running" and self._started is not None:
            self.title_view.update(self._title(f"{time.monotonic() - self._started:.1f} s"))
        elif self._ticking is not None:
            self._ticking.stop()
            self._ticking = None

    def set_result(self, content: str, status: str, duration: float, output: str = "") -> None:
        """Show how the call ended, its result (whole: the model may have got less) and what
        it printed (folded)."""
        detail = f"{duration:.1f} s" if status in ("done", "failed", "timed_out") else ""
        self._set_state(status, detail)
        self.result = content
        # Short results show at once; longer ones fold to a one-line preview.
        collapsed = pretty_json(content).count("\n") >= RESULT_LINES_SHOWN
        preview = " ".join(strip_control(content).split())
        if status in ("failed", "timed_out"):
            preview = preview.removeprefix(ERROR_PREFIX)  # the title already says "error"
        # As much as the width shows: the title is cut at the edge with an ellipsis (CSS).
        preview = preview[:TITLE_PREVIEW]
        label = (
            "result"
            if status == "done"
            else "error"
            if status in ("failed", "timed_out")
            else "not run"
        )
        if self.result_view is not None:  # a second ending (e.g. cancelled after a result)
            self.result_view.remove()
        self.result_view = Collapsible(
            Static(json_view(content), classes="tool-result"),
            # A Collapsible's title is markup: the tool's words are escaped to show as sent.
            title=escape(f"{label}: {preview}"),
            collapsed=collapsed,
        )
        _mount_if_shown(self, self.result_view)
        if output:
            lines = output.rstrip("\n").count("\n") + 1
            self.output_view = Collapsible(
                Static(literal(output.rstrip("\n")), classes="tool-output"),
                title=f"printed ({counted(lines, 'line')})",
                collapsed=True,
            )
            _mount_if_shown(self, self.output_view)


# How a continued answer's status line names each cut it was continued after.
_CUT_WORDS = {
    "stalled": "a stall",
    "dropped": "a drop",
    "cut short": "a cut",
    "too long": "the length limit",
    "cancelled": "a cancel",
}
PROGRESS_TICK = 0.25  # seconds between updates of a live answer's status and reasoning line
REASONING_LINE = 400  # characters of the reasoning's last line kept for its live title


class AssistantMessage(Vertical, KeepsLinesWhenTaller):
    """One answer of the model: reasoning (collapsed), Markdown text, tool calls, a status.

    It is filled by the events of its round, as they arrive or, for a saved answer, as
    `answer_events` replays them: the same code shows a live answer and a reopened one.
    While a live answer is awaited its status line says what is happening (`follow`), and
    its folded reasoning shows the line being written in its title.
    """

    DEFAULT_CSS = """
    AssistantMessage { height: auto; }
    AssistantMessage > .status { height: auto; color: $text-muted; }
    AssistantMessage > .versions { height: auto; }
    AssistantMessage > .left-out-mark { height: auto; }
    AssistantMessage Collapsible { height: auto; }
    AssistantMessage > .reasoning CollapsibleTitle {
        width: 1fr; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    virtual_size = settled_virtual_size()  # one layout per change of height (see layout.py)

    class Clicked(Message):
        """The user clicked the answer (the chat screen may inspect its raw chunks)."""

        def __init__(self, answer: AssistantMessage) -> None:
            super().__init__()
            self.answer = answer

    def __init__(self) -> None:
        super().__init__(classes="message")
        self.body = StreamingMarkdown(classes="answer-text")
        self.reasoning: StreamingMarkdown | None = None
        self.reasoning_view: Collapsible | None = None
        self.tool_calls: dict[int, ToolCallView] = {}
        self.status = Static("", classes="status")
        self.versions: VersionPlace | None = None
        self.versions_view = Static("", classes="versions")
        self.versions_view.display = False
        self.left_out_view = Static(left_out_mark(), classes="left-out-mark")
        self.left_out_view.display = False
        self._status_parts: list[str] = []
        self.ended = False
        self._progress: AnswerProgress | None = None  # while a live answer is awaited
        self._progress_shown = ""
        self._ticking: Timer | None = None
        self._reasoning_open = False  # reasoning is arriving: its title shows its last line
        self._reasoning_tail = ""  # the reasoning's line being written
        self._reasoning_line = ""  # its last complete line with text on it
        self._reasoning_title = ""

    def compose(self) -> ComposeResult:
        yield self.left_out_view
        if self.reasoning_view is not None:
            yield self.reasoning_view
        yield self.body
        yield from self.tool_calls.values()
        yield self.status
        yield self.versions_view

    def show_versions(self, place: VersionPlace | None) -> None:
        """Show the answer's place among its versions under it (None: it has no others)."""
        self.versions = place
        show_mark(self.versions_view, place)

    def show_left_out(self, left_out: bool) -> None:
        """Dim the answer and say it is left out of what is sent (or not any more)."""
        self.set_class(left_out, "-left-out")
        self.left_out_view.display = left_out

    def on_mount(self) -> None:
        if self._progress is not None and self._ticking is None and not self.ended:
            self._ticking = self.set_interval(PROGRESS_TICK, self._tick)

    def follow(self, progress: AnswerProgress) -> None:
        """Say on the status line what the awaited answer is doing, until it ends."""
        self._progress = progress
        self._show_progress()
        if self.is_attached and self._ticking is None:
            self._ticking = self.set_interval(PROGRESS_TICK, self._tick)

    def _tick(self) -> None:
        self._show_progress()
        self._show_reasoning_line()

    def _show_progress(self) -> None:
        progress = self._progress
        if progress is None or self.ended:
            return
        line = progress.line(time.monotonic())
        if line != self._progress_shown:
            self._progress_shown = line
            self.status.update(Content(line))

    def _stop_progress(self) -> None:
        self._progress = None
        if self._ticking is not None:
            self._ticking.stop()
            self._ticking = None

    def on_click(self) -> None:
        self.post_message(self.Clicked(self))

    @property
    def is_empty(self) -> bool:
        """Nothing arrived: no text, no reasoning, no tool call."""
        return not self.body.text and self.reasoning is None and not self.tool_calls

    def apply(self, event: TurnEvent) -> None:
        """Show what one event of this answer's round adds."""
        progress = self._progress
        if progress is not None and progress.observe(event, time.monotonic()):
            self._show_progress()
        if isinstance(event, TextDelta):
            if self._reasoning_open:
                self._close_reasoning()
            self.body.append(event.text)
        elif isinstance(event, ReasoningDelta):
            self.append_reasoning(event.text)
        elif isinstance(event, ToolCallStarted):
            self.add_tool_call(event.index, event.id, event.name)
        elif isinstance(event, ToolArgsDelta):
            view = self.tool_calls.get(event.index)
            if view is not None:
                view.append_arguments(event.delta)
        elif isinstance(event, ToolCallReady):
            self._call_ready(event)
        elif isinstance(event, ToolRunning):
            view = self.tool_calls.get(event.index)
            if view is not None:
                view.set_running()
        elif isinstance(event, ToolResult):
            view = self.tool_calls.get(event.index)
            if view is not None:
                view.set_result(event.content, event.status, event.duration, event.output)
        elif isinstance(event, AnswerEnded) and event.answer.message is not None:
            self.show_end(event.answer.message)

    def _call_ready(self, event: ToolCallReady) -> None:
        view = self.tool_calls.get(event.index)
        if view is None:  # a call whose name never arrived: show it now
            view = self.add_tool_call(event.index, event.id, event.name or "(no name)")
            view.call_after_refresh(view.set_ready, event.name, event.arguments_text, event.error)
        else:
            view.set_ready(event.name, event.arguments_text, event.error)
        if event.id:
            view.call_id = event.id

    def append_reasoning(self, text: str) -> None:
        """More reasoning arrived: shown collapsed above the answer; while a live answer's
        reasoning arrives, the fold's title shows its latest line."""
        if self.reasoning is None:
            self.reasoning = StreamingMarkdown(classes="reasoning-text")
            self.reasoning_view = Collapsible(
                self.reasoning, title="reasoning", collapsed=True, classes="reasoning"
            )
            _mount_if_shown(self, self.reasoning_view, before=self.body)
        self.reasoning.append(text)
        if self._progress is not None:
            self._reasoning_open = True
            self._follow_reasoning(text)
            if not self._reasoning_title:
                self._show_reasoning_line()  # at once; then at each tick

    def _follow_reasoning(self, text: str) -> None:
        """Keep the reasoning's last line with text on it (the one being written first)."""
        written = self._reasoning_tail + text
        if "\n" in written:
            *lines, written = written.split("\n")
            done = next((line.strip() for line in reversed(lines) if line.strip()), "")
            if done:
                self._reasoning_line = done[-REASONING_LINE:]
        self._reasoning_tail = written[-REASONING_LINE:]

    def _show_reasoning_line(self) -> None:
        view = self.reasoning_view
        if view is None or not self._reasoning_open:
            return
        line = " ".join((self._reasoning_tail.strip() or self._reasoning_line).split())
        room = max(20, (self.size.width or 80) - 16)
        if len(line) > room:
            line = "…" + line[-room + 1 :]  # the end of the line is what is being written
        title = f"reasoning: {line}" if line else "reasoning…"
        if title != self._reasoning_title:
            self._reasoning_title = title
            view.title = escape(strip_control(title))  # a title is markup: shown as written

    def _close_reasoning(self) -> None:
        """The reasoning is over (the answer's text began, or the answer ended)."""
        self._reasoning_open = False
        if self.reasoning_view is not None and self._reasoning_title:
            self.reasoning_view.title = "reasoning"
        self._reasoning_title = ""

    def show_so_far(self, message: dict[str, Any]) -> None:
        """Show a cut answer's reasoning and text, to be continued live."""
        if message.get("reasoning"):
            self.append_reasoning(strip_control(str(message["reasoning"])))
        text = strip_control(content_text(message.get("content")))
        if text:
            self.body.append(text)

    def add_tool_call(self, index: int, call_id: str, name: str) -> ToolCallView:
        """A tool call's name arrived: show it at once."""
        view = ToolCallView(call_id, name)
        self.tool_calls[index] = view
        _mount_if_shown(self, view, before=self.status)
        return view

    def call_with_id(self, call_id: str) -> ToolCallView | None:
        """The view of the call with this id, if shown."""
        if not call_id:
            return None
        return next((v for v in self.tool_calls.values() if v.call_id == call_id), None)

    def show_end(self, message: dict[str, Any]) -> None:
        """Show how the answer ended, from its final message: how it finished, how long it
        took and its tokens; or that it was cancelled or failed, keeping its text."""
        error = message.get("error")
        kept = "the text above is what arrived"
        if message.get("cancelled"):
            self.mark(f"cancelled: {kept}" if not self.is_empty else "cancelled before any text")
        elif isinstance(error, dict):
            # With nothing above it (a saved answer that failed at once), the error says why.
            why = kept if not self.is_empty else str(error.get("message") or "no answer")
            self.mark(f"failed ({error.get('kind', 'error')}): {why}")
        else:
            timing = message.get("timing") or {}
            self._finish(message.get("finish_reason"), message.get("usage"), timing.get("duration"))
        cuts = message.get("continued")
        if isinstance(cuts, list) and cuts:
            whys = [
                _CUT_WORDS.get(str(c.get("after")), "a cut") for c in cuts if isinstance(c, dict)
            ]
            self.add_status("continued after " + ", ".join(whys or ["a cut"]))

    def _finish(
        self, finish_reason: str | None, usage: dict[str, Any] | None, duration: float | None
    ) -> None:
        self._end_text()
        parts = [finish_reason or "no finish reason", f"{float(duration or 0.0):.1f} s"]
        if usage:
            prompt = usage.get("prompt_tokens")
            completion = usage.get("completion_tokens")
            if prompt is not None or completion is not None:
                parts.append(f"{prompt or 0:,} → {completion or 0:,} tokens")
        self._status_parts = parts
        self.status.update(Content(" · ".join(parts)))

    def add_status(self, text: str) -> None:
        """Add to the status line (the conversation's totals after a turn)."""
        self._status_parts.append(text)
        self.status.update(Content(" · ".join(self._status_parts)))

    def mark(self, text: str) -> None:
        """Mark the answer as cancelled or failed, keeping its text."""
        self._end_text()
        self.add_class("-interrupted")
        self._status_parts = [text]  # the turn's totals go after it, not in its place
        self.status.update(Content(text))

    def end_calls(self, tool_messages: list[dict[str, Any]]) -> None:
        """Show how the calls ended that the live events did not end (a cancelled turn)."""
        for message in tool_messages:
            view = self.call_with_id(str(message.get("tool_call_id") or ""))
            if view is not None and view.state not in ENDED_STATES:
                status = message.get("status") or "cancelled"
                view.set_result(str(message.get("content") or ""), status, 0.0)

    def _end_text(self) -> None:
        self._stop_progress()
        if self._reasoning_open:
            self._close_reasoning()
        self.ended = True
        self.body.finish()
        if self.reasoning is not None:
            self.reasoning.finish()


def _mount_if_shown(parent: Widget, child: Widget, before: Widget | None = None) -> None:
    """Mount a child now if the parent is on screen; otherwise its compose() yields it."""
    if parent.is_attached:
        parent.mount(child, before=before)


def answer_widget(answer: Answer) -> AssistantMessage:
    """The widget of a saved (or ended) answer, filled by replaying its events."""
    widget = AssistantMessage()
    for event in answer_events(answer):
        widget.apply(event)
    return widget
