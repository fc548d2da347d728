"""What the demo model answers when it is asked to summarise a transcript.

A request whose last user message holds `<message role="...">` blocks and asks for a summary
(the app's Context screen sends one, `tuichat.session.context_summary`) gets one made from
them: what the user asked, what the assistant answered, the tools called, the code
identifiers mentioned, and what is still open. The demo reads first sentences, where a real
model would write a faithful summary, and says so.

Stdlib only: the import-linter contract keeps `textual` and `rich` out of this package.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tuichat.demo.replies import Scripted
from tuichat.demo.understanding import last_user_text, message_text, words_re

__all__ = ["summary_reply"]

_ASKS = words_re("summarise", "summarize", "summary", "summarising", "summarizing")
_BLOCK = re.compile(r'<message role="(\w+)"[^>]*>\n(.*?)\n</message>', re.DOTALL)
_CALLED = re.compile(r"\[called the tool ([\w.-]+)")
# `quoted`, or snake_case, camelCase, CamelCase words
_IDENTIFIER = re.compile(
    r"`([^`\n]{1,40})`|\b([a-z]+_[a-z0-9_]+|[a-z]+[A-Z]\w+|[A-Z][a-z]+[A-Z]\w*)\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s")
LISTED = 4  # prompts or answers listed; more are counted
IDENTIFIERS = 8
SENTENCE = 120  # characters of a sentence kept


def _first_sentence(text: str) -> str:
    """The first sentence of a message's first line with words on it, Markdown marks gone."""
    text = re.sub(r"\[called the tool .*?\]", "", text)
    for line in text.splitlines():
        line = re.sub(r"^[#>*\-\s]+|[*_]{2}", "", line).strip()
        if line and not line.startswith(("```", "|", "<")):
            sentence = _SENTENCE_END.split(line, maxsplit=1)[0]
            return sentence if len(sentence) <= SENTENCE else sentence[: SENTENCE - 1] + "…"
    return ""


def _listed(label: str, sentences: Sequence[str]) -> list[str]:
    lines = [f"- {label} “{sentence}”" for sentence in sentences[:LISTED] if sentence]
    if len(sentences) > LISTED:
        lines.append(f"- … and {len(sentences) - LISTED} more.")
    return lines


def _identifiers(texts: Sequence[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for quoted, bare in _IDENTIFIER.findall(text):
            name = (quoted or bare).strip()
            if name and name not in found:
                found.append(name)
    return found[:IDENTIFIERS]


def summarise_blocks(blocks: Sequence[tuple[str, str]]) -> str:
    """A summary of (role, text) messages, in Markdown."""
    asked = [_first_sentence(text) for role, text in blocks if role == "user"]
    answered = [_first_sentence(text) for role, text in blocks if role == "assistant"]
    tools = sorted({name for _, text in blocks for name in _CALLED.findall(text)})
    lines = _listed("The user asked:", asked) + _listed("The assistant answered:", answered)
    if tools:
        lines.append("- Tools called: " + ", ".join(f"`{name}`" for name in tools) + ".")
    names = _identifiers([text for _, text in blocks])
    if names:
        lines.append("- Identifiers mentioned: " + ", ".join(f"`{n}`" for n in names) + ".")
    last_role, last_text = blocks[-1]
    if last_role == "user":
        lines.append(f"- Still open: “{_first_sentence(last_text)}” has no answer yet.")
    else:
        lines.append("- Still open: nothing was left unanswered.")
    lines.append(
        "\n*(The offline demo model lists first sentences; a real model writes a faithful "
        "summary.)*"
    )
    return "\n".join(lines)


def summary_reply(messages: list[dict[str, Any]]) -> Scripted | None:
    """The answer to a request for a summary of a transcript, or None when it is not one."""
    prompt = last_user_text(messages)
    system = " ".join(message_text(m) for m in messages if m.get("role") == "system")
    if not (_ASKS.search(prompt) or _ASKS.search(system)):
        return None
    blocks = [(role, text.strip()) for role, text in _BLOCK.findall(prompt)]
    if not blocks:
        return None
    return Scripted(text=summarise_blocks(blocks))
