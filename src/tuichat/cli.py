"""The command line: options -> a provider -> the full-screen app."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tuichat.config.load import load_settings
from tuichat.config.paths import config_file
from tuichat.config.profiles import DEFAULT_MODEL, PRESETS
from tuichat.config.provider import resolve_profile, resolve_provider, wants_demo
from tuichat.config.settings import ConfigError, Settings
from tuichat.core.client import ChatClient, Provider
from tuichat.core.conversation import DEFAULT_MAX_TOOL_ROUNDS, Conversation

DEMO_MODEL = "tuichat-demo"
DEMO_TOKENS_PER_SECOND = 60.0

DEMO_WELCOME = (
    "You are talking to tuichat's built-in demo model: it runs offline, inside tuichat, "
    "behind a real OpenAI-compatible HTTP server on 127.0.0.1.\n"
    "Try: hello · 안녕하세요 · show me some markdown · write something long · "
    "what time is it in Seoul and New York? · 서울과 뉴욕의 현재 시간은? · "
    'call calculate {"expression": "6*7"} (any tool, yours too: F5 lists them)\n'
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
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: see `tuichat config path`)"
    )
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
    parser.add_argument("--system", help="system prompt")
    parser.add_argument(
        "--no-tools", action="store_true", help="offer the model no tools (and start no MCP server)"
    )
    parser.add_argument(
        "--max-tool-rounds",
        type=int,
        help="tool rounds per turn before tuichat stops asking "
        f"(default: {DEFAULT_MAX_TOOL_ROUNDS})",
    )
    parser.add_argument("--timeout", type=float, help="request timeout in seconds (default: 60)")


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
        "-c",
        "--continue",
        dest="resume_last",
        action="store_true",
        help="reopen the last conversation",
    )
    resume.add_argument("--conversation", type=int, metavar="ID", help="reopen conversation ID")
    parser.add_argument(
        "--theme", metavar="NAME", help="the theme (default: the config's, tuichat-dark)"
    )
    return parser.parse_args(argv)


def load_config(args: argparse.Namespace) -> Settings:
    """The config file `--config` names, else the default one (missing: defaults).

    Raises:
        ConfigError: the file is broken (the message names file, line and key).
    """
    explicit = getattr(args, "config", None)
    return load_settings(config_file(explicit), required=explicit is not None)


def provider_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The options that override the profile (None: not given)."""
    return {
        "base_url": args.base_url,
        "model": args.model,
        "api_key_env": args.api_key_env,
        "stream": False if args.no_stream else None,
        "timeout": args.timeout,
    }


def choose_provider(
    args: argparse.Namespace, environ: dict[str, str], settings: Settings | None = None
) -> tuple[Provider, bool]:
    """Pick the provider: options > environment > config file > presets.

    Returns:
        The provider and whether it is the built-in demo (whose base URL is filled in once
        its server has started).

    Raises:
        ConfigError: a broken config file, or `--profile` names no profile.
    """
    settings = load_config(args) if settings is None else settings
    profile = getattr(args, "profile", None)
    overrides = provider_overrides(args)
    if args.demo or wants_demo(settings, profile, overrides, environ):
        provider = Provider(base_url="", model=args.model or DEMO_MODEL, name="demo", max_retries=0)
        provider.stream = not args.no_stream
        if args.timeout is not None:
            provider.timeout = args.timeout
        return provider, True
    return resolve_provider(settings, profile, overrides, environ), False


@contextmanager
def provider_session(
    args: argparse.Namespace, environ: dict[str, str], settings: Settings | None = None
) -> Iterator[tuple[Provider, bool]]:
    """The provider the options choose, with the demo server running when it is the demo.

    Yields:
        The provider and whether it is the built-in demo.
    """
    provider, demo = choose_provider(args, environ, settings)
    if not demo:
        yield provider, demo
        return
    from tuichat.demo.server import ChatServer

    with ChatServer(tokens_per_second=DEMO_TOKENS_PER_SECOND) as server:
        provider.base_url = server.base_url
        yield provider, demo


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
    from tuichat.config.theme_files import load_all_theme_specs
    from tuichat.config.validate import check_theme
    from tuichat.ui.themes import available_theme_names

    try:
        settings = load_config(args)
        profile = resolve_profile(settings, args.profile)
        theme_specs, theme_problems = load_all_theme_specs()
        theme = check_theme(settings, available_theme_names(theme_specs), args.theme)
    except ConfigError as error:
        print(f"tuichat: {error}", file=sys.stderr)
        return 1
    with provider_session(args, dict(os.environ), settings) as (provider, demo):
        from tuichat.tools.setup import build_registry, policy_function
        from tuichat.ui.app import TuichatApp

        # User tools load here (their import problems join the start-up notice); MCP servers
        # start in the app, without holding up its first paint.
        tools, tool_problems = (None, []) if args.no_tools else build_registry(settings)
        conversation = Conversation(
            ChatClient(provider),
            tools,
            policy=policy_function(tools, settings) if tools is not None else None,
            result_limit=settings.tools.result_limit,
            system_prompt=args.system or profile.system_prompt,
            max_tool_rounds=(
                settings.max_tool_rounds if args.max_tool_rounds is None else args.max_tool_rounds
            ),
            tool_timeout=settings.tool_timeout,
        )
        app = TuichatApp(
            conversation,
            demo=demo,
            welcome=DEMO_WELCOME if demo else None,
            history_path=settings.database_path(args.db),
            resume="last" if args.resume_last else args.conversation,
            save_raw_chunks=settings.history.save_raw_chunks,
            settings=settings,
            theme_specs=theme_specs,
            theme=theme,
            config_path=config_file(args.config),
            notices=[*settings.warnings, *theme_problems, *tool_problems],
        )
        # Start-up objects never die: keep them out of the collector's full passes, which
        # otherwise scan them on every one (pauses while scrolling long conversations).
        import gc

        gc.freeze()
        app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
