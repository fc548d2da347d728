"""What of a history message goes on the wire: the keys OpenAI's chat API defines.

The conversation's messages also carry what the model does not need back but the user does
(reasoning, usage, timing, how an answer or a tool call ended, ...). The tool loop
(`tuichat.session.conversation`) sends only the API's part, and `tuichat export --format json`
(`tuichat.storage.export`) writes the same part as `messages`: one rule, here, for both.
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]

WIRE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")
"""The keys of a chat message that OpenAI's API defines (and the request sends)."""


def wire_message(message: Message) -> Message:
    """The message as the API expects it: only the standard keys.

    Tool calls are kept as the model sent them (some providers need their own fields back,
    e.g. Gemini's `extra_content`); an assistant message with neither text nor tool calls
    gets empty text, which servers accept where some refuse a null.
    """
    out = {key: message[key] for key in WIRE_KEYS if key in message}
    if out.get("role") == "assistant" and out.get("content") is None and not out.get("tool_calls"):
        out["content"] = ""  # some servers reject an assistant message with neither
    return out
