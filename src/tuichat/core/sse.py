"""A Server-Sent Events decoder that follows the WHATWG parsing rules.

We decode SSE ourselves instead of letting the SDK build a pydantic model per chunk: the raw
`data:` text is what the inspector must show exactly as it arrived, and skipping the model
building is most of the speed of the chunk path.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event: its `event:` type (None for the default) and its data.

    With `SSEDecoder(comments=True)` a comment line comes as an event too, where it stood
    among the lines: `comment` is True and `data` is the whole line, its colon included.
    """

    event: str | None
    data: str
    comment: bool = False


class SSEDecoder:
    """Turns arbitrary byte slices of an SSE body into dispatched events.

    Lines end with CRLF, CR or LF; lines starting with `:` are comments; an event is
    dispatched on a blank line, and an event left unterminated when the body ends is
    discarded (`close()` says whether one was).

    Args:
        comments: also return comment lines (`SSEEvent.comment`), for the inspector; a chat
            client needs none of them.
    """

    def __init__(self, *, comments: bool = False) -> None:
        self._comments = comments
        self._pending = b""  # an incomplete line carried over to the next slice
        self._skip_lf = False  # the previous slice ended with CR: a leading LF belongs to it
        self._data: list[str] = []
        self._event: str | None = None
        self._started = False  # a field of an undispatched event has been seen

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode one slice of the body.

        Args:
            chunk: bytes as read from the network, split anywhere.

        Returns:
            The events completed by this slice, in order.
        """
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = chunk[-1:] == b"\r"
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._pending:
            chunk = self._pending + chunk
        lines = chunk.split(b"\n")
        self._pending = lines.pop()
        events: list[SSEEvent] = []
        for raw in lines:
            if raw.startswith(b"data: "):
                # The hot path: nearly every line of a chat stream.
                self._data.append(raw[6:].decode("utf-8", "replace"))
                self._started = True
            elif not raw:
                if self._data:
                    events.append(SSEEvent(self._event, "\n".join(self._data)))
                self._data = []
                self._event = None
                self._started = False
            else:
                line = raw.decode("utf-8", "replace")
                if line.startswith(":"):  # a comment (keep-alive, `: OPENROUTER PROCESSING`)
                    if self._comments:
                        events.append(SSEEvent(None, line, True))
                else:
                    self._field(line)
        return events

    def _field(self, line: str) -> None:
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._started = True
        elif name == "event":
            self._event = value
            self._started = True
        # `id` and `retry` do not matter to a chat client.

    def close(self) -> bool:
        """Mark the end of the body.

        Returns:
            True when an unterminated event (or line) was discarded.
        """
        discarded = bool(self._pending) or self._started
        self._pending = b""
        self._data = []
        self._event = None
        self._started = False
        return discarded
