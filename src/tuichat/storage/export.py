"""Conversations as Markdown (to read) and JSON (OpenAI's messages format, to reuse).

The JSON holds `messages` exactly as OpenAI's chat API takes them (send them again as they
are) and, beside them, `tuichat`: one entry per message with everything else tuichat kept
(reasoning, usage, timing, how it ended, ...). Together they are the whole stored message.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from tuichat.core.messages import WIRE_KEYS, wire_message
from tuichat.core.text import counted
from tuichat.storage.branches import Branch, BranchTree
from tuichat.storage.context import summary_text
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import ConversationSummary, Message
from tuichat.storage.store import HistoryStore

ExportFormat = Literal["md", "json"]
FORMATS: tuple[ExportFormat, ...] = ("md", "json")
_BACKTICKS = re.compile(r"`+")


def format_time(timestamp: float, *, seconds: bool = False) -> str:
    """A Unix time as local `YYYY-MM-DD HH:MM` (with `:SS` when asked)."""
    moment = datetime.fromtimestamp(timestamp)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def iso_time(timestamp: float) -> str:
    """A Unix time as ISO 8601 with the local offset."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def fenced(text: str, language: str = "") -> str:
    """A Markdown code block that the text cannot close early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


def _json_block(text: str) -> str:
    """Pretty-printed JSON in a json block, or the text as it is when it is not JSON."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return fenced(text)
    return fenced(json.dumps(value, indent=2, ensure_ascii=False), "json")


def chat_message(message: Message) -> Message:
    """A message in OpenAI's chat format, with tuichat's `reasoning`, `finish_reason` and `usage`.

    Tool calls keep only `id`, `type` and `function` (`name`, `arguments` as the JSON text
    received); `timing`, `cancelled` and `error` are left out.
    """
    role = message.get("role")
    out: Message = {"role": role, "content": message.get("content")}
    if message.get("tool_calls"):
        out["tool_calls"] = [
            {
                "id": call.get("id"),
                "type": call.get("type", "function"),
                "function": {
                    "name": (call.get("function") or {}).get("name"),
                    "arguments": (call.get("function") or {}).get("arguments"),
                },
            }
            for call in message["tool_calls"]
        ]
    if "tool_call_id" in message:
        out["tool_call_id"] = message["tool_call_id"]
    if "name" in message:
        out["name"] = message["name"]
    if role == "assistant":
        out["reasoning"] = message.get("reasoning")
        out["finish_reason"] = message.get("finish_reason")
        out["usage"] = message.get("usage")
    return out


def _assistant_notes(message: Message) -> list[str]:
    notes: list[str] = []
    if message.get("cancelled"):
        notes.append("cancelled")
    error = message.get("error")
    if isinstance(error, dict):
        notes.append(f"failed: {error.get('message') or error.get('kind')}")
    usage = message.get("usage")
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if prompt is not None or completion is not None:
            notes.append(f"{prompt or 0} prompt + {completion or 0} completion tokens")
    timing = message.get("timing")
    if isinstance(timing, dict) and isinstance(timing.get("duration"), int | float):
        notes.append(f"{timing['duration']:.1f} s")
    return notes


def export_markdown(
    summary: ConversationSummary, messages: list[Message], branch: int | None = None
) -> str:
    """The conversation as readable Markdown.

    Each message gets a role heading; tool calls show their name and arguments (a json
    block), tool results follow, reasoning sits in a collapsed, quoted section. A message
    left out of what is sent says so in its heading; a summary sent in place of some
    messages is headed as one.

    Args:
        summary: the conversation (title, model, dates).
        messages: its messages, as `load_messages` returns them.
        branch: the number of the branch they are (said when the conversation has several).
    """
    parts = [f"# {summary.title}"]
    meta = [format_time(summary.created)]
    if summary.model:
        meta.append(f"{summary.model} ({summary.provider})" if summary.provider else summary.model)
    meta.append(f"conversation {summary.id}")
    if summary.branch_count > 1:
        which = f"branch {branch}" if branch is not None else "a part of a branch"
        meta.append(f"{which} of {summary.branch_count}")
    parts.append("*" + " · ".join(meta) + "*")
    tool_names: dict[str, str] = {}
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        text = content if isinstance(content, str) else _parts_text(content)
        left_out = LEFT_OUT if message.get("left_out") else ""
        if "summary" in message:
            parts.extend(_summary_lines(message, text, left_out))
        elif role == "assistant":
            parts.append(f"## Assistant{left_out}")
            reasoning = message.get("reasoning")
            if reasoning:
                quoted = "\n".join(f"> {line}" if line else ">" for line in reasoning.splitlines())
                parts.append(f"<details>\n<summary>Reasoning</summary>\n\n{quoted}\n\n</details>")
            if text:
                parts.append(text.rstrip())
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                name = function.get("name") or "?"
                tool_names[str(call.get("id"))] = name
                parts.append(f"**Tool call:** `{name}` (`{call.get('id')}`)")
                parts.append(_json_block(function.get("arguments") or "{}"))
            notes = _assistant_notes(message)
            if notes:
                parts.append("*" + " · ".join(notes) + "*")
        elif role == "tool":
            call_id = str(message.get("tool_call_id"))
            name = tool_names.get(call_id, message.get("name") or "tool")
            parts.append(f"### Tool result: `{name}` (`{call_id}`){left_out}")
            parts.append(_json_block(text or ""))
        else:
            parts.append(f"## {str(role).capitalize()}{left_out}")
            if text:
                parts.append(text.rstrip())
            parts.extend(_image_lines(message))
    return "\n\n".join(parts) + "\n"


