"""`tuichat ask`: one question, the answer streamed to stdout, no full screen.

    tuichat ask "what time is it in Seoul?"
    git diff | tuichat ask "write a commit message for this"
    tuichat ask --json "..." | jq .messages[-1].content

The prompt comes from the arguments, or from stdin when it is piped; with both, stdin is
context appended to the prompt in a fenced block. Tool calls run as in the app and are
reported on stderr. The turn is saved to the history unless `--no-save`. Exit codes:
0 answered, 1 failed (one line on stderr), 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from tuichat.cli import add_provider_arguments, load_config, provider_session
from tuichat.commands import add_db_argument, fail
from tuichat.config.profiles import resolve_profile
from tuichat.config.settings import ConfigError, Settings
from tuichat.core.client import ChatClient
from tuichat.core.conversation import Conversation
from tuichat.core.events import (
    Event,
    Notice,
    RoundStarted,
    StreamError,
    TextDelta,
    ToolCallReady,
    ToolResult,
)
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.db import StorageError
from tuichat.storage.export import chat_message, fenced
from tuichat.storage.paths import resolve_db_path
from tuichat.storage.recorder import TurnRecorder
from tuichat.tools.registry import ToolRegistry
from tuichat.tools.setup import (
    build_registry,
    mcp_manager,
    policy_function,
    server_problems,
    start_mcp_servers,
)

if TYPE_CHECKING:
    from tuichat.tools.mcp_client import McpManager

PROG = "tuichat ask"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_RESULT_PREVIEW = 200  # characters of a tool result shown on stderr


def build_parser() -> argparse.ArgumentParser:
    """The options of `tuichat ask`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ask once and stream the answer to stdout (no full screen). The prompt is "
        "read from stdin when it is piped; with a prompt argument too, stdin is added as context.",
    )
    parser.add_argument("prompt", nargs="*", help="the prompt (several words are joined)")
    add_provider_arguments(parser)
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
        help="continue the most recent conversation of the history",
    )
    parser.add_argument(
        "--no-save", action="store_true", help="do not save this turn to the history"
    )
    add_db_argument(parser)
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

    def feed(self, batch: list[Event]) -> None:
        parts: list[str] = []
        for event in batch:
            if isinstance(event, TextDelta):
                if event.text:
                    parts.append(event.text)
            elif isinstance(event, RoundStarted):
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
        except BrokenPipeError:
            self.broken = True
            _silence(self.out)
            return
        self.last_char = text[-1]

    def end_text(self) -> None:
        if not self.json_mode and self.last_char != "\n":
            self.write("\n")

    def note(self, line: str) -> None:
        try:
            print(line, file=self.err, flush=True)
        except (BrokenPipeError, ValueError):
            pass


