"""Summarising part of a conversation into one message sent in its place.

The model in use is asked, through the session's own client (the same path as every answer,
without tools), for a faithful, dense summary of the messages chosen: `SUMMARY_INSTRUCTION`
as the system message, then the messages as a transcript in one user message. The summary
becomes a user message (every OpenAI-compatible server takes one) whose first line says what
it is; it is sent after the last message it summarises, and those messages are left out
(`tuichat.session.context`). A request that fails or is cancelled changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from tuichat.core.accumulator import StreamState
from tuichat.core.events import TextDelta
from tuichat.core.text import counted
from tuichat.session.context import (
    BUSY,
    ContextError,
    ContextItem,
    ConversationContext,
    message_tokens,
)
from tuichat.session.events import Message, content_text
from tuichat.storage.context import summary_content, summary_text
from tuichat.storage.errors import StorageError

SUMMARY_INSTRUCTION = (
    "You summarise part of a conversation between a user and an AI assistant. Your summary "
    "will be sent to the assistant in place of those messages, so it must let the "
    "conversation go on as if they were still there.\n\n"
    "Write a faithful, dense summary:\n"
    "- keep every fact, figure, name, decision and conclusion, and who said it (the user or "
    "the assistant);\n"
    "- keep code identifiers, file names, commands, URLs and error messages exactly as "
    "written, in backticks;\n"
    "- keep what the tools were asked and what they returned, in short;\n"
    "- end with what is still open: questions not answered, next steps agreed.\n\n"
    "Add nothing that is not in the messages, do not comment on the conversation, and do not "
    "address anyone. Write in the language of the conversation, in Markdown (short "
    "paragraphs or bullet points), without a title."
)
"""The system message of a summary request."""


def _message_text(message: Message, names: dict[str, str]) -> str:
    text = content_text(message.get("content")).strip()
    if "summary" in message:
        text = summary_text(text)
    for part in message.get("attachments") or ():
        if isinstance(part, dict) and part.get("kind") == "image":
            text += f"\n[image attached: {part.get('name')}]"
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        name = str(function.get("name") or "?")
        names[str(call.get("id"))] = name
        text += f"\n[called the tool {name} with {function.get('arguments') or '{}'}]"
    return text.strip()


def transcript(items: Sequence[ContextItem]) -> str:
    """The items as a transcript, one `<message role="...">` block per message."""
    blocks: list[str] = []
    names: dict[str, str] = {}  # call id -> tool name
    for item in items:
        for message in item.messages:
            role = "user" if "summary" in message else str(message.get("role"))
            what = f'role="{role}"'
            if role == "tool":
                name = names.get(str(message.get("tool_call_id")), "tool")
                what += f" name={json.dumps(name)}"
            if "summary" in message:
                what += ' kind="earlier summary"'
            blocks.append(f"<message {what}>\n{_message_text(message, names)}\n</message>")
    return "\n".join(blocks)


def summary_request(items: Sequence[ContextItem]) -> list[Message]:
    """The messages of the request that asks for a summary of these items."""
    count = len(items)
    return [
        {"role": "system", "content": SUMMARY_INSTRUCTION},
        {
            "role": "user",
            "content": (
                f"Summarise these {counted(count, 'message')} of the conversation:\n\n"
                f"<messages>\n{transcript(items)}\n</messages>"
            ),
        },
    ]


async def write_summary(
    context: ConversationContext,
    items: Sequence[ContextItem],
    on_text: Callable[[int], None] | None = None,
) -> ContextItem:
    """Ask the model in use for a summary of these items and send it in their place.

    Items left out already, and the system prompt, are not summarised. The summary is saved
    with the conversation (when it is saved) and put after the last item summarised; they
    are left out.

    Args:
        context: the session's context.
        items: the items marked, in order.
        on_text: told how many characters of the summary have arrived, as they do.

    Returns:
        The summary's item.

    Raises:
        ContextError: nothing to summarise, an answer is arriving, or the request failed
            (nothing changed then). Cancelling the call cancels the request, changing nothing.
    """
    host = context.host
    if host.turn_running:
        raise ContextError(BUSY)
    chosen = [item for item in items if not item.left_out and item.kind != "system"]
    if not chosen:
        raise ContextError(
            "Nothing to summarise: the messages marked are left out already (or are the "
            "system prompt)."
        )
    state = StreamState()
    written = 0
    async for batch in host.client.complete(summary_request(chosen), None, state):
        for event in batch:
            if isinstance(event, TextDelta):
                written += len(event.text)
        if on_text is not None:
            on_text(written)
    if state.error is not None:
        why = state.error.message.rstrip(". ")
        raise ContextError(f"The summary failed: {why}. Nothing changed.")
    text = content_text(state.final_message().get("content")).strip()
    if not text:
        raise ContextError("The model wrote an empty summary. Nothing changed.")
    if host.turn_running:  # a prompt was sent while it was written
        raise ContextError(BUSY)
    return await _put_in_place(context, chosen, text, state.final_usage)


async def _put_in_place(
    context: ConversationContext,
    chosen: Sequence[ContextItem],
    text: str,
    usage: dict[str, Any] | None,
) -> ContextItem:
    """Insert the summary after the last item summarised (after the summaries already there,
    as the history orders them) and leave the items out, saving both."""
    host = context.host
    messages = host.messages
    model = host.client.provider.model
    ids = await context.stored_ids()
    last = next((i for i, m in enumerate(messages) if m is chosen[-1].messages[-1]), None)
    if last is None:
        raise ContextError("The conversation changed meanwhile. Nothing changed.")
    anchor = next(i for i in range(last, -1, -1) if "summary" not in messages[i])
    index = last + 1
    while index < len(messages) and "summary" in messages[index]:
        index += 1
    count = len(chosen)
    info: dict[str, Any] = {"id": None, "count": count, "model": model}
    summary: Message = {"role": "user", "content": summary_content(count, model, text)}
    summary["summary"] = info
    covered = [message for item in chosen for message in item.messages]
    changes: list[tuple[ContextItem | Message, bool]] = [(item, True) for item in chosen]
    saving = context.saving()
    saved = False
    after_id = ids[anchor]
    if saving is not None and after_id is not None and all(item.ids for item in chosen):
        history, conversation_id = saving
        info["messages"] = [i for item in chosen if item.summary is None for i in item.ids]
        info["summaries"] = [i for item in chosen if item.summary is not None for i in item.ids]
        try:
            info["id"] = await history.add_summary(
                conversation_id,
                after_id,
                messages=info["messages"],
                summaries=info["summaries"],
                count=count,
                content=summary["content"],
                model=model,
                usage=usage,
            )
            saved = True
        except StorageError as error:
            host.note(str(error), "Not saved", "error")
    messages.insert(index, summary)
    context.add_covers(summary, covered)
    context.changes.record(messages, summary, message_tokens(summary))
    await context.mark(changes)  # saved already, with the summary, in one write
    if not saved and saving is not None:
        host.note(
            "The summary is used in this session only: this conversation is not saved as it "
            "is shown.",
            "Not saved",
            "warning",
        )
    ids_of_summary = [info["id"]] if saved else []
    return ContextItem("summary", [summary], ids_of_summary, message_tokens(summary))
