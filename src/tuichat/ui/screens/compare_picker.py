"""Pick the profiles and models to compare: each prompt then goes to all of them at once."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from tuichat.core.text import strip_control
from tuichat.session.compare import compare_choices, target_label
from tuichat.session.compare_targets import (
    MAX_TARGETS,
    MIN_TARGETS,
    CompareSpecError,
    Target,
    parse_target,
)
from tuichat.session.session import ChatSession
from tuichat.ui.widgets.tick_list import TickList

HINT = "Space ticks · Enter compares · Tab: type PROFILE:MODEL · untick all to stop · Esc closes"


class ComparePicker(ModalScreen[tuple[Target, ...] | None]):
    """Tick two to four models (in the order their columns will be); or type `PROFILE:MODEL`.

    Dismissed with the ticked targets, `()` when none is ticked (comparing stops), or None
    when closed with Esc.

    Args:
        session: the conversation (its server is asked for its models).
        current: the targets compared now, ticked to start with.
    """

    DEFAULT_CSS = """
    ComparePicker { align: center middle; }
    ComparePicker > Vertical {
        width: 76; max-width: 100%; height: 26; max-height: 100%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ComparePicker #compare-about { height: auto; color: $text-muted; }
    ComparePicker SelectionList { height: 1fr; }
    ComparePicker #compare-status { height: auto; color: $text-muted; }
    ComparePicker #compare-status.-error { color: $text-error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("enter", "confirm", "Compare", priority=True),
    ]

    def __init__(self, session: ChatSession, current: tuple[Target, ...] = ()) -> None:
        super().__init__()
        self.session = session
        self.current = current
        self._labels: dict[Target, Content] = {}  # what each entry of the list says

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Compare models"), id="compare-title")
            yield Static(
                Content(
                    "Each prompt goes to every model ticked, and their answers arrive side by "
                    "side; you keep one."
                ),
                id="compare-about",
            )
            yield TickList[Target](id="compare-list")
            yield Input(placeholder="PROFILE:MODEL (e.g. ollama:llama3.2), Enter adds it")
            yield Static(Content("asking the server for its models…"), id="compare-status")

    def on_mount(self) -> None:
        ticked = self.current or ()
        choices = compare_choices(self.session)
        if not ticked:
            ticked = tuple(choice.target for choice in choices if choice.in_use)
        self._add([(choice.target, choice.label) for choice in choices], ticked)
        for target in self.current:  # typed ones, not among the choices
            self._add([(target, target_label(self.session, target))], (target,), typed=True)
        options = self.options
        options.highlighted = 0
        options.focus()
        self.load_models()

    @property
    def options(self) -> TickList[Target]:
        """The list of models, ticked or not."""
        return self.query_one("#compare-list", TickList)

    def _add(
        self, entries: list[tuple[Target, str]], ticked: tuple[Target, ...], typed: bool = False
    ) -> None:
        """Show these entries in this order: choices before what is shown already (the
        typed ones), typed ones after it; ticks and the highlight stay where they were."""
        options = self.options
        old = [options.get_option_at_index(i) for i in range(options.option_count)]
        labels = self._labels
        for target, label in entries:
            labels.setdefault(target, Content(strip_control(label)))
        new = [target for target, _ in entries]
        shown = [option.value for option in old if option.value not in new]
        order = shown + new if typed else new + shown
        selected = [*options.selected, *(t for t in ticked if t not in options.selected)]
        highlighted = options.highlighted
        at = old[highlighted].value if highlighted is not None and highlighted < len(old) else None
        options.clear_options()
        options.add_options([Selection(labels[t], t, t in selected) for t in order])
        # Ticked in the order they were: the columns' order.
        for target in selected:
            options.deselect(target)
            options.select(target)
        if at is not None:
            options.highlighted = order.index(at)

    @work(exclusive=True, exit_on_error=False)
    async def load_models(self) -> None:
        """Add the models the conversation's server lists (a server without `/models` adds
        none: the others and typing a name remain)."""
        try:
            listed = await self.session.client.list_models()
        except Exception:  # the list is a convenience: say so, and go on
            self._say("The server did not list its models: type PROFILE:MODEL below to add one.")
            return
        choices = compare_choices(self.session, listed)
        self._add([(choice.target, choice.label) for choice in choices], ())  # in their place
        self._say(HINT)

    def _say(self, text: str, error: bool = False) -> None:
        status = self.query_one("#compare-status", Static)
        status.update(Content(text))
        status.set_class(error, "-error")

    @on(SelectionList.SelectedChanged)
    def _ticked(self) -> None:
        count = len(self.options.selected)
        if count > MAX_TARGETS:
            self._say(f"{count} ticked: at most {MAX_TARGETS} can be compared at once.", True)
        else:
            self._say(f"{count} ticked · {HINT}")

    def action_confirm(self) -> None:
        """Add the typed target (when there is one), else compare the ticked ones."""
        typed = self.query_one(Input)
        if typed.has_focus and typed.value.strip():
            self._add_typed(typed)
            return
        ticked = tuple(self.options.selected)
        if not ticked:
            self.dismiss(())
        elif MIN_TARGETS <= len(ticked) <= MAX_TARGETS:
            self.dismiss(ticked)
        else:
            self._say(
                f"{len(ticked)} ticked: tick {MIN_TARGETS} to {MAX_TARGETS} models to compare "
                "(or none, to stop comparing).",
                True,
            )

    def _add_typed(self, typed: Input) -> None:
        try:
            settings = self.session.settings
            targets = [parse_target(entry, settings) for entry in typed.value.split(",")]
        except CompareSpecError as error:
            self._say(str(error), True)
            return
        labels = [(target, target_label(self.session, target)) for target in targets]
        self._add(labels, (), typed=True)
        options = self.options
        for target in targets:
            options.select(target)
        typed.clear()
        options.focus()
