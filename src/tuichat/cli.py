"""The command line: options -> settings -> a session -> the full-screen app (or a command)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tuichat.config.settings import ConfigError

# `tuichat NAME ...` runs the module's `run(argv) -> int` instead of the full-screen app.
SUBCOMMANDS: dict[str, str] = {
    "ask": "tuichat.commands.ask",
    "list": "tuichat.commands.history",
    "export": "tuichat.commands.history",
    "config": "tuichat.commands.config",
    "serve": "tuichat.commands.serve",
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The full-screen app's options."""
    from tuichat.session.options import add_app_arguments, add_session_arguments

    parser = argparse.ArgumentParser(
        prog="tuichat",
        description="A full-screen terminal chat client for OpenAI-compatible APIs.",
        epilog="Commands: " + ", ".join(sorted(SUBCOMMANDS)) + " (tuichat COMMAND --help).",
    )
    add_session_arguments(parser)
    add_app_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run tuichat: a subcommand, or the full-screen app."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SUBCOMMANDS:
        import importlib

        module = importlib.import_module(SUBCOMMANDS[arguments[0]])
        return int(module.run(arguments))
    args = parse_args(arguments)
    from tuichat.config.load import load_config_file
    from tuichat.config.theme_files import load_all_theme_specs
    from tuichat.config.validate import check_theme
    from tuichat.session import SessionOptions, build_session
    from tuichat.ui.app import TuichatApp
    from tuichat.ui.themes import available_theme_names

    resume = "last" if args.resume_last else args.conversation
    options = SessionOptions.from_args(args, resume=resume)
    try:
        settings = load_config_file(options.config)
        theme_specs, theme_problems = load_all_theme_specs()
        theme = check_theme(settings, available_theme_names(theme_specs), args.theme)
        session = build_session(settings, options, dict(os.environ))
    except ConfigError as error:
        print(f"tuichat: {error}", file=sys.stderr)
        return 1
    app = TuichatApp(
        session,
        theme_specs=theme_specs,
        theme=theme,
        notices=[*settings.warnings, *theme_problems],
    )
    # Start-up objects never die: keep them out of the collector's full passes, which
    # otherwise scan them on every one (pauses while scrolling long conversations).
    import gc

    gc.freeze()
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
