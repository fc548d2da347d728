"""The HTTP/1.1 plumbing of the demo server: reading requests, writing responses.

Enough of HTTP/1.1 for the OpenAI SDK and curl: a request line, headers, a body by
`Content-Length` or chunked; responses with a length, or chunked (`ChunkedWriter`) for
event streams. Malformed or oversized requests raise `BadRequestError`.
"""

from __future__ import annotations

import asyncio
import http
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tuichat.demo.chunks import dumps

_MAX_HEADER_LINES = 100
_MAX_BODY_BYTES = 32 * 1024 * 1024
_CHUNKED_END = b"0\r\n\r\n"


@dataclass(slots=True)
class Request:
    """One parsed HTTP request."""

    method: str
    path: str  # without the query string
    version: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection serve another request."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


class BadRequestError(Exception):
    """The request could not be parsed; answered with a 4xx and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request: request line, headers, body (Content-Length or chunked).

    Returns:
        The request, or None when the client closed the connection between requests.

    Raises:
        BadRequestError: The request is malformed or too large.
    """
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
        line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequestError(400, "Malformed request line.")
    method, target, version = parts

    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise BadRequestError(400, "Malformed header line.")
        headers[name.strip().lower()] = value.strip()
    else:
        raise BadRequestError(431, "Too many header lines.")

    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked_body(reader)
    else:
        try:
            length = int(headers.get("content-length", "0") or "0")
        except ValueError:
            raise BadRequestError(400, "Invalid Content-Length.") from None
        if length < 0 or length > _MAX_BODY_BYTES:
            raise BadRequestError(413, "Request body too large.")
        body = await reader.readexactly(length) if length else b""
    return Request(method, target.split("?", 1)[0], version, headers, body)


async def _read_chunked_body(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequestError(400, "Malformed chunk size.") from None
        if size == 0:
            # Skip trailers up to the blank line that ends the body.
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        total += size
        if total > _MAX_BODY_BYTES:
            raise BadRequestError(413, "Request body too large.")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)  # the CRLF after each chunk


def response_head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    """Build a response's status line and headers."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}", "Server: tuichat-demo"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class ChunkedWriter:
    """Writes a response body with chunked transfer encoding."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, data: bytes) -> None:
        """Send `data` as one HTTP chunk and wait until the transport can take more."""
        if not data:  # a zero-length chunk would end the body
            return
        self._writer.writelines((b"%x\r\n" % len(data), data, b"\r\n"))
        await self._writer.drain()

    async def end(self) -> None:
        """Send the terminating zero-length chunk."""
        self._writer.write(_CHUNKED_END)
        await self._writer.drain()


def _connection_header(keep_alive: bool) -> tuple[str, str]:
    return ("Connection", "keep-alive" if keep_alive else "close")


def _request_id() -> str:
    return "req_" + secrets.token_hex(16)


async def send_bytes(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    keep_alive: bool,
    extra_headers: dict[str, str] | None = None,
) -> bool:
    """Send a whole response with a `Content-Length`.

    Returns:
        `keep_alive`, so a handler can `return await send_bytes(...)`.
    """
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-request-id", _request_id()),
        _connection_header(keep_alive),
    ]
    headers.extend((extra_headers or {}).items())
    writer.write(response_head(status, headers) + body)
    await writer.drain()
    return keep_alive


async def send_json(
    writer: asyncio.StreamWriter,
    status: int,
    body: dict[str, Any],
    keep_alive: bool,
    extra_headers: dict[str, str] | None = None,
) -> bool:
    """Send `body` as compact JSON (see `send_bytes`)."""
    data = dumps(body).encode()
    return await send_bytes(writer, status, data, "application/json", keep_alive, extra_headers)


async def begin_sse(writer: asyncio.StreamWriter, keep_alive: bool) -> ChunkedWriter:
    """Send the headers of a 200 event-stream response; returns the body writer."""
    headers = [
        ("Content-Type", "text/event-stream; charset=utf-8"),
        ("Transfer-Encoding", "chunked"),
        ("Cache-Control", "no-cache"),
        ("x-request-id", _request_id()),
        _connection_header(keep_alive),
    ]
    writer.write(response_head(200, headers))
    await writer.drain()
    return ChunkedWriter(writer)
