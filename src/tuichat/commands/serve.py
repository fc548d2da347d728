"""`tuichat serve`: the app in a browser tab, for whoever holds the printed URL.

    tuichat serve                       # prints http://127.0.0.1:8000/?token=...
    tuichat serve --demo --open         # the options of `tuichat` go to each tab's app
    TUICHAT_SERVE_TOKEN=... tuichat serve --port 8080 --profile ollama

Each browser tab gets an app process of its own, started as `tuichat OPTIONS` would be in a
terminal: the same config file, history and environment (the API key stays on this machine;
the browser receives the rendered screen). The server listens on 127.0.0.1 unless `--host`
says otherwise, and every request needs the run's token (`tuichat.commands.web_server`). Its
log, on stderr, shows connections and refusals, never the token.

Ctrl-C, SIGTERM or SIGHUP stop it: every app is asked to quit (saving its conversation), and
the exit status is 128 + the signal's number (130, 143, 129). Status 1: it could not start
(textual-serve missing, the port taken, a broken config file); 2: bad usage.

Needs textual-serve: `pip install 'tuichat[serve]'`.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import re
import secrets
import shlex
import socket
import sys
from collections.abc import Sequence
from typing import TextIO

from tuichat.commands import fail
from tuichat.config.load import load_config_file
from tuichat.config.settings import ConfigError
from tuichat.session.options import SessionOptions, add_app_arguments, add_session_arguments

PROG = "tuichat serve"
TOKEN_ENV = "TUICHAT_SERVE_TOKEN"
"""The environment variable that may set the token (kept from the app processes)."""
EXIT_USAGE = 2
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
MIN_TOKEN_LENGTH = 16
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9._~-]+")  # unreserved in URLs: printed as it is
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, this machine only; any other "
        "lets whoever can reach it and holds the token use your API keys)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default: {DEFAULT_PORT}; 0: any free one)",
    )
    parser.add_argument(
        "--open", action="store_true", help="open the URL in the default web browser"
    )
    parser.add_argument(
        "--token",
        help=f"the access token (default: ${TOKEN_ENV}, else a new random one; at least "
        f"{MIN_TOKEN_LENGTH} letters, digits, '-', '_', '.' or '~'). Prefer ${TOKEN_ENV}: "
        "other users of this machine can read command lines",
    )


def build_parser() -> argparse.ArgumentParser:
    """The options of `tuichat serve`: its own, and those of `tuichat` it passes on."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,  # the options passed on are told apart by their exact names
        description="Serve the full-screen app to a web browser: each tab runs its own app, "
        "with the options below (those of `tuichat`) and the same config and history. Every "
        "request needs the access token in the printed URL.",
        epilog="exit status: 128 + the signal that stopped it (130 Ctrl-C, 143 SIGTERM, "
        "129 SIGHUP); 1 could not start; 2 bad usage.",
    )
    _add_serve_arguments(parser)
    add_session_arguments(parser)
    add_app_arguments(parser)
    return parser


def app_arguments(argv: Sequence[str]) -> list[str]:
    """The arguments of `tuichat serve` that are the app's: all but serve's own.

    Args:
        argv: the arguments after `serve`, already checked by `build_parser()`.
    """
    own = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    _add_serve_arguments(own)
    return own.parse_known_args(list(argv))[1]


def app_command(arguments: Sequence[str]) -> str:
    """The shell command line that starts one tab's app: this Python's `tuichat`.

    textual-serve runs it through `/bin/sh -c`; `exec` makes the app that process, so that
    stopping it (or killing one that does not quit) reaches the app itself.
    """
    return "exec " + shlex.join([sys.executable, "-m", "tuichat", *arguments])


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def exposure_warning(host: str) -> str | None:
    """What to say about listening on `host`, or None when only this machine can reach it."""
    if is_loopback(host):
        return None
    return (
        f"warning: listening on {host or 'every address'}, not only on this machine: anyone "
        "who can reach it and holds the token can use the configured API keys and tools. "
        "The connection is not encrypted (plain HTTP): from another machine, an SSH tunnel "
        "to the default address is safer (ssh -L 8000:127.0.0.1:8000 HOST)."
    )


def check_token(token: str) -> str | None:
    """Why `token` will not do, or None when it will."""
    if len(token) < MIN_TOKEN_LENGTH or not _TOKEN_CHARACTERS.fullmatch(token):
        return (
            f"the token must be at least {MIN_TOKEN_LENGTH} characters, each a letter, a "
            "digit, '-', '_', '.' or '~'"
        )
    return None


def page_url(host: str, port: int, token: str) -> str:
    """The URL to open: the page, with the token."""
    if host in _WILDCARD_HOSTS:
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/?token={token}"


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`, before anything else starts.

    Raises:
        OSError: the address is taken, or not this machine's; the message says which.
    """
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, protocol)
    except OSError as error:
        raise OSError(f"cannot listen on {host}: {error.strerror or error}") from error
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        hint = " (--port 0 picks a free one)" if error.errno == errno.EADDRINUSE else ""
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}{hint}") from error
    return sock


def run(argv: Sequence[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `tuichat serve ...` until a signal stops it.

    Args:
        argv: the full argv, starting with "serve".
        stdout: where the URL is printed (default `sys.stdout`).
        stderr: where warnings, errors and the log go (default `sys.stderr`).

    Returns:
        128 + the stopping signal's number; 1 when it could not start, 2 on bad usage.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    arguments = list(argv)[1:]
    try:
        args = build_parser().parse_args(arguments)
    except SystemExit as exit_:  # --help, or a usage error (already printed)
        return int(exit_.code or 0)
    token = args.token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    # The apps do not need it: they are started with this environment, less the token.
    os.environ.pop(TOKEN_ENV, None)
    if problem := check_token(token):
        print(f"{PROG}: {problem}", file=err)
        return EXIT_USAGE
    try:
        # A broken config file is said once here, rather than in every tab.
        load_config_file(SessionOptions.from_args(args).config)
    except ConfigError as error:
        return fail(PROG, str(error), err)
    try:
        from tuichat.commands import web_server
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in {"textual_serve", "aiohttp", "jinja2"}:
            raise
        return fail(
            PROG,
            f"needs textual-serve ({error.name} is not installed): pip install 'tuichat[serve]'",
            err,
        )
    if warning := exposure_warning(args.host):
        print(f"{PROG}: {warning}", file=err, flush=True)
    try:
        sock = listen(args.host, args.port)
    except OSError as error:
        return fail(PROG, str(error), err)
    port = int(sock.getsockname()[1])
    server = web_server.BrowserServer(
        app_command(app_arguments(arguments)), token, cookie_name=f"tuichat-serve-{port}"
    )
    url = page_url(args.host, port, token)
    return web_server.serve(server, sock, url=url, open_browser=args.open, out=out, err=err)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {port}")
    return port
