"""The wire records of an answer (`tuichat.core.events.WireRecord`): made from an HTTP response,
and remade from recorded body bytes.

The client yields the records live (`ChatClient.complete`): the request, the response's head,
each network read with its arrival time, and the SSE payloads and comment lines each read
completed. A recorded turn keeps the request, the head and the reads; `decode_reads` turns
the reads back into payloads and comment lines exactly as the client made them (same decoder,
same offsets: those of the read that completed each one, and the same stop after `[DONE]`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from tuichat.core.events import (
    BodyRead,
    RawChunk,
    RawComment,
    RequestSent,
    ResponseHead,
    WireRecord,
)
from tuichat.core.redact import redact_headers
from tuichat.core.sse import SSEDecoder


class HTTPResponseLike(Protocol):
    """What `head_of` reads of an HTTP response (httpx's `Response` has it all)."""

    @property
    def status_code(self) -> int: ...  # pragma: no cover - a protocol

    @property
    def headers(self) -> Any: ...  # pragma: no cover - a mapping of names to values


def head_of(response: HTTPResponseLike, offset: float) -> ResponseHead:
    """The head of a response as the inspector shows it, secret-looking headers redacted.

    Args:
        response: an httpx `Response` (or anything with `status_code` and `headers`; the
            reason phrase and HTTP version are read when present).
        offset: seconds since the request was sent.
    """
    headers: Mapping[str, str] = response.headers
    reason = getattr(response, "reason_phrase", "") or ""
    version = getattr(response, "http_version", "") or ""
    return ResponseHead(
        int(response.status_code),
        redact_headers({str(name): str(value) for name, value in headers.items()}),
        offset,
        str(reason),
        str(version),
    )


def error_records(response: HTTPResponseLike, offset: float) -> list[WireRecord]:
    """The head and the whole body of an HTTP error answer (the SDK has read the body)."""
    records: list[WireRecord] = [head_of(response, offset)]
    try:
        content = getattr(response, "content", b"")
    except Exception:  # a body that was never read (httpx raises ResponseNotRead)
        content = b""
    if isinstance(content, bytes) and content:
        records.append(BodyRead(content, offset))
    return records


class ReadDecoder:
    """Turns a streamed body's reads into SSE payloads and comment lines, one read at a time,
    exactly as the client does live: same decoder, the read's offset on what it completed,
    nothing after `data: [DONE]`."""

    def __init__(self) -> None:
        self._decoder = SSEDecoder(comments=True)
        self.done = False  # `data: [DONE]` has arrived: later bytes are not read

    def feed(self, read: BodyRead) -> list[RawChunk | RawComment]:
        """The payloads and comment lines this read completed."""
        out: list[RawChunk | RawComment] = []
        if self.done:
            return out
        for sse in self._decoder.feed(read.data):
            if sse.comment:
                out.append(RawComment(sse.data, read.offset))
                continue
            out.append(RawChunk(sse.data, read.offset, False, sse.event))
            if sse.data.startswith("[DONE]"):
                self.done = True
                break
        return out


def decode_reads(reads: Iterable[BodyRead]) -> list[RawChunk | RawComment]:
    """The SSE payloads and comment lines of a streamed body, as the client made them live.

    Each record gets the offset of the read that completed it; nothing after `data: [DONE]`
    counts (the client stops reading there), and an event left unterminated at the end is
    discarded, as the client's decoder does.

    Args:
        reads: the body's reads in order.
    """
    decoder = ReadDecoder()
    out: list[RawChunk | RawComment] = []
    for read in reads:
        out += decoder.feed(read)
    return out


def records_from_reads(
    request: RequestSent | None,
    head: ResponseHead | None,
    reads: Sequence[BodyRead],
    *,
    streamed: bool = True,
) -> list[WireRecord]:
    """Every record of an answer from what a turn file keeps: the request, the head, the reads.

    Args:
        request: the request that was sent, if known.
        head: the response's status and headers, if known.
        reads: the body's reads, in order.
        streamed: False for a whole (non-streamed) body: it becomes one whole-response chunk
            (when the status is a success) instead of SSE payloads.

    Returns:
        The records in the order the client yields them live: request, head, then each read
        followed by the payloads and comment lines it completed.
    """
    records: list[WireRecord] = []
    if request is not None:
        records.append(request)
    if head is not None:
        records.append(head)
    failed = head is not None and head.status >= 400
    if not streamed or failed:
        records.extend(reads)
        if not failed:
            body = b"".join(read.data for read in reads)
            offset = reads[-1].offset if reads else 0.0
            records.append(RawChunk(body.decode("utf-8", "replace"), offset, True))
        return records
    decoder = ReadDecoder()
    for read in reads:
        records.append(read)
        records += decoder.feed(read)
    return records
