"""`tuichat ask`: one question, the answer streamed to stdout, no full screen.

    tuichat ask "what time is it in Seoul?"
    git diff | tuichat ask "write a commit message for this"
    tuichat ask --json "..." | jq .messages[-1].content

The prompt comes from the arguments, or from stdin when it is piped; with both, stdin is
context appended to the prompt in a fenced block. Tool calls run as in the app and are
reported on stderr. The turn is saved to the history unless `--no-save`. Exit codes:
0 answered, 1 failed (one line on stderr), 2 bad usage, 128 + N stopped by signal N (130
Ctrl-C, 143 SIGTERM, 129 SIGHUP: what arrived is saved first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from tuichat.commands import fail, silence_closed_pipe
from tuichat.config.load import load_config_file
from tuichat.config.settings import ConfigError
from tuichat.core.events import StreamError, TextDelta, ToolCallReady
from tuichat.session import ChatSession, Note, SessionOptions, add_session_arguments
from tuichat.session.builder import build_session
from tuichat.session.events import AnswerStarted, Notice, ToolResult, TurnBatch
from tuichat.session.tools import server_problems
from tuichat.storage.db import StorageError
from tuichat.storage.export import chat_message, fenced

PROG = "tuichat ask"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C; any stopping signal N exits with 128 + N
STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_RESULT_PREVIEW = 200  # characters of a tool result shown on stderr


def build_parser() -> argparse.ArgumentParser:
    """The options of `tuichat ask`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ask once and stream the answer to stdout (no full screen). The prompt is "
        "read from stdin when it is piped; with a prompt argument too, stdin is added as context.",
        epilog="exit status: 0 answered; 1 failed (the error on stderr, with --json also in "
        "error.kind: stream_error, truncated, malformed, http, not_an_answer, connection, "
        "timeout, tool_rounds, storage); "
        "2 bad usage; 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (128 + the signal: what arrived "
        "is saved).",
    )
    parser.add_argument("prompt", nargs="*", help="the prompt (several words are joined)")
    add_session_arguments(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object at the end instead of the text: "
        '{"messages": [...], "error": ...}',
    )
    parser.add_argument(
        "-c",
        "--continue",
        dest="continue_last",
        action="store_true",
        help="continue the most recent conversation of the history (from the end of the "
        "branch shown last in the app)",
    )
    parser.add_argument(
        "--no-save", action="store_true", help="do not save this turn to the history"
    )
    return parser


def read_stdin(stream: TextIO | None) -> str | None:
    """The piped input, or None when stdin is a terminal (or absent)."""
    if stream is None:
        return None
    try:
        if stream.isatty():
            return None
        return stream.read()
    except (OSError, ValueError):  # closed, or not readable (e.g. captured by a test runner)
        return None


def compose_prompt(argument: str, piped: str | None) -> str:
    """The prompt from the arguments and stdin.

    Args:
        argument: the prompt arguments, joined.
        piped: what stdin held, if it was piped.

    Returns:
        The argument alone, stdin alone, or the argument followed by stdin in a fenced block.
    """
    piped = piped if piped and piped.strip() else None
    if piped is None:
        return argument
    if not argument.strip():
        return piped.rstrip("\n")
    return f"{argument}\n\n{fenced(piped)}"


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _Printer:
    """Writes the answer to stdout as it arrives and tool activity to stderr."""

    def __init__(self, out: TextIO, err: TextIO, *, json_mode: bool) -> None:
        self.out = out
        self.err = err
        self.json_mode = json_mode
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
            elif isinstance(event, StreamError) and event.kind == "malformed":
                self.note(f"[warning] {event.message}")
        if parts and not self.json_mode:
            self.write("".join(parts))

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


@dataclass(slots=True)
class _Outcome:
    """How the turn ended."""

    messages: list[dict[str, Any]]  # what the turn added after the user message
    error: dict[str, str] | None = None
    interrupted: bool = False


def _turn_error(messages: list[dict[str, Any]]) -> dict[str, str] | None:
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