def _silence(stream: TextIO) -> None:
    """Point a closed pipe at /dev/null so that the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


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
    try:
        settings = load_config(args)
        resolve_profile(settings, args.profile)  # an unknown --profile fails here, before any I/O
    except ConfigError as error:
        return fail(PROG, str(error), err)
    try:
        return asyncio.run(
            _ask(args, settings, prompt, dict(os.environ if environ is None else environ), out, err)
        )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


async def _ask(
    args: argparse.Namespace,
    settings: Settings,
    prompt: str,
    environ: dict[str, str],
    out: TextIO,
    err: TextIO,
) -> int:
    history: AsyncHistory | None = None
    if not args.no_save or args.continue_last:
        path = resolve_db_path(args.db or settings.db_path)
        try:
            history = await AsyncHistory.open(path, create=not args.no_save)
        except StorageError as error:
            hint = "" if args.no_save else " (or use --no-save)"
            return fail(PROG, f"{error}{hint}", err)
    try:
        with provider_session(args, environ, settings) as (provider, _demo):
            return await _converse(args, settings, prompt, provider, history, out, err)
    finally:
        if history is not None:
            await history.aclose()


async def _converse(
    args: argparse.Namespace,
    settings: Settings,
    prompt: str,
    provider: Any,
    history: AsyncHistory | None,
    out: TextIO,
    err: TextIO,
) -> int:
    client = ChatClient(provider)
    tools: ToolRegistry | None = None
    mcp: McpManager | None = None
    try:
        if not args.no_tools:
            tools, problems = build_registry(settings)
            mcp = mcp_manager(tools, settings)
            if mcp is not None:
                await start_mcp_servers(mcp, tools, settings)
                problems += server_problems(mcp.statuses())
            for problem in problems:
                print(f"{PROG}: {problem}", file=err)
        messages: list[dict[str, Any]] = []
        conversation_id: int | None = None
        try:
            if args.continue_last and history is not None:
                conversation_id = await history.last_conversation_id()
                if conversation_id is None:
                    return fail(PROG, f"no conversation to continue in {history.path}", err)
                messages = await history.load_messages(conversation_id)
            conversation = Conversation(
                client,
                tools,
                system_prompt=args.system or resolve_profile(settings, args.profile).system_prompt,
                max_tool_rounds=(
                    settings.max_tool_rounds
                    if args.max_tool_rounds is None
                    else args.max_tool_rounds
                ),
                tool_timeout=settings.tool_timeout,
                messages=messages,
                # Tools whose policy is "ask" do not run: there is no one to ask here.
                policy=policy_function(tools, settings) if tools is not None else None,
                result_limit=settings.tools.result_limit,
            )
            recorder: TurnRecorder | None = None
            if history is not None and not args.no_save:
                if conversation_id is None:
                    conversation_id = await history.create_conversation(
                        model=provider.model, provider=provider.name, messages=conversation.messages
                    )
                recorder = TurnRecorder(
                    history,
                    conversation_id,
                    conversation.messages,
                    model=provider.model,
                    provider=provider.name,
                )
        except StorageError as error:
            return fail(PROG, f"{error} (or use --no-save)", err)
        outcome = await _stream(
            conversation, prompt, recorder, _Printer(out, err, json_mode=args.json)
        )
        storage_error = await recorder.flush() if recorder is not None else None
    finally:
        await client.aclose()
        if mcp is not None:
            await mcp.aclose()
    return _report(args, outcome, storage_error, out, err)


async def _stream(
    conversation: Conversation, prompt: str, recorder: TurnRecorder | None, printer: _Printer
) -> _Outcome:
    start = len(conversation.messages) + 1  # after the user message `send` adds
    interrupted = False
    if recorder is not None:
        recorder.start_turn(prompt)
    try:
        async for batch in conversation.send(prompt):
            if recorder is not None:
                recorder.observe(batch)
            printer.feed(batch)
    except asyncio.CancelledError:  # Ctrl-C: the conversation kept the partial answer
        interrupted = True
    finally:
        if recorder is not None:
            recorder.end()
    printer.end_text()
    added = conversation.messages[start:]
    return _Outcome(messages=added, error=_turn_error(added), interrupted=interrupted)


def _report(
    args: argparse.Namespace,
    outcome: _Outcome,
    storage_error: StorageError | None,
    out: TextIO,
    err: TextIO,
) -> int:
    error = outcome.error
    if outcome.interrupted and error is None:
        error = {"kind": "cancelled", "message": "interrupted"}
    if error is None and storage_error is not None:
        error = {"kind": "storage", "message": str(storage_error)}
    if args.json:
        document = {"messages": [chat_message(m) for m in outcome.messages], "error": error}
        printer = _Printer(out, err, json_mode=False)
        printer.write(json.dumps(document, ensure_ascii=False) + "\n")
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if storage_error is not None:
        fail(PROG, f"the answer was not saved: {storage_error}", err)
    if outcome.error is not None:
        return fail(PROG, outcome.error["message"], err)
    return EXIT_FAILED if storage_error is not None else EXIT_OK
