"""The smallest Textual app worth comparing start-up with: a Header, an Input, a Footer.

    python bench/_minimal_app.py

`bench/startup.py` launches it in tmux beside tuichat and waits for its placeholder.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Input

PLACEHOLDER = "minimal app: first frame"


class MinimalApp(App[None]):
    """A header, an input and a footer."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=PLACEHOLDER)
        yield Footer()


if __name__ == "__main__":
    MinimalApp().run()
