"""Helpers shared by the tests over the recorded provider streams in `tests/fixtures/streams`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tuichat.core.accumulator import StreamState

STREAMS = Path(__file__).parent.parent / "fixtures" / "streams"
CASES = sorted(path.stem for path in STREAMS.glob("*.sse"))


def expected(case: str) -> dict[str, Any]:
    """The state a correct client must reach for this capture."""
    return json.loads((STREAMS / f"{case}.expected.json").read_text(encoding="utf-8"))


def outcome(state: StreamState) -> dict[str, Any]:
    """The accumulator's final state in the shape of `NAME.expected.json`."""
    calls = []
    for call in state.tool_calls:
        arguments = json.loads(call.arguments) if call.arguments.strip() else {}
        calls.append({"id": call.id, "name": call.name, "arguments": arguments})
    error = state.error
    return {
        "content": state.content,
        "reasoning": state.reasoning,
        "tool_calls": calls,
        "finish_reason": state.finish_reason,
        "usage": state.final_usage,
        "error": None if error is None else {"kind": error.kind, "message": error.message},
    }


def assert_reaches_expected(state: StreamState, case: str) -> None:
    """Compare everything exactly except the error message, which is compared loosely."""
    want = expected(case)
    got = outcome(state)
    for key in ("content", "reasoning", "tool_calls", "finish_reason", "usage"):
        assert got[key] == want[key], f"{case}: {key}"
    if want["error"] is None:
        assert got["error"] is None, f"{case}: unexpected error {got['error']}"
    else:
        assert got["error"] is not None, f"{case}: the error was lost"
        assert got["error"]["kind"] == want["error"]["kind"]
        # Loose: the first words of the expected message appear in ours.
        head = " ".join(want["error"]["message"].split()[:3]).lower()
        assert head in got["error"]["message"].lower()
