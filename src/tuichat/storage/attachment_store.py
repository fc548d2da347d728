"""Images attached to prompts, stored once by content hash.

A user message that sent images holds them as `image_url` parts with base64 data URLs. The
history keeps each image's bytes once, in the `attachments` table keyed by their SHA-256, and
the message keeps a reference in the part's place (`tuichat-attachment:HASH`); reading the
message puts the data URL back, so a reopened conversation sends exactly what it sent.
Text files are part of the message's text (as sent), which full-text search indexes.
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

_DATA_URL = "data:"


def _image_url(part: Any) -> str | None:
    if isinstance(part, dict) and part.get("type") == "image_url":
        image = part.get("image_url")
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            return str(image["url"])
    return None


def _with_url(part: dict[str, Any], url: str) -> dict[str, Any]:
    return {**part, "image_url": {**part["image_url"], "url": url}}


def stash_images(connection: sqlite3.Connection, message: Message) -> Message:
    """The message as stored: each data-URL image's bytes saved once, a reference in its place.

    Call inside the transaction that writes the message.
    """
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
        digest = hashlib.sha256(data).hexdigest()
        connection.execute(
            "INSERT OR IGNORE INTO attachments (sha256, mime, size, data) VALUES (?, ?, ?, ?)",
            (digest, head[len(_DATA_URL) :], len(data), data),
        )
        parts.append(_with_url(part, REFERENCE + digest))
    return {**message, "content": parts}


def restore_images(connection: sqlite3.Connection, message: Message) -> Message:
    """The message as it was sent: stored references turned back into data URLs.

    A reference whose bytes are gone (a file edited by hand) stays as it is.
    """
    content = message.get("content")
    if not isinstance(content, list):
        return message
    parts: list[Any] = []
    for part in content:
        url = _image_url(part)
        if url is None or not url.startswith(REFERENCE):
            parts.append(part)
            continue
        row = connection.execute(
            "SELECT mime, data FROM attachments WHERE sha256 = ?", (url[len(REFERENCE) :],)
        ).fetchone()
        if row is None:
            parts.append(part)
            continue
        encoded = base64.b64encode(bytes(row[1])).decode("ascii")
        parts.append(_with_url(part, f"{_DATA_URL}{row[0]};base64,{encoded}"))
    return {**message, "content": parts}
