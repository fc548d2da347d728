"""The prompt's border says how full the model's context window is, before sending.

`12.3k / 128k tokens (10%)`: the tokens the server counted for the last answer, plus an
estimate of what is new (the prompt being typed included), against the window of the model
in use (asked of the server's `/models` once per endpoint and model, else the table of known
models). Over the window, the first Enter warns, naming the way out (the Context screen,
which leaves messages out or summarises them), and the second sends.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from tuichat.session.context_budget import ContextBudget, find_context_window, measure, short_count
from tuichat.session.session import ChatSession
from tuichat.ui.widgets.prompt import PromptInput

Start = Callable[[Coroutine[Any, Any, None]], object]


class ContextMeter:
    """Keeps the prompt's border subtitle on the conversation's size against the window.

    Args:
        session: the conversation.
        prompt: the input whose border shows it.
        start: runs a coroutine in the background (the screen's `run_worker`).
    """

    def __init__(self, session: ChatSession, prompt: PromptInput, start: Start) -> None:
        self.session = session
        self.prompt = prompt
        self.start = start
        self.windows: dict[tuple[str, str], int | None] = {}  # (base URL, model) -> window
        self._asking: set[tuple[str, str]] = set()
        self._warned: str | None = None  # the text whose sending was warned about

    def _key(self) -> tuple[str, str]:
        provider = self.session.provider
        return provider.base_url, provider.model

    def budget(self, draft: str) -> ContextBudget:
        """What is sent and the draft against the window (None until it is known)."""
        session = self.session
        window = self.windows.get(self._key())
        return measure(session.messages, draft, window, session.context.changes)

    def label(self, draft: str) -> str:
        """E.g. `12.3k / 128k tokens (10%)` (`12.3k tokens` while the window is asked)."""
        budget = self.budget(draft)
        if self._key() in self.windows:
            return budget.label()
        return f"{'' if budget.exact else '~'}{short_count(budget.tokens)} tokens"

    def show(self) -> None:
        """Say the budget on the prompt's border (the window is asked for the first time)."""
        key = self._key()
        if key not in self.windows and key not in self._asking:
            self._asking.add(key)
            self.start(self._find_window(key))
        self.prompt.border_subtitle = self.label(self.prompt.text)
        self.prompt.set_class(self.budget(self.prompt.text).over, "-over-window")

    async def _find_window(self, key: tuple[str, str]) -> None:
        try:
            self.windows[key] = await find_context_window(
                self.session.client, key[1], self.session.settings.context_windows
            )
        finally:
            self._asking.discard(key)
        self.show()

    def warning(self, text: str) -> str | None:
        """What to say before sending this text over the window (None: send it). Asked
        again with the same text, it is sent."""
        budget = self.budget(text)
        if not budget.over or self._warned == text:
            self._warned = None
            return None
        self._warned = text
        assert budget.window is not None
        return (
            f"This conversation is {short_count(budget.tokens)} tokens, more than the "
            f"{short_count(budget.window)} of {self.session.provider.model}'s context window: "
            f"the server may refuse it or drop its start. {self._context_key()} leaves messages "
            "out or summarises them (Context); Enter sends it anyway; Ctrl+N starts a new "
            "conversation."
        )

    def _context_key(self) -> str:
        """The key of the Context screen, as the config binds it (`[keys] show_context`)."""
        keys = self.session.settings.keys.get("show_context") or "f9"
        first = keys.split(",")[0].strip()
        return "+".join(
            part.capitalize() if len(part) > 1 else part.upper() for part in first.split("+")
        )
