"""A conversation's prompt from the library: its system message, and which prompt it was.

The system message of a conversation started with a library prompt carries the prompt's name
under the key `prompt` (not sent: only the API's keys go on the wire). The history keeps it
with the message, so a reopened conversation still says which prompt it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from tuichat.config.prompt_library import PromptError, PromptSpec

if TYPE_CHECKING:  # the events module (and the core events it brings) is not needed to check
    from tuichat.session.events import Message

PROMPT_KEY = "prompt"


def system_message(spec: PromptSpec) -> Message:
    """The system message of a conversation that uses this prompt."""
    return {"role": "system", "content": spec.system, PROMPT_KEY: spec.name}


def prompt_name(messages: list[Message]) -> str | None:
    """The library prompt the conversation uses (its system message says), if any."""
    first = messages[0] if messages else None
    if first is None or first.get("role") != "system":
        return None
    name = first.get(PROMPT_KEY)
    return name if isinstance(name, str) else None


def has_turns(messages: list[Message]) -> bool:
    """Whether anything besides the system prompt was said."""
    return any(message.get("role") != "system" for message in messages)


def set_system(messages: list[Message], spec: PromptSpec | None) -> None:
    """Make the conversation's system message this prompt's (None: no system message)."""
    if messages and messages[0].get("role") == "system":
        del messages[0]
    if spec is not None:
        messages.insert(0, system_message(spec))


def check_values(spec: PromptSpec | None, values: Mapping[str, str]) -> None:
    """Refuse `--var` values the prompt has no variable for.

    Raises:
        PromptError: values without a `--role`, for a prompt without a template, or for a
            variable the template does not have.
    """
    if not values:
        return
    if spec is None:
        raise PromptError("--var gives a value to a --role prompt's template: add --role NAME")
    if spec.template is None:
        raise PromptError(f"the prompt {spec.name!r} has no template: --var has nothing to fill")
    unknown = [name for name in values if name not in spec.variables]
    if unknown:
        raise PromptError(
            f"the prompt {spec.name!r} has no variable {', '.join(map(repr, unknown))} "
            f"(its variables: {', '.join(spec.variables)})"
        )


def first_message(spec: PromptSpec, values: Mapping[str, str], typed: str = "") -> str:
    """The user message of a prompt: its filled template, or what was typed.

    With a template, what was typed (the prompt argument, stdin) fills the one variable the
    values leave out (`tuichat ask --role translate --var language=French "Bonjour"`); when
    the values fill them all, it follows the filled template after a blank line.

    Raises:
        PromptError: variables have no value.
    """
    if spec.template is None:
        return typed
    values = dict(values)
    missing = [name for name in spec.variables if name not in values]
    if typed.strip() and len(missing) == 1:
        values[missing[0]] = typed
        typed = ""
    filled = spec.fill(values)
    return f"{filled}\n\n{typed}" if typed.strip() else filled


__all__ = [
    "PROMPT_KEY",
    "PromptError",
    "check_values",
    "first_message",
    "has_turns",
    "prompt_name",
    "set_system",
    "system_message",
]