LEFT_OUT = " *(left out of what is sent)*"


def _summary_lines(message: Message, text: str, left_out: str) -> list[str]:
    """A summary: what it stands for, who wrote it, the summary itself."""
    info = message.get("summary") or {}
    count = int(info.get("count") or 0)
    by = f" by {info['model']}" if info.get("model") else ""
    return [
        f"## Summary of {counted(count, 'message')}{left_out}",
        f"*Written{by}, sent in place of the messages it summarises (left out above).*",
        summary_text(text).rstrip(),
    ]


def _image_lines(message: Message) -> list[str]:
    """A line for each image a prompt attached (its text files are in its text)."""
    lines = []
    for item in message.get("attachments") or []:
        if isinstance(item, dict) and item.get("kind") == "image":
            size = f", {item['width']}×{item['height']}" if "width" in item else ""
            lines.append(f"*Image attached: `{item.get('name')}` ({item.get('mime')}{size})*")
    return lines


def _parts_text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return "" if content is None else str(content)


def summary_json(summary: ConversationSummary) -> dict[str, object]:
    """A conversation's id, title, times (ISO 8601), model, provider and how many branches
    it has, for JSON."""
    return {
        "id": summary.id,
        "title": summary.title,
        "created": iso_time(summary.created),
        "updated": iso_time(summary.updated),
        "model": summary.model,
        "provider": summary.provider,
        "branches": summary.branch_count,
    }


_CALL_KEYS = ("id", "type", "function")
_FUNCTION_KEYS = ("name", "arguments")


def api_message(message: Message) -> Message:
    """A stored message as OpenAI's chat API takes it, and nothing else.

    The message-level keys are what tuichat sends (`tuichat.core.messages.wire_message`);
    a tool call keeps `id`, `type` and `function` (`name`, `arguments`), the fields the API
    defines: what a provider added to one (Gemini's `extra_content`) is in `tuichat_fields`.
    """
    out = wire_message(message)
    if out.get("tool_calls"):
        out["tool_calls"] = [
            {
                **{key: call[key] for key in _CALL_KEYS if key in call and key != "function"},
                "function": {
                    key: value
                    for key, value in (call.get("function") or {}).items()
                    if key in _FUNCTION_KEYS
                },
            }
            for call in out["tool_calls"]
        ]
    return out


def tuichat_fields(message: Message) -> dict[str, Any]:
    """What tuichat keeps with a message besides `api_message` (an empty dict for most prompts).

    Answers: `reasoning`, `finish_reason`, `usage`, `timing`, `model`, and `cancelled` or
    `error`; tool results: `status`, `duration`, `output`, `full_content`; and, keyed by
    call id, a tool call's fields beyond the API's (`tool_call_extras`). A message left out
    of what is sent has `left_out: true`; a summary sent in place of some has `summary`
    (`count`, `model`, the ids of the `messages` and `summaries` it summarises).
    """
    fields = {key: value for key, value in message.items() if key not in WIRE_KEYS}
    extras: dict[str, Any] = {}
    for call in message.get("tool_calls") or []:
        extra = {key: value for key, value in call.items() if key not in _CALL_KEYS}
        function = call.get("function") or {}
        extra_function = {k: v for k, v in function.items() if k not in _FUNCTION_KEYS}
        if extra_function:
            extra["function"] = extra_function
        if extra:
            extras[str(call.get("id"))] = extra
    if extras:
        fields["tool_call_extras"] = extras
    return fields


