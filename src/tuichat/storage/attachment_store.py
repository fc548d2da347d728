"""Files attached to prompts, each stored once by content hash.

A user message keeps what was sent: its text files as fenced blocks after the typed text, its
images as `image_url` parts with base64 data URLs. The history keeps each file's bytes once,
in the `attachments` table keyed by their SHA-256 (the hash its summary in `attachments`
names), and the message keeps references instead:

- an image part's URL becomes `tuichat-attachment:HASH`;
- a text file's block leaves the message's text, and its summary keeps what framed the file
  (`stored`: the lines before it, the fence after it) so the block is put back exactly, and
  how many of its lines the summary's preview showed (the preview is made again from them).

Reading a message (`restore`) undoes both, so a reopened conversation sends byte for byte what
it sent. Full-text search finds the files' text through a column of its own
(`tuichat.storage.schema.SCHEMA_V6`), which reads it from the `attachments` table.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sqlite3
from typing import Any

from tuichat.storage.rows import Message

REFERENCE = "tuichat-attachment:"
"""How a stored message's image part names its bytes in the `attachments` table."""

STORED = "stored"
"""The key of a stored text file's summary that says how to put the file back in the message:
`{"before": its name and opening fence line, "after": its closing fence, "preview_lines": N}`
(N, when the summary's `preview` was the file's first N lines: it is stored as null)."""

_DATA_URL = "data:"


def stash(connection: sqlite3.Connection, message: Message) -> Message:
    """The message as stored: each attached file's bytes saved once, a reference in its place.

    Call inside the transaction that writes the message.
    """
    return _stash_images(connection, stash_text_files(connection, message))


def restore(connection: sqlite3.Connection, message: Message) -> Message:
    """The message as it was sent: its stored references turned back into what they name."""
    return _restore_images(connection, _restore_text_files(connection, message))


def _save(connection: sqlite3.Connection, data: bytes, mime: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    connection.execute(
        "INSERT OR IGNORE INTO attachments (sha256, mime, size, data) VALUES (?, ?, ?, ?)",
        (digest, mime, len(data), data),
    )
    return digest


def _stored_data(connection: sqlite3.Connection, digest: str) -> tuple[str, bytes] | None:
    row = connection.execute(
        "SELECT mime, data FROM attachments WHERE sha256 = ?", (digest,)
    ).fetchone()
    return None if row is None else (str(row[0]), bytes(row[1]))


# -- text files ----------------------------------------------------------------------------


def _infos(message: Message) -> list[Any]:
    found = message.get("attachments")
    return list(found) if isinstance(found, list) else []


def _text_files(infos: list[Any]) -> list[dict[str, Any]]:
    return [info for info in infos if isinstance(info, dict) and info.get("kind") == "text"]


def _body(content: Any) -> str | None:
    """The text of a user message's content (its one text part), None when it has not one."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if len(texts) == 1 and isinstance(texts[0].get("text"), str):
            return str(texts[0]["text"])
    return None


def _with_body(content: Any, body: str) -> Any:
    if isinstance(content, str):
        return body
    return [
        {**part, "text": body} if isinstance(part, dict) and part.get("type") == "text" else part
        for part in content
    ]


def _split_block(block: str, info: dict[str, Any]) -> tuple[str, str, str] | None:
    """A file's block as (before, the file's text, after), the text checked against the hash
    in its summary; None when the block is not one `Attachment.block` wrote for that file."""
    name, digest = info.get("name"), info.get("sha256")
    head = f"\n\n{name}\n"
    if not isinstance(name, str) or not isinstance(digest, str) or not block.startswith(head):
        return None
    fence_end = block.find("\n", len(head))
    if fence_end < 0:
        return None
    before = block[: fence_end + 1]
    fence_line = block[len(head) : fence_end]
    fence = fence_line[: len(fence_line) - len(fence_line.lstrip("`"))]
    inner = block[len(before) :]
    if len(fence) < 3 or not inner.endswith(fence):
        return None
    inner = inner[: -len(fence)]
    if _digest(inner) == digest:
        return before, inner, fence
    # The block ends the file's text with a new line when it had none.
    if inner.endswith("\n") and _digest(inner[:-1]) == digest:
        return before, inner[:-1], "\n" + fence
    return None


def _preview(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[:lines])


def _preview_lines(text: str, preview: Any) -> int | None:
    """How many first lines of the file a summary's preview is (None: it is something else)."""
    if not isinstance(preview, str):
        return None
    for lines in (preview.count("\n") + 1, 0):
        if _preview(text, lines) == preview:
            return lines
    return None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stash_text_files(connection: sqlite3.Connection, message: Message) -> Message:
    """The message with its text files' blocks out of its text, each file saved once.

    A message whose blocks are not where and what its summaries say (an older or hand-made
    one) is kept as it is: its text still holds the files.
    """
    infos = _infos(message)
    files = _text_files(infos)
    body = _body(message.get("content"))
    if message.get("role") != "user" or not files or body is None:
        return message
    if any(STORED in info for info in files):
        return message  # stored already
    at = len(body)  # the blocks end the text, in the order of their summaries
    for length in (info.get("chars") for info in files):
        if not isinstance(length, int) or length <= 0:
            return message
        at -= length
    if at < 0:
        return message
    prefix = body[:at]
    framed: dict[int, tuple[str, str, str]] = {}
    for info in files:
        length = int(info["chars"])
        split = _split_block(body[at : at + length], info)
        if split is None:
            return message
        framed[id(info)] = split
        at += length
    stored: list[Any] = []
    for info in infos:
        split = framed.get(id(info)) if isinstance(info, dict) else None
        if split is None:
            stored.append(info)
            continue
        before, text, after = split
        _save(connection, text.encode("utf-8"), "text/plain")
        frame: dict[str, Any] = {"before": before, "after": after}
        shown = _preview_lines(text, info.get("preview"))
        if shown is not None:
            frame["preview_lines"] = shown
        stored.append({**info, **({"preview": None} if shown is not None else {}), STORED: frame})
    return {**message, "content": _with_body(message["content"], prefix), "attachments": stored}


