"""`tuichat replay FILE`: a recorded turn streamed again through the real client.

    tuichat replay answer.turn.json                # the full-screen app, at the recorded pace
    tuichat replay answer.turn.json --speed 4      # four times as fast
    tuichat replay capture.sse --instant --json    # what `tuichat ask --json` prints for it

FILE is a turn file (`tuichat export ID --turn N -o FILE.turn.json`, or saved from the
inspector) or a bare capture of a response body (a `.sse` file). A loopback server (the demo
server's `Recorded` reply) sends the recorded status, headers and body bytes again, read by
read at the recorded offsets, and a replay session (`SessionOptions.replay`) asks it with the
recorded prompt through the same `AsyncOpenAI` path as a live answer: what the inspector,
the accumulator and the error handling make of it is what they made of the original. Tool
calls in the answer are shown, not run, and the turn ends there; nothing is saved to the
history.

With `--json` it prints exactly what `tuichat ask --json` prints for that stream and exits
the same way (1 on a broken stream: truncated, an error event, an HTTP error). Without it the
full-screen app opens on the replay: the command line (`tuichat.cli`) passes the function that
runs it, since commands do not import the UI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tuichat.commands import fail
from tuichat.commands.ask import AskMode, answer_once
from tuichat.config.load import load_config_file
from tuichat.config.settings import ConfigError, Settings
from tuichat.core.turn_file import Turn, TurnFileError, parse_turn
from tuichat.demo.replies import Recorded
from tuichat.demo.server import ChatServer
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions, add_config_argument
from tuichat.session.session import ChatSession

PROG = "tuichat replay"
REPLAY_TIMEOUT = 60.0  # seconds the client waits for a read, beyond the recording's own length


@dataclass(slots=True)
class Replay:
    """A replay ready to run: the recorded turn, its server (running) and a session on it.

    Attributes:
        turn: what the file holds.
        name: the file's name (for titles).
        prompt: what the session sends: the recorded request's last user message, or a
            line naming the file when it has no request (a bare capture).
        server: the loopback server sending the recording (stop it when done).
        session: the replay session talking to it (closed by whoever runs the turn).
        settings: the config file's settings (theme and keys of the app).
    """

    turn: Turn
    name: str
    prompt: str
    server: ChatServer
    session: ChatSession
    settings: Settings


ShowReplay = Callable[[Replay], int]
"""Runs the full-screen app on a replay; returns its exit code (given by `tuichat.cli`)."""


def build_parser() -> argparse.ArgumentParser:
    """The options of `tuichat replay`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Stream a recorded turn again through the real client: a turn file "
        "(tuichat export ID --turn N -o FILE.turn.json) or a bare .sse capture of a response "
        "body. Opens the app on it, or prints what `tuichat ask --json` prints with --json. "
        "Tool calls are shown, not run; nothing is saved.",
        epilog="exit status: 0 the stream reached a complete answer; 1 it did not (truncated, "
        "an error in the stream, an HTTP error: the reason on stderr, with --json also in "
        "error.kind) or the file cannot be read; 2 bad usage.",
    )
    parser.add_argument("file", help="the turn file or .sse capture")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"messages": [...], "error": ...} as `tuichat ask --json` does',
    )
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        metavar="N",
        help="N times the recorded pace (default 1; 0.5 is half as fast)",
    )
    pace.add_argument("--instant", action="store_true", help="send everything at once")
    add_config_argument(parser)
    return parser


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the speed must be more than 0")
    return value


def recorded_reply(turn: Turn, speed: float | None) -> Recorded:
    """The demo server's reply that sends `turn`'s response again.

    Args:
        turn: the recorded turn.
        speed: times the recorded pace; None sends it all at once.
    """
    head = turn.head
    return Recorded(
        [(read.offset, read.data) for read in turn.reads],
        status=turn.status,
        headers=dict(head.headers) if head is not None else None,
        head_offset=head.offset if head is not None else 0.0,
        streamed=turn.streamed,
        speed=speed,
    )


def prepare(turn: Turn, name: str, settings: Settings, speed: float | None = 1.0) -> Replay:
    """Start the loopback server for `turn` and build a replay session on it.

    Every request the session sends gets the recording (so a regenerate replays it again).
    Stop `Replay.server` when done; the session is closed by `answer_once` or the app.
    """
    server = ChatServer(default_reply=recorded_reply(turn, speed)).start()
    body = turn.request.request.get("body") if turn.request is not None else None
    model = body.get("model") if isinstance(body, dict) else None
    last = max([0.0, *(read.offset for read in turn.reads)])
    options = SessionOptions(
        base_url=server.base_url,
        model=model if isinstance(model, str) and model else "replay",
        stream=turn.streamed,
        timeout=REPLAY_TIMEOUT + (last / speed if speed else 0.0),
        stall_timeout=REPLAY_TIMEOUT + (last / speed if speed else 0.0),
        max_retries=0,
        history=False,
        save=False,
        replay=True,
    )
    try:
        session = build_session(settings, options, {})
    except BaseException:
        server.stop()
        raise
    prompt = turn.prompt
    if prompt is None or not prompt.strip():
        prompt = f"(replay of {name})"
    return Replay(turn, name, prompt, server, session, settings)


def run(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    show: ShowReplay | None = None,
) -> int:
    """Run `tuichat replay`.

    Args:
        argv: the full argv, starting with "replay".
        stdout: where `--json` prints (default `sys.stdout`).
        stderr: where errors and tool calls go (default `sys.stderr`).
        show: runs the full-screen app on the replay (without `--json`); None: only
            `--json` is possible here.

    Returns:
        The exit code.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(list(argv)[1:])
    if not args.json and show is None:
        return fail(PROG, "the full-screen replay is started by `tuichat replay`; use --json", err)
    path = Path(args.file).expanduser()
    try:
        turn = parse_turn(path.read_bytes())
    except OSError as error:
        return fail(PROG, f"cannot read {args.file}: {error.strerror or error}", err)
    except TurnFileError as error:
        return fail(PROG, f"{args.file}: {error}", err)
    try:
        settings = load_config_file(Path(args.config).expanduser() if args.config else None)
        replay = prepare(turn, path.name, settings, None if args.instant else args.speed)
    except ConfigError as error:
        return fail(PROG, str(error), err)
    try:
        if args.json:
            mode = AskMode(json=True, save=False, prog=PROG)
            return answer_once(replay.session, replay.prompt, mode, out, err)
        assert show is not None
        return show(replay)
    finally:
        replay.server.stop()
