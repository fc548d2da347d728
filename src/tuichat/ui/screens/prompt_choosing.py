"""Choosing a library prompt on the chat screen: F7's picker, the palette's "Prompt: NAME",
and `--role`'s template at start.

A prompt is the conversation's system prompt. Chosen on a conversation that has turns, it
starts a new one (the old one stays as it was saved, with its own prompt). A template, once
its variables are filled (`--var`, else a small form), is put in the prompt input: the user
reads it, edits it if need be, and sends it with Enter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from tuichat.config.prompt_library import PromptError, PromptSpec
from tuichat.session.prompts import has_turns, prompt_name
from tuichat.ui.screens.chat_part import ChatScreenPart
from tuichat.ui.screens.prompt_picker import NO_PROMPT, PromptPicker
from tuichat.ui.screens.prompt_variables import PromptVariables
from tuichat.ui.widgets.prompt import PromptInput

BUSY = "An answer is still arriving: Esc cancels it."


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen choosing a prompt uses (the screen imports this module)."""

    @property
    def prompt(self) -> PromptInput: ...

    def refresh_subtitle(self) -> None: ...

    async def new_conversation(self) -> bool: ...


def pick_prompt(chat: ChatScreen) -> None:
    """Open the picker of the session's prompt library."""
    library = chat.session.prompts
    if not library.prompts:
        chat.notify("The prompt library is empty (`tuichat prompts` says why).", severity="warning")
        return

    async def chosen(name: str | None) -> None:
        if name is not None:
            await use_prompt(chat, name)

    chat.app.push_screen(PromptPicker(library, prompt_name(chat.session.messages)), chosen)


async def use_prompt(chat: ChatScreen, name: str) -> None:
    """Make the prompt of this name (or `NO_PROMPT`) the conversation's, then ask for its
    template's variables."""
    if chat.busy:
        chat.notify(BUSY, severity="warning")
        return
    try:
        spec = None if name == NO_PROMPT else chat.session.prompts.get(name)
    except PromptError as error:
        chat.notify(str(error), severity="error")
        return
    session = chat.session
    started = has_turns(session.messages)
    if started and not await chat.new_conversation():
        return
    session.use_prompt(spec)
    chat.refresh_subtitle()
    what = f"Prompt: {spec.name}" if spec is not None else "No prompt"
    chat.notify(f"{what} (a new conversation)" if started else what)
    if spec is not None and spec.template is not None:
        offer_template(chat, spec, {})


def offer_template(chat: ChatScreen, spec: PromptSpec, values: Mapping[str, str]) -> None:
    """Put the prompt's filled template in the input; the variables not given are asked."""
    if all(name in values for name in spec.variables):
        _put_in_input(chat, spec.fill(values))
        return

    def filled(answers: dict[str, str] | None) -> None:
        if answers is not None:
            _put_in_input(chat, spec.fill(answers))

    chat.app.push_screen(PromptVariables(spec, values), filled)


def _put_in_input(chat: ChatScreen, text: str) -> None:
    prompt = chat.prompt
    prompt.load_text(text)
    prompt.move_cursor(prompt.document.end)
    prompt.focus()
