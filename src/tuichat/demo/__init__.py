"""The offline demo model: an OpenAI-compatible chat server on 127.0.0.1 (also the test server).

Importing this package is cheap: it holds the demo's constants and imports none of its
modules, so the command line can read them without loading (or starting) the server, which
lives in `tuichat.demo.server`.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DEMO_MODEL", "DEMO_MODELS", "DEMO_TOKENS_PER_SECOND", "DemoModel", "demo_model"]

DEMO_MODEL = "tuichat-demo"
"""The demo model's id: what the demo server answers as when a request names no other."""

DEMO_TOKENS_PER_SECOND = 60.0
"""Pacing of the interactive demo: fast enough to read along, slow enough to look real."""


class DemoModel(NamedTuple):
    """One model the demo server offers: the same scripted answers, at its own speed.

    Attributes:
        name: its id on `/v1/models`, as a request names it.
        tokens_per_second: how fast it writes; None: at the server's pace.
        first_token_delay: seconds it "thinks" before its first token.
        about: what it is, in a few words.
    """

    name: str
    tokens_per_second: float | None
    first_token_delay: float
    about: str


DEMO_MODELS: tuple[DemoModel, ...] = (
    DemoModel(DEMO_MODEL, None, 0.0, "the demo model"),
    DemoModel("demo-fast", 150.0, 0.0, "a fast one"),
    DemoModel("demo-slow", 25.0, 0.8, "slow to start and slow to write"),
)
"""The demo server's models (`/v1/models` lists them all): two speeds to try Compare on."""


def demo_model(name: str) -> DemoModel | None:
    """The demo model of this name, if there is one."""
    return next((model for model in DEMO_MODELS if model.name == name), None)
