"""Turn files: one answer's wire in one file, to attach to a bug report and replay.

A turn file is JSON (`.turn.json` by convention), readable where it can be and exact where
it must be:

```json
{
  "tuichat_turn": 1,
  "request": {"method": "POST", "url": "...", "headers": {...}, "body": {...}},
  "response": {"status": 200, "reason": "OK", "http_version": "HTTP/1.1",
               "headers": {"content-type": "text/event-stream"}, "offset": 0.412},
  "streamed": true,
  "reconstructed": false,
  "body": [
    {"offset": 0.413, "text": "data: {\\"id\\":\\"chatcmpl-1\\",...}\\n\\n"},
    {"offset": 0.431, "base64": "ZGF0YTog7JWI"}
  ]
}
```

- `request`: the request as sent, key and auth headers redacted (as the inspector shows it);
  `null` when unknown (a bare capture).
- `response`: the status line and headers (secret-looking values redacted), and `offset`,
  seconds from sending the request to reading the headers; `null` when unknown.
- `streamed`: whether the body is an SSE stream (`false`: one whole `ChatCompletion`).
- `reconstructed`: `true` when the body was rebuilt from saved SSE payloads (an answer saved
  before tuichat kept the reads): the payloads are exact, the framing and read boundaries
  are tuichat's.
- `body`: every network read of the body in order, with `offset` (seconds since the request
  was sent) and its bytes: `text` when they are UTF-8 on their own, else `base64` (a read
  can end inside a character). Joined, they are the body byte for byte.

A file that is not such an object is read as a bare capture of a response body (a `.sse`
file like those in `tests/fixtures/streams/`): no request, no head, one read per SSE event,
evenly paced (`BARE_INTERVAL` apart; a read ends after each blank line).

Pure functions over bytes and text: the commands read and write the files.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuichat.core.events import (
    BodyRead,
    RawChunk,
    RawComment,
    RequestSent,
    ResponseHead,
    WireRecord,
)
from tuichat.core.wire import records_from_reads

TURN_FORMAT = 1
"""The version this tuichat writes (`tuichat_turn`); it reads this one and none newer."""

BARE_INTERVAL = 0.02
"""Seconds between the events of a bare capture (which has no arrival times): 50 a second."""

_LINE_END = re.compile(rb"\r\n|\r|\n")


class TurnFileError(ValueError):
    """A turn file that cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One answer's wire: what a turn file holds.

    Attributes:
        request: the request (redacted), if known.
        head: the response's status and headers, if known.
        reads: the body's network reads, in order, with their offsets.
        streamed: whether the body is an SSE stream (False: one whole ChatCompletion).
        reconstructed: the body was rebuilt from saved payloads (framing approximate).
        bare: it was read from a bare capture (no request, no head, even pacing).
    """

    request: RequestSent | None
    head: ResponseHead | None
    reads: tuple[BodyRead, ...]
    streamed: bool = True
    reconstructed: bool = False
    bare: bool = False

    @property
    def body(self) -> bytes:
        """The whole response body."""
        return b"".join(read.data for read in self.reads)

    @property
    def status(self) -> int:
        """The response's status (200 when the file does not say)."""
        return self.head.status if self.head is not None else 200

    @property
    def prompt(self) -> str | None:
        """The last user message of the request: what was asked (None when unknown)."""
        body = self.request.request.get("body") if self.request is not None else None
        messages = body.get("messages") if isinstance(body, dict) else None
        for message in reversed(messages if isinstance(messages, list) else []):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, str):
                    return content
                if isinstance(content, list):  # typed parts: their text
                    texts = [p.get("text") for p in content if isinstance(p, dict)]
                    return "\n".join(t for t in texts if isinstance(t, str))
        return None

    def records(self) -> list[WireRecord]:
        """The records the client yielded for this answer live (see `records_from_reads`)."""
        return records_from_reads(self.request, self.head, self.reads, streamed=self.streamed)


# -- from what the inspector shows -------------------------------------------------------------


def answers_of(records: Sequence[WireRecord]) -> list[list[WireRecord]]:
    """Split a turn's records (several answers after tool calls) at each request."""
    answers: list[list[WireRecord]] = []
    for record in records:
        if isinstance(record, RequestSent) or not answers:
            answers.append([])
        answers[-1].append(record)
    return answers


def turn_from_records(records: Sequence[WireRecord]) -> Turn:
    """The turn file of one answer, from its records (live or saved).

    With several answers' records (a turn with tool calls), the last answer's. When the reads
    were not kept (an answer saved by an older tuichat), the body is rebuilt from the saved
    payloads and comment lines, one read per chunk at its offset (`reconstructed`).

    Raises:
        TurnFileError: there is nothing of a response in them.
    """
    answers = answers_of(records)
    answer = answers[-1] if answers else []
    request = next((r for r in answer if isinstance(r, RequestSent)), None)
    head = next((r for r in answer if isinstance(r, ResponseHead)), None)
    reads = tuple(r for r in answer if isinstance(r, BodyRead))
    chunks = [r for r in answer if isinstance(r, RawChunk | RawComment)]
    whole = any(isinstance(r, RawChunk) and r.whole_response for r in chunks)
    if reads:
        return Turn(request, head, reads, streamed=not whole)
    if not chunks and head is None:
        raise TurnFileError("no response was recorded for this answer (no chunks were saved)")
    rebuilt: list[BodyRead] = []
    for chunk in chunks:
        if isinstance(chunk, RawComment):
            data = chunk.text + "\n"
        elif chunk.whole_response:
            data = chunk.data
        else:
            lines = chunk.data.split("\n")
            data = (f"event: {chunk.event}\n" if chunk.event else "") + "".join(
                f"data: {line}\n" for line in lines
            )
            data += "\n"
        rebuilt.append(BodyRead(data.encode("utf-8"), chunk.offset))
    return Turn(request, head, tuple(rebuilt), streamed=not whole, reconstructed=True)


