"""The command line: options -> a provider -> the full-screen app."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tuichat.core.client import ChatClient, Provider
from tuichat.core.conversation import DEFAULT_MAX_TOOL_ROUNDS, Conversation
from tuichat.tools.registry import default_registry

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
DEMO_MODEL = "tuichat-demo"
DEMO_TOKENS_PER_SECOND = 60.0

DEMO_WELCOME = (
    "You are talking to tuichat's built-in demo model: it runs offline, inside tuichat, "
    "behind a real OpenAI-compatible HTTP server on 127.0.0.1.\n"
    "Try: hello · 안녕하세요 · show me some markdown · write something long · "
    "what time is it in Seoul and New York? · 서울과 뉴욕의 현재 시간은?\n"
    "For a real model: set OPENAI_API_KEY (and --model), or point --base-url at any "
    "OpenAI-compatible server (Ollama: --base-url http://localhost:11434/v1 --model llama3.2)."
)


# `tuichat NAME ...` runs the module's `run(argv) -> int` instead of the full-screen app.
SUBCOMMANDS: dict[str, str] = {
    "ask": "tuichat.commands.ask",
    "list": "tuichat.commands.history",
    "export": "tuichat.commands.history",
    "config": "tuichat.commands.config",
}


def add_provider_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose where answers come from (the app and `ask` share them)."""
    parser.add_argument("--base-url", help="API base URL (default: $OPENAI_BASE_URL, else OpenAI)")
    parser.add_argument("--model", help=f"model name (default: {DEFAULT_MODEL})")
    parser.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="NAME",
        help="environment variable holding the API key (default: OPENAI_API_KEY)",
    )
    parser.add_argument("--no-stream", action="store_true", help="ask for whole answers (stream=false)")
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in offline demo model (the default without a key)"
    )
    parser.add_argument("--system", help="system prompt")
    parser.add_argument(
        "--max-tool-rounds",
        type=int,
        default=DEFAULT_MAX_TOOL_ROUNDS,
        help=f"tool rounds per turn before tuichat stops asking (default: {DEFAULT_MAX_TOOL_ROUNDS})",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="request timeout in seconds")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tuichat",
        description="A full-screen terminal chat client for OpenAI-compatible APIs.",
        epilog="Commands: " + ", ".join(sorted(SUBCOMMANDS)) + " (tuichat COMMAND --help).",
    )
    add_provider_arguments(parser)
    from tuichat.commands import add_db_argument

    add_db_argument(parser)
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        "-c", "--continue", dest="resume_last", action="store_true", help="reopen the last conversation"
    )
    resume.add_argument("--conversation", type=int, metavar="ID", help="reopen conversation ID")
    return parser.parse_args(argv)


def choose_provider(args: argparse.Namespace, environ: dict[str, str]) -> tuple[Provider, bool]:
    """Pick the provider from options and environment.

    Returns:
        The provider and whether it is the built-in demo (whose base URL is filled in once
        its server has started).
    """
    api_key = environ.get(args.api_key_env, "")
    base_url = args.base_url or environ.get("OPENAI_BASE_URL", "")
    demo = args.demo or (not api_key and not base_url)
    if demo:
        provider = Provider(base_url="", model=args.model or DEMO_MODEL, name="demo", max_retries=0)
    else:
        provider = Provider(
            base_url=base_url or DEFAULT_BASE_URL,
            model=args.model or DEFAULT_MODEL,
            api_key=api_key,
            name=_provider_name(base_url or DEFAULT_BASE_URL),
            api_key_env=args.api_key_env,
        )
    provider.stream = not args.no_stream
    provider.timeout = args.timeout
    return provider, demo


@contextmanager
def provider_session(
    args: argparse.Namespace, environ: dict[str, str]
) -> Iterator[tuple[Provider, bool]]:
    """The provider the options choose, with the demo server running when it is the demo.

    Yields:
        The provider and whether it is the built-in demo.
    """
    provider, demo = choose_provider(args, environ)
    if not demo:
        yield provider, demo
        return
    from tuichat.demo.server import ChatServer

    with ChatServer(tokens_per_second=DEMO_TOKENS_PER_SECOND) as server:
        provider.base_url = server.base_url
        yield provider, demo


def _provider_name(base_url: str) -> str:
    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    return "openai" if host == "api.openai.com" else host


def subtitle(provider: Provider, demo: bool) -> str:
    """What the header says about where answers come from."""
    mode = "" if provider.stream else " · no-stream"
    if demo:
        return f"demo model (offline){mode} · set OPENAI_API_KEY or --base-url for a real model"
    return f"{provider.name} · {provider.model}{mode}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run tuichat: a subcommand, or the full-screen app."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SUBCOMMANDS:
        import importlib

        module = importlib.import_module(SUBCOMMANDS[arguments[0]])
        return int(module.run(arguments))
    args = parse_args(arguments)
    with provider_session(args, dict(os.environ)) as (provider, demo):
        from tuichat.ui.app import TuichatApp

        conversation = Conversation(
            ChatClient(provider),
            default_registry(),
            system_prompt=args.system,
            max_tool_rounds=args.max_tool_rounds,
        )
        from tuichat.storage.paths import resolve_db_path

        app = TuichatApp(
            conversation,
            demo=demo,
            welcome=DEMO_WELCOME if demo else None,
            history_path=resolve_db_path(args.db),
            resume="last" if args.resume_last else args.conversation,
        )
        app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
