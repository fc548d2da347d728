"""The command line: options -> settings -> a session -> the full-screen app (or a command)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tuichat.config.settings import ConfigError

if TYPE_CHECKING:
    from tuichat.commands.replay import Replay
    from tuichat.ui.app import TuichatApp

# `tuichat NAME ...` runs the module's `run(argv) -> int` instead of the full-screen app.
SUBCOMMANDS: dict[str, str] = {
    "ask": "tuichat.commands.ask",
    "list": "tuichat.commands.history",
    "export": "tuichat.commands.history",
    "config": "tuichat.commands.config",
    "replay": "tuichat.commands.replay",
    "probe": "tuichat.commands.probe",
    "prompts": "tuichat.commands.prompts",
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
        if arguments[0] == "replay":  # its full-screen half is the app's: commands cannot
            return int(module.run(arguments, show=show_replay))
        return int(module.run(arguments))
    args = parse_args(arguments)
    from tuichat.config.load import load_config_file
    from tuichat.config.theme_files import load_all_theme_specs
    from tuichat.config.validate import check_theme
    from tuichat.session.compare_targets import CompareSpecError, parse_targets
    from tuichat.session.options import SessionOptions
    from tuichat.session.plan import plan_session
    from tuichat.ui.app import TuichatApp
    from tuichat.ui.themes import available_theme_names

    resume = "last" if args.resume_last else args.conversation
    options = SessionOptions.from_args(args, resume=resume)
    try:
        settings = load_config_file(options.config)
        if args.compare is not None:  # the profiles it may name are the settings'
            options = replace(options, compare=parse_targets(args.compare, settings))
        theme_specs, theme_problems = load_all_theme_specs()
        theme = check_theme(settings, available_theme_names(theme_specs), args.theme)
        # Checked now (a mistake is said here, on the terminal); built behind the first frame.
        plan = plan_session(settings, options, dict(os.environ))
    except ConfigError as error:
        print(f"tuichat: {error}", file=sys.stderr)
        return 1
    except CompareSpecError as error:
        print(f"tuichat: --compare: {error}", file=sys.stderr)
        return 2
    app = TuichatApp(
        plan,
        theme_specs=theme_specs,
        theme=theme,
        notices=[*settings.warnings, *theme_problems],
    )
    return _run_app(app)


# Textual's `AutopilotCallbackType`: an async function given a `Pilot` once the app runs (the
# command line may not import Textual itself, not even for a type).
AutoPilot = Callable[[Any], Coroutine[Any, Any, None]]


def _run_app(app: TuichatApp, auto_pilot: AutoPilot | None = None) -> int:
    # Start-up objects never die: keep them out of the collector's full passes, which
    # otherwise scan them on every one (pauses while scrolling long conversations).
    import gc

    gc.freeze()
    app.run(auto_pilot=auto_pilot)
    return app.return_code or 0


def show_replay(replay: Replay) -> int:
    """`tuichat replay FILE` without `--json`: the app on the replay session, which sends the
    recorded prompt as soon as the chat screen is up (as if it had been typed)."""
    from tuichat.config.theme_files import load_all_theme_specs
    from tuichat.config.validate import check_theme
    from tuichat.ui.app import TuichatApp
    from tuichat.ui.themes import available_theme_names
    from tuichat.ui.widgets.prompt import PromptInput

    settings = replay.settings
    try:
        theme_specs, theme_problems = load_all_theme_specs()
        theme = check_theme(settings, available_theme_names(theme_specs), None)
    except ConfigError as error:
        print(f"tuichat replay: {error}", file=sys.stderr)
        return 1
    app = TuichatApp(
        replay.session,
        subtitle=f"replay of {replay.name}",
        welcome="",
        theme_specs=theme_specs,
        theme=theme,
        notices=[*settings.warnings, *theme_problems],
    )

    async def send_the_recorded_prompt(pilot: Any) -> None:  # a textual Pilot
        while app.chat is None or not app.chat.is_mounted:
            await pilot.pause(0.02)
        chat = app.chat
        chat.prompt.post_message(PromptInput.Submitted(chat.prompt, replay.prompt))

    return _run_app(app, send_the_recorded_prompt)


if __name__ == "__main__":
    sys.exit(main())
