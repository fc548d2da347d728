"""`tuichat ask`: one question, the answer streamed to stdout, no full screen.

    tuichat ask "what time is it in Seoul?"
    git diff | tuichat ask "write a commit message for this"
    tuichat ask --json "..." | jq .messages[-1].content
    tuichat ask -a notes.txt "summarise this"      (or: tuichat ask "summarise @notes.txt")

The prompt comes from the arguments, or from stdin when it is piped; with both, stdin is
context appended to the prompt in a fenced block. `-a FILE` (repeatable) and `@path` in the
prompt's arguments attach files as the app does (text inlined, images as image parts). Tool
calls run as in the app and are reported on stderr, and so are the client's retries.
`--retries N` asks again from the start when the answer stalls or its connection drops. The
turn is saved to the history unless `--no-save`. Exit codes:
0 answered, 1 failed (one line on stderr), 2 bad usage, 128 + N stopped by signal N (130
Ctrl-C, 143 SIGTERM, 129 SIGHUP: what arrived is saved first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tuichat.commands import fail
from tuichat.commands.ask_compare import compare_once
from tuichat.commands.printing import (
    PROG,
    AskMode,
    Printer,
    Stopped,
    note_to,
    prepare,
    stoppable,
    turn_error,
)
from tuichat.config.load import load_config_file
from tuichat.config.settings import ConfigError
from tuichat.session.attachments import Attachment, AttachmentError, collect
from tuichat.session.builder import build_session
from tuichat.session.compare_targets import CompareSpecError, parse_targets
from tuichat.session.options import SessionOptions, add_compare_argument, add_session_arguments
from tuichat.session.prompts import PromptError, first_message
from tuichat.session.session import ChatSession
from tuichat.storage.export import chat_message, fenced

__all__ = ["AskMode", "answer_once", "build_parser", "compose_prompt", "read_stdin", "run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C; any stopping signal N exits with 128 + N


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
        "-a",
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="attach a file (repeatable): a text file goes inline in a fenced block, an image "
        "(PNG, JPEG, WebP, GIF) as an image part, a directory as its text files; @path in the "
        "prompt does the same",
    )
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
    parser.add_argument(
        "--retries",
        type=_count,
        default=0,
        metavar="N",
        help="ask again from the start, up to N times, when the answer stalls (nothing for "
        "--stall-timeout seconds) or its connection drops; each time a [retry] line goes to "
        "stderr. On a terminal the text restarts after it; to a pipe or a file the text is "
        "written once the last attempt ends, so a script never reads a partial answer twice "
        "(with --json only the last attempt is in the JSON)",
    )
    add_compare_argument(
        parser,
        "ask several models at once and print each answer under a header, with its timing and "
        "usage (with --json: in answers[]); the first one's answer continues the conversation",
    )
    return parser


def _count(text: str) -> int:
    """A whole number of at least 0 (argparse says which option is wrong otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


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


@dataclass(slots=True)
class _Outcome:
    """How the turn ended."""

    messages: list[dict[str, Any]]  # what the turn added after the user message
    error: dict[str, str] | None = None
    interrupted: bool = False


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
    if not prompt.strip() and not args.role:
        return _no_prompt(parser, err)
    options = SessionOptions.from_args(
        args, history=not args.no_save or args.continue_last, save=not args.no_save
    )
    try:
        settings = load_config_file(options.config)
        targets = parse_targets(args.compare, settings) if args.compare is not None else ()
        # An unknown --profile fails here, before any I/O.
        session = build_session(settings, options, os.environ if environ is None else environ)
    except ConfigError as error:
        return fail(PROG, str(error), err)
    except CompareSpecError as error:
        parser.print_usage(err)
        print(f"{PROG}: --compare: {error}", file=err)
        return EXIT_USAGE
    try:  # @path is read in the arguments only: piped text is context, taken as it is
        attachments = collect(" ".join(args.prompt), Path.cwd(), settings.attachments, args.attach)
    except AttachmentError as error:
        asyncio.run(session.aclose())
        print(f"{PROG}: {error}", file=err)
        return EXIT_USAGE
    if session.role is not None:  # its template, filled, is the message
        try:
            prompt = first_message(session.role, dict(options.variables), prompt)
        except PromptError as error:
            asyncio.run(session.aclose())
            parser.print_usage(err)
            print(f"{PROG}: --role: {error}", file=err)
            return EXIT_USAGE
    if not prompt.strip():
        asyncio.run(session.aclose())
        return _no_prompt(parser, err)
    mode = AskMode(
        json=args.json,
        save=not args.no_save,
        continue_last=args.continue_last,
        retries=args.retries,
    )
    if targets:
        return compare_once(session, targets, prompt, mode, out, err, attachments)
    return answer_once(session, prompt, mode, out, err, attachments)


def _no_prompt(parser: argparse.ArgumentParser, err: TextIO) -> int:
    parser.print_usage(err)
    print(f"{PROG}: no prompt: give one as an argument or pipe it on stdin", file=err)
    return EXIT_USAGE


def answer_once(
    session: ChatSession,
    prompt: str,
    mode: AskMode,
    out: TextIO,
    err: TextIO,
    attachments: Sequence[Attachment] = (),
) -> int:
    """Send one prompt on a built session and print the answer as `tuichat ask` does.

    The answer streams to `out` (or comes as one JSON object with `mode.json`), tool calls
    and notes go to `err`; SIGINT, SIGTERM and SIGHUP stop it with what arrived kept. The
    session is closed at the end.

    Returns:
        The exit code, as `tuichat ask` documents it.
    """
    stopped = Stopped()
    try:
        asking = _ask(session, mode, prompt, attachments, out, err, stopped)
        return asyncio.run(stoppable(asking, stopped))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


async def _ask(
    session: ChatSession,
    mode: AskMode,
    prompt: str,
    attachments: Sequence[Attachment],
    out: TextIO,
    err: TextIO,
    stopped: Stopped,
) -> int:
    # Retried to a pipe or a file, the text waits for the last attempt (see --retries).
    hold = mode.retries > 0 and not mode.json and not _is_terminal(out)
    printer = Printer(out, err, json_mode=mode.json, hold=hold)
    session.on_note = lambda note: note_to(printer, note)
    try:
        failed = await prepare(session, mode, err)
        if failed is not None:
            return failed
        # Tools whose policy is "ask" do not run: there is no one to ask here.
        outcome = await _stream(session, prompt, attachments, printer, mode.retries)
        storage_error = printer.storage_errors[0] if printer.storage_errors else None
    finally:
        await session.aclose()
    return _report(mode, outcome, storage_error, out, err, stopped)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False


# The errors after which `--retries` asks again: the answer stalled, dropped or was cut.
_RETRIED_KINDS = {"timeout": "stalled", "connection": "dropped", "truncated": "was cut short"}


def _stalled_or_dropped(messages: list[dict[str, Any]]) -> str | None:
    """How the turn's last answer failed, when `--retries` asks again after that."""
    answers = [m for m in messages if m.get("role") == "assistant"]
    error = answers[-1].get("error") if answers else None
    return _RETRIED_KINDS.get(str(error.get("kind"))) if isinstance(error, dict) else None


async def _stream(
    session: ChatSession,
    prompt: str,
    attachments: Sequence[Attachment],
    printer: Printer,
    retries: int,
) -> _Outcome:
    start = len(session.messages)  # the turn's messages: the user's, then what answered it
    interrupted = False
    turn = session.send(prompt, attachments)
    try:
        for attempt in range(1, retries + 2):
            async for batch in turn:
                printer.feed(batch)
            why = _stalled_or_dropped(session.messages[start:])
            again = session.regenerate() if why is not None and attempt <= retries else None
            if again is None:
                break
            # The failed attempt stays in the history, marked replaced (as a regenerate).
            printer.restart()
            printer.note(
                f"[retry] the answer {why}: asking again from the start "
                f"(attempt {attempt + 1} of {retries + 1})"
            )
            turn = again
    except asyncio.CancelledError:  # Ctrl-C: the conversation kept the partial answer
        interrupted = True
    printer.release()
    printer.end_text()
    added = session.messages[start:]
    error = turn_error(added)
    refused = session.refused_images()
    if error is not None and refused is not None:  # name the images the server would not take
        error = {**error, "message": refused}
    return _Outcome(messages=added, error=error, interrupted=interrupted)


def _report(
    mode: AskMode,
    outcome: _Outcome,
    storage_error: str | None,
    out: TextIO,
    err: TextIO,
    stopped: Stopped,
) -> int:
    error = outcome.error
    if outcome.interrupted and error is None:
        error = {"kind": "cancelled", "message": "interrupted"}
    if error is None and storage_error is not None:
        error = {"kind": "storage", "message": storage_error}
    if mode.json:
        document = {"messages": [chat_message(m) for m in outcome.messages], "error": error}
        printer = Printer(out, err, json_mode=False)
        printer.write(json.dumps(document, ensure_ascii=False) + "\n")
    if outcome.interrupted:
        return stopped.exit_code
    if storage_error is not None:
        fail(mode.prog, f"the answer was not saved: {storage_error}", err)
    if outcome.error is not None:
        return fail(mode.prog, outcome.error["message"], err)
    return EXIT_FAILED if storage_error is not None else EXIT_OK
