"""What the command line says about a session, and the options that say it.

`tuichat` and `tuichat ask` take the same options for where answers come from; both parse
them with `add_session_arguments` and hand `SessionOptions.from_args(...)` to the builder.
The full-screen app adds `add_app_arguments`; `tuichat serve` checks the options it passes to
the app of each browser tab with both. Tests and benchmarks make `SessionOptions` directly.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tuichat.config.profiles import (
    DEFAULT_MODEL,
    DEFAULT_STALL_TIMEOUT,
    DEFAULT_TIMEOUT,
    PRESETS,
)
from tuichat.config.settings import DEFAULT_MAX_TOOL_ROUNDS
from tuichat.session.compare_targets import MAX_TARGETS, Target

Resume = int | Literal["last"] | None
"""The conversation to reopen: its id, the most recent one, or none (a new one)."""


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """Options of one session; None means "not given": the config file and defaults decide.

    Attributes:
        config: `--config PATH`.
        profile: `--profile NAME`.
        base_url: `--base-url`.
        model: `--model`.
        api_key_env: `--api-key-env`.
        stream: False for `--no-stream`.
        timeout: `--timeout` seconds.
        stall_timeout: `--stall-timeout` seconds.
        max_retries: retries of a failed request (no option: tests and benchmarks set it).
        demo: `--demo`: the built-in offline model, whatever else is configured.
        system_prompt: `--system`.
        role: `--role NAME`: a prompt of the library (its system prompt, and its template's
            user message once its variables are known).
        variables: `--var NAME=VALUE` options: values of the role's template variables.
        tools: False for `--no-tools`: no tools offered, no MCP server started.
        max_tool_rounds: `--max-tool-rounds`.
        db: `--db PATH`.
        history: False: nothing is read from or written to the history.
        save: False: the history is read (to continue a conversation) but never written.
        resume: the conversation to reopen (`-c` / `--conversation ID`).
        replay: a replay of a recorded turn (`tuichat replay`): answers come from `base_url`
            as given (no profile, no key, no system prompt), no tools are offered, and the
            calls an answer makes are shown, not run: the turn ends after one answer.
        compare: `--compare`: the app sends each prompt to these profiles and models side by
            side (parsed against the settings by `parse_targets`; empty: it does not).
    """

    config: Path | None = None
    profile: str | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    stream: bool | None = None
    timeout: float | None = None
    stall_timeout: float | None = None
    max_retries: int | None = None
    demo: bool = False
    system_prompt: str | None = None
    role: str | None = None
    variables: tuple[tuple[str, str], ...] = ()
    tools: bool = True
    max_tool_rounds: int | None = None
    db: Path | None = None
    history: bool = True
    save: bool = True
    resume: Resume = None
    replay: bool = False
    compare: tuple[Target, ...] = ()

    @classmethod
    def from_args(cls, args: argparse.Namespace, **more: Any) -> SessionOptions:
        """The options `add_session_arguments` parsed (`more` adds or replaces fields)."""
        values: dict[str, Any] = {
            "config": Path(args.config).expanduser() if args.config else None,
            "profile": args.profile,
            "base_url": args.base_url,
            "model": args.model,
            "api_key_env": args.api_key_env,
            "stream": False if args.no_stream else None,
            "timeout": args.timeout,
            "stall_timeout": args.stall_timeout,
            "demo": args.demo,
            "system_prompt": args.system,
            "role": args.role,
            "variables": tuple(args.var or ()),
            "tools": not args.no_tools,
            "max_tool_rounds": args.max_tool_rounds,
            "db": Path(args.db).expanduser() if args.db else None,
        }
        values.update(more)
        return cls(**values)

    def provider_overrides(self) -> dict[str, Any]:
        """The options that override the profile's fields (None: not given)."""
        return {
            "base_url": self.base_url,
            "model": self.model,
            "api_key_env": self.api_key_env,
            "stream": self.stream,
            "timeout": self.timeout,
            "stall_timeout": self.stall_timeout,
            "max_retries": self.max_retries,
        }


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """The `--config PATH` option (the app and every command share it)."""
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: see `tuichat config path`)"
    )


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The `--db PATH` option (the app and every command share it; `Settings.database_path`
    resolves it)."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="history database file (default: the config file's db_path, else "
        "$XDG_DATA_HOME/tuichat/history.sqlite3 or the platform's data directory)",
    )


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose where answers come from (the app and `ask` share them)."""
    add_config_argument(parser)
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help=f"provider profile: {', '.join(PRESETS)}, or a [profiles.NAME] of the config file",
    )
    parser.add_argument(
        "--base-url", help="API base URL (default: the profile's; $OPENAI_BASE_URL; OpenAI)"
    )
    parser.add_argument("--model", help=f"model name (default: the profile's; {DEFAULT_MODEL})")
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable holding the API key (default: the profile's; OPENAI_API_KEY)",
    )
    parser.add_argument(
        "--no-stream", action="store_true", help="ask for whole answers (stream=false)"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in offline demo model (the default without a key)",
    )
    system = parser.add_mutually_exclusive_group()
    system.add_argument("--system", help="system prompt")
    system.add_argument(
        "--role",
        metavar="NAME",
        help="a prompt of the library as the system prompt (`tuichat prompts` lists them); "
        "one with a template makes the first message from it",
    )
    parser.add_argument(
        "--var",
        action="append",
        type=_assignment,
        metavar="NAME=VALUE",
        help="a value for the --role prompt's template variable NAME (repeatable)",
    )
    parser.add_argument(
        "--no-tools", action="store_true", help="offer the model no tools (and start no MCP server)"
    )
    parser.add_argument(
        "--max-tool-rounds",
        type=int,
        help="tool rounds per turn before tuichat stops asking "
        f"(default: {DEFAULT_MAX_TOOL_ROUNDS})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds to connect and for the server to answer "
        f"(default: the profile's; {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--stall-timeout",
        type=_positive_seconds,
        metavar="S",
        help="seconds an answer may stay silent before it is given up, the partial answer "
        f"kept (default: the profile's stall_timeout; {DEFAULT_STALL_TIMEOUT:g})",
    )
    add_db_argument(parser)


def _assignment(text: str) -> tuple[str, str]:
    """`NAME=VALUE` (argparse says which option is wrong otherwise)."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write NAME=VALUE")
    return name.strip(), value