def export_json(
    summary: ConversationSummary, messages: list[Message], branch: int | None = None
) -> str:
    """The conversation as JSON: `{"conversation": {...}, "messages": [...], "tuichat": [...]}`.

    `messages` are in OpenAI's chat format with only the keys the API defines (`role`,
    `content`, `tool_calls`, `tool_call_id`, `name`): `jq .messages` gives a list to send
    again as it is (the messages left out of what is sent and the summaries sent in place of
    some are all there: `tuichat[i]` flags them). `tuichat[i]` holds tuichat's own fields of
    `messages[i]` (see `tuichat_fields`), so nothing stored is left out. `conversation` says
    which branch they are (`branch`, a number; null when the conversation shown ends inside
    one) of how many (`branches`).
    """
    document = {
        "conversation": {**summary_json(summary), "branch": branch},
        "messages": [api_message(message) for message in messages],
        "tuichat": [tuichat_fields(message) for message in messages],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def pick_branch(tree: BranchTree, conversation_id: int, number: int, path: Path) -> Branch:
    """The branch with this number, or a `StorageError` that says how many there are.

    Args:
        tree: the conversation's tree.
        conversation_id: its id (for the message).
        number: the branch asked for (1 is the first, as the tree view and `--branches`
            number them).
        path: the database (for the error).
    """
    branch = tree.branch(number)
    if branch is None:
        count = len(tree.branches())
        raise StorageError(
            f"Conversation {conversation_id} has {count} branch{'' if count == 1 else 'es'}, "
            f"not {number} (see `tuichat export {conversation_id} --branches`).",
            kind="missing",
            path=path,
        )
    return branch


def branch_lines(tree: BranchTree) -> list[str]:
    """One line per branch, tab-separated: its number, `shown` for the branch shown, how
    many messages it has (the system prompt not counted), and where it differs from the
    others: its last message that has other versions, with its place among them."""
    lines: list[str] = []
    for branch in tree.branches():
        count = sum(1 for i in branch.path if tree.nodes[i].role != "system")
        depth = tree.fork_depth(branch)
        where = "no other versions"
        if depth is not None:
            node = tree.nodes[branch.path[depth]]
            versions = tree.versions(node.id)
            role = {"user": "prompt", "assistant": "answer"}.get(node.role, node.role)
            place = f"{versions.index(node.id) + 1}/{len(versions)}"
            where = f"{role} {place}: {node.preview}"
        fields = [str(branch.number), "shown" if branch.shown else "", f"{count} messages", where]
        lines.append("\t".join(" ".join(field.split()) for field in fields))
    return lines


def branch_messages(
    store: HistoryStore, conversation_id: int, branch: int | None
) -> tuple[list[Message], int | None]:
    """The messages of a branch (None: the branch shown) and its number (None when the
    conversation shown ends inside a branch).

    Raises:
        StorageError: no such branch (kind "missing").
    """
    tree = store.branch_tree(conversation_id)
    if branch is None:
        shown = tree.shown_branch()
        return store.load_messages(conversation_id), shown.number if shown else None
    chosen = pick_branch(tree, conversation_id, branch, store.path)
    rows = store.branch_rows(conversation_id, chosen.leaf)
    return [row.message for row in rows], chosen.number


def export_conversation(
    store: HistoryStore,
    conversation_id: int,
    fmt: ExportFormat = "md",
    *,
    branch: int | None = None,
) -> str:
    """Export one stored conversation: the branch shown last, or another.

    Args:
        store: the history.
        conversation_id: which conversation.
        fmt: `md` or `json`.
        branch: the number of the branch to export (see `branch_lines`); None: the branch
            shown last in the app.

    Raises:
        StorageError: no such conversation or branch (kind "missing"), or the file failed.
    """
    summary = store.get_conversation(conversation_id)
    if summary is None:
        raise StorageError(
            f"There is no conversation {conversation_id} in {store.path} (see `tuichat list`).",
            kind="missing",
            path=store.path,
        )
    messages, number = branch_messages(store, conversation_id, branch)
    if fmt == "json":
        return export_json(summary, messages, number)
    return export_markdown(summary, messages, number)
