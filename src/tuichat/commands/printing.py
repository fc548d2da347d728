"""A turn printed as `tuichat ask` prints it: the text to stdout as it arrives, tool calls and
notes on stderr, the error it ended with, stopping on a signal with what arrived kept.

`tuichat ask`, `tuichat ask --compare` and `tuichat replay --json` print their turns with this.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TextIO

from tuichat.commands import fail, silence_closed_pipe
from tuichat.core.events import Retrying, StreamError, TextDelta, ToolCallReady
from tuichat.session.events import AnswerStarted, Notice, ToolResult, TurnBatch
from tuichat.session.session import ChatSession, Note
from tuichat.session.tools import server_problems
from tuichat.storage.errors import StorageError

PROG = "tuichat ask"
STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_RESULT_PREVIEW = 200  # characters of a tool result shown on stderr


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Printer:
    """Writes the answer to stdout as it arrives and tool activity to stderr.

    With `hold`, the answer's text is kept until `release()` (or dropped by `restart()`,
    when the answer is asked again), so that what a pipe reads is one attempt's text.
    """

    def __init__(self, out: TextIO, err: TextIO, *, json_mode: bool, hold: bool = False) -> None:
        self.out = out
        self.err = err
        self.json_mode = json_mode
        self.hold = hold
        self.held: list[str] = []
        self.last_char = "\n"  # what stdout ends with; "\n" before anything is written
        self.broken = False  # stdout was closed by the reader (e.g. `| head`)
        self.storage_errors: list[str] = []  # what could not be saved

    def feed(self, batch: TurnBatch) -> None:
        parts: list[str] = []
        for event in batch:
            if isinstance(event, TextDelta):
                if event.text:
                    parts.append(event.text)
            elif isinstance(event, AnswerStarted):
                if event.round > 1 and (parts or self.last_char != "\n"):
                    parts.append("\n")  # a tool round's text and the next answer apart
            elif isinstance(event, ToolCallReady):
                self.note(f"[tool] {event.name} {event.arguments_text or '{}'}")
            elif isinstance(event, ToolResult):
                result = _one_line(event.content, _RESULT_PREVIEW)
                verb = "failed:" if event.is_error else "->"
                self.note(f"[tool] {event.name} {verb} {result}")
            elif isinstance(event, Notice):
                self.note(f"[note] {event.message}")
            elif isinstance(event, Retrying):
                self.note(
                    f"[retry] {event.reason}: asking again in {event.wait:.1f} s "
                    f"(attempt {event.attempt} of {event.of})"
                )
            elif isinstance(event, StreamError) and event.kind == "malformed":
                self.note(f"[warning] {event.message}")
        if parts and not self.json_mode:
            if self.hold:
                self.held.append("".join(parts))
            else:
                self.write("".join(parts))

    def restart(self) -> None:
        """The answer is asked again: drop the held text (on a terminal, end its line)."""
        self.held.clear()
        self.end_text()

    def release(self) -> None:
        """Write the held text (the last attempt's)."""
        text, self.held = "".join(self.held), []
        self.write(text)

    def write(self, text: str) -> None:
        if self.broken or not text:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except OSError:  # the reader went away (`| head`), or the terminal hung up
            self.broken = True
            silence_closed_pipe(self.out)
            return
        self.last_char = text[-1]

    def end_text(self) -> None:
        if not self.json_mode and self.last_char != "\n":
            self.write("\n")

    def note(self, line: str) -> None:
        try:
            print(line, file=self.err, flush=True)
        except (OSError, ValueError):  # closed, or its terminal hung up
            silence_closed_pipe(self.err)


def turn_error(messages: list[dict[str, Any]]) -> dict[str, str] | None:
    for message in reversed(messages):
        if message.get("role") != "assistant":
            continue
        error = message.get("error")
        if isinstance(error, dict):
            kind = str(error.get("kind") or "stream_error")
            kind = {"timeout": "connection", "malformed": "stream_error"}.get(kind, kind)
            return {"kind": kind, "message": str(error.get("message") or kind)}
        if message.get("cancelled"):
            return {"kind": "cancelled", "message": "interrupted"}
        return None
    return None


@dataclass(frozen=True, slots=True)
class AskMode:
    """How a turn is printed and told about, as `tuichat ask`'s options say.

    Attributes:
        json: print one JSON object at the end (`--json`) instead of streaming the text.
        save: the turn is saved (not `--no-save`): a history that cannot open is an error.
        continue_last: continue the most recent conversation (`-c`).
        prog: the command's name in error lines (`tuichat replay` reuses all of this).
        retries: ask again from the start this many times after a stall or a drop.
    """

    json: bool = False
    save: bool = True
    continue_last: bool = False
    prog: str = PROG
    retries: int = 0


class Stopped:
    """Which signal stopped the command (None: none did)."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


async def stoppable(work: Coroutine[Any, Any, int], stopped: Stopped) -> int:
    """Run the command; SIGINT, SIGTERM and SIGHUP cancel it, so that what arrived is saved
    (the turn's own clean-up), and it exits with 128 + the signal's number, no traceback."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        if stopped.signum is None:
            stopped.signum = signum
            task.cancel()

    installed = []
    for signum in STOPPING_SIGNALS:
        with contextlib.suppress(ValueError, NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop, signum)  # main thread, Unix only
            installed.append(signum)
    try:
        return await work
    except asyncio.CancelledError:
        if stopped.signum is None:
            raise
        return stopped.exit_code
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def prepare(session: ChatSession, mode: AskMode, err: TextIO) -> int | None:
    """Open the history (and the conversation to continue) and start the tools, telling their
    problems on `err`.

    Returns:
        None when the turn may go on; else the exit code (the error was told).
    """
    prog = mode.prog
    try:
        await session.open_history()
    except StorageError as error:
        hint = " (or use --no-save)" if mode.save else ""
        return fail(prog, f"{error}{hint}", err)
    if mode.continue_last:
        if await session.reopen("last") is None:
            return fail(prog, f"no conversation to continue in {session.history_path}", err)
    for problem in session.problems:
        print(f"{prog}: {problem}", file=err)
    if session.mcp_configured:
        await session.start_tools()
        for problem in server_problems(session.mcp_statuses()):
            print(f"{prog}: {problem}", file=err)
    return None


def note_to(printer: Printer, note: Note) -> None:
    if note.title == "Not saved":
        printer.storage_errors.append(note.message)
    elif note.title != "MCP servers":  # start-up problems are printed once, above
        printer.note(f"[note] {note.message}")
