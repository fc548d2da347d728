"""The offline demo model: an OpenAI-compatible chat server on 127.0.0.1 (also the test server).

Importing this package is cheap: it holds the demo's constants and imports nothing, so the
command line can read them without loading (or starting) the server, which lives in
`tuichat.demo.server`.
"""

from __future__ import annotations

__all__ = ["DEMO_MODEL", "DEMO_TOKENS_PER_SECOND"]

DEMO_MODEL = "tuichat-demo"
"""The demo model's id: what the demo server lists on `/v1/models`."""

DEMO_TOKENS_PER_SECOND = 60.0
"""Pacing of the interactive demo: fast enough to read along, slow enough to look real."""