def run(
    argv: Sequence[str],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: dict[str, str] | None = None,
) -> int:
    """Run `tuichat ask`.

    Args:
        argv: the full argv, starting with "ask".
        stdin: where a piped prompt comes from (default `sys.stdin`).
        stdout: where the answer goes (default `sys.stdout`).
        stderr: where tool calls and errors go (default `sys.stderr`).
        environ: the environment (default `os.environ`).

    Returns:
        The exit code.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_intermixed_args(list(argv)[1:])
    prompt = compose_prompt(
        " ".join(args.prompt), read_stdin(sys.stdin if stdin is None else stdin)
    )
    if not prompt.strip():
        parser.print_usage(err)
        print(f"{PROG}: no prompt: give one as an argument or pipe it on stdin", file=err)
        return EXIT_USAGE
    options = SessionOptions.from_args(
        args, history=not args.no_save or args.continue_last, save=not args.no_save
    )
    try:
        settings = load_config_file(options.config)
        # An unknown --profile fails here, before any I/O.
        session = build_session(settings, options, os.environ if environ is None else environ)
    except ConfigError as error:
        return fail(PROG, str(error), err)
    mode = AskMode(json=args.json, save=not args.no_save, continue_last=args.continue_last)
    return answer_once(session, prompt, mode, out, err)


@dataclass(frozen=True, slots=True)
class AskMode:
    """How a turn is printed and told about, as `tuichat ask`'s options say.

    Attributes:
        json: print one JSON object at the end (`--json`) instead of streaming the text.
        save: the turn is saved (not `--no-save`): a history that cannot open is an error.
        continue_last: continue the most recent conversation (`-c`).
        prog: the command's name in error lines (`tuichat replay` reuses all of this).
    """

    json: bool = False
    save: bool = True
    continue_last: bool = False
    prog: str = PROG


def answer_once(session: ChatSession, prompt: str, mode: AskMode, out: TextIO, err: TextIO) -> int:
    """Send one prompt on a built session and print the answer as `tuichat ask` does.

    The answer streams to `out` (or comes as one JSON object with `mode.json`), tool calls
    and notes go to `err`; SIGINT, SIGTERM and SIGHUP stop it with what arrived kept. The
    session is closed at the end.

    Returns:
        The exit code, as `tuichat ask` documents it.
    """
    stopped = _Stopped()
    try:
        return asyncio.run(_stoppable(_ask(session, mode, prompt, out, err, stopped), stopped))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


class _Stopped:
    """Which signal stopped the command (None: none did)."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


async def _stoppable(work: Coroutine[Any, Any, int], stopped: _Stopped) -> int:
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


async def _ask(
    session: ChatSession,
    mode: AskMode,
    prompt: str,
    out: TextIO,
    err: TextIO,
    stopped: _Stopped,
) -> int:
    printer = _Printer(out, err, json_mode=mode.json)
    prog = mode.prog
    session.on_note = lambda note: _note(printer, note)
    try:
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
        # Tools whose policy is "ask" do not run: there is no one to ask here.
        outcome = await _stream(session, prompt, printer)
        storage_error = printer.storage_errors[0] if printer.storage_errors else None
    finally:
        await session.aclose()
    return _report(mode, outcome, storage_error, out, err, stopped)


def _note(printer: _Printer, note: Note) -> None:
    if note.title == "Not saved":
        printer.storage_errors.append(note.message)
    elif note.title != "MCP servers":  # start-up problems are printed once, above
        printer.note(f"[note] {note.message}")


async def _stream(session: ChatSession, prompt: str, printer: _Printer) -> _Outcome:
    start = len(session.messages)  # the turn's messages: the user's, then what answered it
    interrupted = False
    try:
        async for batch in session.send(prompt):
            printer.feed(batch)
    except asyncio.CancelledError:  # Ctrl-C: the conversation kept the partial answer
        interrupted = True
    printer.end_text()
    added = session.messages[start:]
    return _Outcome(messages=added, error=_turn_error(added), interrupted=interrupted)


def _report(
    mode: AskMode,
    outcome: _Outcome,
    storage_error: str | None,
    out: TextIO,
    err: TextIO,
    stopped: _Stopped,
) -> int:
    error = outcome.error
    if outcome.interrupted and error is None:
        error = {"kind": "cancelled", "message": "interrupted"}
    if error is None and storage_error is not None:
        error = {"kind": "storage", "message": storage_error}
    if mode.json:
        document = {"messages": [chat_message(m) for m in outcome.messages], "error": error}
        printer = _Printer(out, err, json_mode=False)
        printer.write(json.dumps(document, ensure_ascii=False) + "\n")
    if outcome.interrupted:
        return stopped.exit_code
    if storage_error is not None:
        fail(mode.prog, f"the answer was not saved: {storage_error}", err)
    if outcome.error is not None:
        return fail(mode.prog, outcome.error["message"], err)
    return EXIT_FAILED if storage_error is not None else EXIT_OK