def _restore_text_files(connection: sqlite3.Connection, message: Message) -> Message:
    infos = _infos(message)
    body = _body(message.get("content"))
    framed = [info for info in _text_files(infos) if isinstance(info.get(STORED), dict)]
    if not framed or body is None:
        return message
    restored: dict[int, dict[str, Any]] = {}
    for info in framed:
        frame = info[STORED]
        found = _stored_data(connection, str(info.get("sha256")))
        if found is None:
            continue  # its bytes are gone (a file edited by hand): left as it is
        text = found[1].decode("utf-8", "replace")
        body += f"{frame.get('before', '')}{text}{frame.get('after', '')}"
        summary = {key: value for key, value in info.items() if key != STORED}
        if isinstance(frame.get("preview_lines"), int):
            summary["preview"] = _preview(text, frame["preview_lines"])
        restored[id(info)] = summary
    return {
        **message,
        "content": _with_body(message["content"], body),
        "attachments": [restored.get(id(info), info) for info in infos],
    }


# -- images --------------------------------------------------------------------------------


def _image_url(part: Any) -> str | None:
    if isinstance(part, dict) and part.get("type") == "image_url":
        image = part.get("image_url")
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            return str(image["url"])
    return None


def _with_url(part: dict[str, Any], url: str) -> dict[str, Any]:
    return {**part, "image_url": {**part["image_url"], "url": url}}


def _stash_images(connection: sqlite3.Connection, message: Message) -> Message:
    content = message.get("content")
    if message.get("role") != "user" or not isinstance(content, list):
        return message
    parts: list[Any] = []
    for part in content:
        url = _image_url(part)
        head, _, encoded = (url or "").partition(";base64,")
        if url is None or not head.startswith(_DATA_URL) or not encoded:
            parts.append(part)
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            parts.append(part)  # not ours to understand: kept as it was
            continue
        digest = _save(connection, data, head[len(_DATA_URL) :])
        parts.append(_with_url(part, REFERENCE + digest))
    return {**message, "content": parts}


def _restore_images(connection: sqlite3.Connection, message: Message) -> Message:
    """A reference whose bytes are gone (a file edited by hand) stays as it is."""
    content = message.get("content")
    if not isinstance(content, list):
        return message
    parts: list[Any] = []
    for part in content:
        url = _image_url(part)
        found = None
        if url is not None and url.startswith(REFERENCE):
            found = _stored_data(connection, url[len(REFERENCE) :])
        if found is None:
            parts.append(part)
            continue
        encoded = base64.b64encode(found[1]).decode("ascii")
        parts.append(_with_url(part, f"{_DATA_URL}{found[0]};base64,{encoded}"))
    return {**message, "content": parts}