def _positive_seconds(text: str) -> float:
    """A number of seconds more than 0 (argparse says which option is wrong otherwise)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


COMPARE_HELP = (
    "PROFILE:MODEL,PROFILE:MODEL,... (2 to {limit}; either part may be left out: "
    "ollama = that profile's model, gpt-4o = that model on the profile in use)"
)


def add_compare_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """The `--compare SPEC` option (`tuichat` and `tuichat ask`); `parse_targets` reads it
    once the settings (the profiles a name may be) are loaded."""
    parser.add_argument(
        "--compare",
        metavar="SPEC",
        help=f"{what}: {COMPARE_HELP.format(limit=MAX_TARGETS)}",
    )


def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    """The full-screen app's options besides `add_session_arguments`: which conversation to
    reopen, and the theme (`tuichat` and `tuichat serve`, which passes them to its apps)."""
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        "-c",
        "--continue",
        dest="resume_last",
        action="store_true",
        help="reopen the last conversation (on the branch shown last: the versions of "
        "regenerated answers and edited prompts you stepped to)",
    )
    resume.add_argument(
        "--conversation",
        type=int,
        metavar="ID",
        help="reopen conversation ID (on the branch shown last)",
    )
    parser.add_argument(
        "--theme", metavar="NAME", help="the theme (default: the config's, tuichat-dark)"
    )
    add_compare_argument(parser, "send each prompt to several models, answers side by side")