# -- writing and reading -------------------------------------------------------------------


def _read_entry(read: BodyRead) -> str:
    offset = round(read.offset, 6)
    try:
        entry: dict[str, Any] = {"offset": offset, "text": read.data.decode("utf-8")}
    except UnicodeDecodeError:
        entry = {"offset": offset, "base64": base64.b64encode(read.data).decode("ascii")}
    return json.dumps(entry, ensure_ascii=False)


def dump_turn(turn: Turn) -> str:
    """The turn file's text: the request and head indented, one line per read."""

    def block(value: Any) -> str:
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")

    head = turn.head
    response = None
    if head is not None:
        response = {
            "status": head.status,
            "reason": head.reason,
            "http_version": head.http_version,
            "headers": head.headers,
            "offset": round(head.offset, 6),
        }
    request = turn.request.request if turn.request is not None else None
    reads = ",\n".join(f"    {_read_entry(read)}" for read in turn.reads)
    return (
        "{\n"
        f'  "tuichat_turn": {TURN_FORMAT},\n'
        f'  "request": {block(request)},\n'
        f'  "response": {block(response)},\n'
        f'  "streamed": {json.dumps(turn.streamed)},\n'
        f'  "reconstructed": {json.dumps(turn.reconstructed)},\n'
        + ('  "body": [\n' + reads + "\n  ]\n" if reads else '  "body": []\n')
        + "}\n"
    )


def parse_turn(data: bytes, *, interval: float = BARE_INTERVAL) -> Turn:
    """Read a turn file, or a bare capture of a response body.

    Args:
        data: the file's bytes.
        interval: seconds between the events of a bare capture.

    Raises:
        TurnFileError: a turn file that is broken or from a newer tuichat, or an empty file.
    """
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            if b'"tuichat_turn"' in data[:200]:
                raise TurnFileError(f"the turn file is not valid JSON: {error}") from None
            document = None
        if isinstance(document, dict) and "tuichat_turn" in document:
            return _turn_of(document)
    if not data:
        raise TurnFileError("the file is empty")
    return bare_turn(data, interval=interval)


def bare_turn(body: bytes, *, interval: float = BARE_INTERVAL) -> Turn:
    """A turn of a bare response body: one read per SSE event (its lines up to and with the
    blank line that ends it), `interval` seconds apart; the bytes exactly as given."""
    reads: list[BodyRead] = []
    start = 0
    line_start = 0
    for match in _LINE_END.finditer(body):
        line = body[line_start : match.start()]
        end = match.end()
        if not line:  # a blank line ends an event (or a comment's block)
            reads.append(BodyRead(body[start:end], interval * (len(reads) + 1)))
            start = end
        line_start = end
    if start < len(body):
        reads.append(BodyRead(body[start:], interval * (len(reads) + 1)))
    return Turn(None, None, tuple(reads), streamed=True, bare=True)


def _turn_of(document: dict[str, Any]) -> Turn:
    version = document.get("tuichat_turn")
    if not isinstance(version, int) or version < 1:
        raise TurnFileError(f"tuichat_turn must be a version number, not {version!r}")
    if version > TURN_FORMAT:
        raise TurnFileError(
            f"this turn file is format {version}, from a newer tuichat (this one reads "
            f"format {TURN_FORMAT}): upgrade tuichat to replay it"
        )
    request = document.get("request")
    if request is not None and not isinstance(request, dict):
        raise TurnFileError("request must be an object or null")
    head = None
    response = document.get("response")
    if isinstance(response, dict):
        try:
            status = int(response.get("status") or 200)
            headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
            offset = float(response.get("offset") or 0.0)
        except (TypeError, ValueError, AttributeError):
            raise TurnFileError("response must hold a status, headers and an offset") from None
        head = ResponseHead(
            status,
            headers,
            offset,
            str(response.get("reason") or ""),
            str(response.get("http_version") or ""),
        )
    elif response is not None:
        raise TurnFileError("response must be an object or null")
    body = document.get("body")
    if not isinstance(body, list):
        raise TurnFileError("body must be a list of reads ({offset, text} or {offset, base64})")
    reads: list[BodyRead] = []
    for number, entry in enumerate(body, 1):
        reads.append(_read_of(entry, number))
    return Turn(
        RequestSent(request) if request is not None else None,
        head,
        tuple(reads),
        streamed=document.get("streamed") is not False,
        reconstructed=document.get("reconstructed") is True,
    )


def _read_of(entry: Any, number: int) -> BodyRead:
    where = f"body read {number}"
    if not isinstance(entry, dict):
        raise TurnFileError(f"{where} must be an object with offset and text (or base64)")
    try:
        offset = float(entry.get("offset", 0.0))
    except (TypeError, ValueError):
        raise TurnFileError(f"{where}: offset must be a number of seconds") from None
    if isinstance(entry.get("text"), str):
        return BodyRead(entry["text"].encode("utf-8"), offset)
    if isinstance(entry.get("base64"), str):
        try:
            return BodyRead(base64.b64decode(entry["base64"], validate=True), offset)
        except ValueError:
            raise TurnFileError(f"{where}: base64 is not valid base64") from None
    raise TurnFileError(f"{where} must have text or base64")
