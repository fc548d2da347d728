"""`tuichat config path|show|example`: where the config file is, what tuichat makes of it,
and a commented example to start from."""

from __future__ import annotations

import argparse
import importlib.resources
import os
import sys
from collections.abc import Sequence

from tuichat.commands import write_output
from tuichat.config.document import settings_toml
from tuichat.config.load import load_settings
from tuichat.config.paths import config_file
from tuichat.config.provider import resolve_provider, wants_demo
from tuichat.config.settings import ConfigError, Settings, UnknownProfileError


def _parser() -> argparse.ArgumentParser:
    # --config is accepted before and after the action; SUPPRESS keeps the action's parser
    # from resetting a value given before it.
    config_option = argparse.ArgumentParser(add_help=False)
    config_option.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS, help="the config file to use"
    )
    parser = argparse.ArgumentParser(
        prog="tuichat config",
        description="Inspect tuichat's configuration.",
        parents=[config_option],
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("path", parents=[config_option], help="print the config file's path")
    actions.add_parser(
        "show",
        parents=[config_option],
        help="print the effective settings as TOML (API keys and auth headers redacted)",
    )
    actions.add_parser("example", parents=[config_option], help="print a commented example config")
    return parser


def run(argv: Sequence[str]) -> int:
    """Run `tuichat config ...`.

    Args:
        argv: the whole command line after the program name, starting with "config".

    Returns:
        The exit status: 0, 1 for a config file problem, 2 for a usage error.
    """
    arguments = list(argv)[1:] if list(argv)[:1] == ["config"] else list(argv)
    try:
        args = _parser().parse_args(arguments)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    explicit = getattr(args, "config", None)
    path = config_file(explicit)
    if args.action == "path":
        write_output(sys.stdout, f"{path}\n")
        if not path.exists():
            print(f"(not created yet: tuichat config example > {path})", file=sys.stderr)
        return 0
    if args.action == "example":
        write_output(sys.stdout, example_text())
        return 0
    try:
        settings = load_settings(path, required=explicit is not None)
    except ConfigError as error:
        print(f"tuichat: {error}", file=sys.stderr)
        return 1
    for warning in settings.warnings:
        print(f"tuichat: warning: {warning}", file=sys.stderr)
    # `| head` may close the pipe early: that is a success.
    write_output(sys.stdout, _summary(settings, path) + "\n" + settings_toml(settings, redact=True))
    return 0


def example_text() -> str:
    """The commented example config shipped with tuichat."""
    return (
        importlib.resources.files("tuichat.config")
        .joinpath("example.toml")
        .read_text(encoding="utf-8")
    )


def _summary(settings: Settings, path: os.PathLike[str]) -> str:
    source = (
        f"{path}"
        if settings.path is not None and os.path.exists(path)
        else f"{path} (no file: defaults)"
    )
    lines = [
        f"# Effective settings: defaults and presets, overridden by {source}.",
        "# API keys and auth-like header values are redacted.",
    ]
    environ = dict(os.environ)
    try:
        if wants_demo(settings, None, {}, environ):
            lines.append(
                "# Without options tuichat would use: the offline demo model (no key, no base URL)."
            )
        else:
            provider = resolve_provider(settings, None, {}, environ)
            key = (
                f"from ${provider.api_key_env}"
                if provider.api_key_env and environ.get(provider.api_key_env)
                else ("from the file" if provider.api_key else "none")
            )
            lines.append(
                f"# Without options tuichat would use: {provider.name} at {provider.base_url}, "
                f"model {provider.model}, key {key}."
            )
    except UnknownProfileError:  # cannot happen after load_settings checked `profile`
        pass
    return "\n".join(lines)
