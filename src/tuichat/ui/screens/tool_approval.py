"""Asking the user whether the tool calls the model made may run.

One modal covers all the calls of a model turn (parallel calls): each call shows its tool, where
the tool comes from and its arguments, and the user approves the checked calls once (`y`),
approves them and always allows their tools from now on (`a`), or denies them all (`n`, Esc).
Everything the model sent is shown literally: no markup is interpreted and terminal escape
sequences are stripped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from tuichat.core.text import strip_control

INVALID_JSON_NOTE = "(not valid JSON)"
PANEL_CHROME = 9
"""Rows of the panel around the calls: border, title, hint (maybe wrapped) and buttons."""


@dataclass(frozen=True)
class PendingCall:
    """A tool call waiting for the user's approval.

    Attributes:
        call_id: The model's id for the call.
        name: The tool the model called.
        source: Where the tool comes from (`"builtin"`, `"mcp:files"`, `"file:/x/y.py"`, ...).
        arguments_text: The arguments as the model sent them (JSON text, maybe invalid).
    """

    call_id: str
    name: str
    source: str
    arguments_text: str


@dataclass(frozen=True)
class ApprovalResult:
    """The user's decision on the calls of one `ApprovalScreen`.

    Attributes:
        approved: One flag per call, in the order the calls were given: whether it may run.
        always: Tools the user allows from now on without asking (the approved calls' tools).
    """

    approved: tuple[bool, ...]
    always: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def deny_all(cls, n: int) -> ApprovalResult:
        """Deny every one of `n` calls.

        Args:
            n: How many calls there are.

        Returns:
            A result approving none of them and allowing no tool from now on.
        """
        return cls(approved=(False,) * n, always=frozenset())


def format_arguments(arguments_text: str) -> tuple[str, bool]:
    """The arguments as the user should read them.

    Args:
        arguments_text: The JSON text the model sent.

    Returns:
        The text, pretty-printed when it is valid JSON, else as sent; control characters and
        escape sequences are stripped either way. And whether it was valid JSON.
    """
    try:
        value = json.loads(arguments_text)
    except ValueError:
        return strip_control(arguments_text), False
    return strip_control(json.dumps(value, indent=2, ensure_ascii=False)), True


class CallView(Vertical):
    """One pending call: a checkbox (or a heading, for a single call) and its arguments."""

    def __init__(self, call: PendingCall, index: int, *, selectable: bool) -> None:
        """Show a call.

        Args:
            call: The call.
            index: Its position among the calls of the screen.
            selectable: Show a checkbox to leave the call out (several calls).
        """
        super().__init__(classes="approval-call")
        self.call = call
        self.index = index
        self.selectable = selectable

    def compose(self) -> ComposeResult:
        heading = Content.assemble(
            (strip_control(self.call.name), "bold"),
            ("  from ", "$text-muted"),
            strip_control(self.call.source),
        )
        if self.selectable:
            yield Checkbox(heading, value=True, id=f"approve-call-{self.index}")
        else:
            yield Static(heading, classes="approval-call-heading")
        text, valid = format_arguments(self.call.arguments_text)
        if not valid:
            yield Static(Content(INVALID_JSON_NOTE), classes="approval-invalid")
        yield Static(Content(text or "(no arguments)"), classes="approval-args")


class ApprovalScreen(ModalScreen[ApprovalResult]):
    """Asks whether the model's tool calls may run: y approves, a always allows, n/Esc denies."""

    CSS_PATH = "tool_approval.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "approve", "Approve", id="approval_approve"),
        Binding("a", "always", "Always allow", id="approval_always"),
        Binding("n,escape", "deny", "Deny", id="approval_deny"),
    ]

    def __init__(self, calls: list[PendingCall]) -> None:
        """Ask about some calls.

        Args:
            calls: The calls of one model turn, in order; the result has a flag for each.
        """
        super().__init__()
        self.calls = list(calls)

    @property
    def title_text(self) -> str:
        """The question the screen asks."""
        count = len(self.calls)
        return "Allow tool call?" if count == 1 else f"Allow {count} tool calls?"

    def compose(self) -> ComposeResult:
        selectable = len(self.calls) > 1
        with Vertical(id="approval-panel"):
            yield Static(Content(self.title_text), id="approval-title")
            with VerticalScroll(id="approval-calls"):
                for index, call in enumerate(self.calls):
                    yield CallView(call, index, selectable=selectable)
            hint = "y approve · a always allow these tools · n/Esc deny"
            if selectable:
                hint = "Space unchecks · " + hint
            yield Static(Content(hint), id="approval-hint")
            with Horizontal(id="approval-buttons"):
                yield Button("Approve (y)", variant="primary", id="approve")
                yield Button("Always (a)", id="always")
                yield Button("Deny (n)", variant="error", id="deny")

    def on_mount(self) -> None:
        # Not the Approve button: a key pressed in haste (Enter, meant for the prompt) must not
        # run anything. The list takes focus so arrows scroll long arguments.
        boxes = self.query(Checkbox)
        if boxes:
            boxes.first().focus()
        else:
            self.query_one("#approval-calls").focus()

    def on_resize(self, event: events.Resize) -> None:
        # A `max-height` in `vh` in the .tcss is measured against the wrong viewport while the
        # panel sizes itself (`height: auto`), which then grows taller than its content; a cap in
        # cells, set here, is honoured.
        calls = self.query_one("#approval-calls", VerticalScroll)
        calls.styles.max_height = max(3, event.size.height - PANEL_CHROME)

    def checked(self) -> tuple[bool, ...]:
        """Whether each call is checked (a single call always is)."""
        if len(self.calls) <= 1:
            return (True,) * len(self.calls)
        return tuple(
            self.query_one(f"#approve-call-{index}", Checkbox).value
            for index in range(len(self.calls))
        )

    def action_approve(self) -> None:
        """Run the checked calls, this once."""
        self.dismiss(ApprovalResult(approved=self.checked()))

    def action_always(self) -> None:
        """Run the checked calls and allow their tools from now on."""
        approved = self.checked()
        always = frozenset(
            call.name for call, allowed in zip(self.calls, approved, strict=True) if allowed
        )
        self.dismiss(ApprovalResult(approved=approved, always=always))

    def action_deny(self) -> None:
        """Run none of the calls."""
        self.dismiss(ApprovalResult.deny_all(len(self.calls)))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "approve":
            self.action_approve()
        elif event.button.id == "always":
            self.action_always()
        else:
            self.action_deny()
