"""Sending one reply as an HTTP response: streamed or whole, paced, or broken on purpose.

`send_reply` is what the server does with each `Reply` (`tuichat.demo.replies`): a
`Scripted` answer streams as SSE events (`tuichat.demo.chunks`) or returns one
`chat.completion`; an `HTTPError` is a JSON error; `RawSSE`, `DropAfter`, `Stall` and
`Flood` bend the wire the way their tests need; a `Page` is any body at all; `Recorded`
sends a recorded response again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Iterator

from tuichat.demo.chunks import DONE, Call, Plan, estimate_prompt_tokens, make_usage
from tuichat.demo.http_io import ChunkedWriter, begin_sse, response_head, send_bytes, send_json
from tuichat.demo.replies import (
    DropAfter,
    Flood,
    HTTPError,
    Page,
    RawSSE,
    Recorded,
    Reply,
    Scripted,
    Slow,
    Stall,
)
from tuichat.demo.tokens import flood_tokens

_BATCH_EVENTS = 64  # unthrottled: events per HTTP chunk (one write + drain per batch)


async def send_reply(
    call: Call,
    reply: Reply,
    writer: asyncio.StreamWriter,
    keep_alive: bool,
    tokens_per_second: float | None,
) -> bool:
    """Send `reply` as the response to one chat request.

    Args:
        call: what the request asked for (streamed or not, usage, model).
        reply: the reply to send.
        writer: the connection.
        keep_alive: whether the client may reuse the connection.
        tokens_per_second: the server's pacing, for replies that set none (`None`: as fast
            as possible).

    Returns:
        Whether the connection may serve another request.
    """
    if isinstance(reply, HTTPError):
        return await send_json(writer, reply.status, reply.body(), keep_alive, reply.headers or {})
    if isinstance(reply, Page):
        return await send_bytes(writer, reply.status, reply.body, reply.content_type, keep_alive)
    if isinstance(reply, RawSSE):
        return await _send_raw_sse(reply, writer, keep_alive)
    if isinstance(reply, Recorded):
        return await _send_recorded(reply, writer, keep_alive)
    if isinstance(reply, Slow):
        reply = reply.as_scripted()
    if isinstance(reply, Scripted):
        pace = _pace(reply.tokens_per_second, tokens_per_second)
        return await _send_scripted(call, reply, writer, keep_alive, pace)
    if isinstance(reply, Flood):
        pace = _pace(reply.tokens_per_second, tokens_per_second)
        return await _send_flood(call, reply, writer, keep_alive, pace)
    if isinstance(reply, DropAfter):
        return await _send_drop_after(call, reply, writer)
    if isinstance(reply, Stall):
        if not reply.headers_first or not call.stream:
            await asyncio.sleep(reply.seconds)
            return await _send_scripted(
                call, Scripted(text=reply.text), writer, keep_alive, tokens_per_second
            )
        out = await begin_sse(writer, keep_alive)
        await asyncio.sleep(reply.seconds)
        await _stream_plan(call, Plan.of(Scripted(text=reply.text)), out, None)
        return keep_alive
    raise TypeError(f"unknown reply type: {type(reply).__name__}")


def _pace(override: float | None, default: float | None) -> float | None:
    return override if override is not None else default


async def _send_scripted(
    call: Call,
    reply: Scripted,
    writer: asyncio.StreamWriter,
    keep_alive: bool,
    pace: float | None,
) -> bool:
    plan = Plan.of(reply)
    if not call.stream:
        usage = make_usage(
            estimate_prompt_tokens(call.body),
            plan.completion_tokens(),
            len(plan.reasoning_pieces),
        )
        body = call.completion(plan.message(), plan.finish_reason, usage)
        return await send_bytes(writer, 200, body, "application/json", keep_alive)
    out = await begin_sse(writer, keep_alive)
    await _stream_plan(call, plan, out, pace)
    return keep_alive


async def _stream_plan(call: Call, plan: Plan, out: ChunkedWriter, pace: float | None) -> None:
    factory = call.factory()
    events: Iterable[bytes] = plan.events(factory)
    if call.include_usage:
        usage = make_usage(
            estimate_prompt_tokens(call.body),
            plan.completion_tokens(),
            len(plan.reasoning_pieces),
        )
        events = _chain(events, factory.usage(usage))
    await _write_events(out, _chain(events, DONE), pace)
    await out.end()


async def _send_flood(
    call: Call, reply: Flood, writer: asyncio.StreamWriter, keep_alive: bool, pace: float | None
) -> bool:
    tokens = flood_tokens(reply.n_chunks, reply.words_per_chunk, reply.paragraph_every)
    if not call.stream:
        message = {"role": "assistant", "content": "".join(tokens), "refusal": None}
        usage = make_usage(estimate_prompt_tokens(call.body), len(tokens))
        body = call.completion(message, "stop", usage)
        return await send_bytes(writer, 200, body, "application/json", keep_alive)
    factory = call.factory()

    def events() -> Iterator[bytes]:
        yield factory.delta({"role": "assistant", "content": "", "refusal": None})
        content = factory.content
        for token in tokens:
            yield content(token)
        yield factory.finish("stop")
        if call.include_usage:
            yield factory.usage(make_usage(estimate_prompt_tokens(call.body), len(tokens)))
        yield DONE

    out = await begin_sse(writer, keep_alive)
    await _write_events(out, events(), pace)
    await out.end()
    return keep_alive


async def _send_drop_after(call: Call, reply: DropAfter, writer: asyncio.StreamWriter) -> bool:
    pieces = reply.pieces()
    if not call.stream:
        # Announce the whole body, send half of it, hang up.
        message = {"role": "assistant", "content": "".join(pieces), "refusal": None}
        body = call.completion(message, "stop", make_usage(1, len(pieces)))
        head = response_head(
            200,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        writer.write(head + body[: len(body) // 2])
        await writer.drain()
        return False
    out = await begin_sse(writer, keep_alive=False)
    factory = call.factory()
    await out.write(factory.delta({"role": "assistant", "content": "", "refusal": None}))
    for piece in pieces[: max(0, reply.after)]:
        await out.write(factory.content(piece))
    # Returning False closes the socket without the zero-length chunk: to the client
    # the chunked body is incomplete, exactly like a connection dropped mid-stream.
    return False


async def _send_raw_sse(reply: RawSSE, writer: asyncio.StreamWriter, keep_alive: bool) -> bool:
    out = await begin_sse(writer, keep_alive)
    body = reply.body
    if reply.slice_sizes is None:
        await out.write(body)
    else:
        low, high = reply.slice_sizes
        low = max(1, low)
        high = max(low, high)
        # Not for security: a seeded generator so a failing slicing can be replayed.
        rng = random.Random(reply.seed)
        position = 0
        while position < len(body):
            size = rng.randint(low, high)
            await out.write(body[position : position + size])
            position += size
            if reply.delay > 0 and position < len(body):
                await asyncio.sleep(reply.delay)
    await out.end()
    return keep_alive


# Headers this server writes itself (framing, connection) rather than copying a recording's.
_OWN_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "content-encoding",
        "server",
    }
)


async def _send_recorded(reply: Recorded, writer: asyncio.StreamWriter, keep_alive: bool) -> bool:
    loop = asyncio.get_running_loop()
    start = loop.time()
    speed = reply.speed if reply.speed and reply.speed > 0 else None

    async def until(offset: float) -> None:
        if speed is not None:
            delay = start + offset / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

    headers = [
        (name, value)
        for name, value in (reply.headers or {}).items()
        if name.lower() not in _OWN_HEADERS
    ]
    if not any(name.lower() == "content-type" for name, _ in headers):
        kind = "text/event-stream; charset=utf-8" if reply.streamed else "application/json"
        headers.append(("Content-Type", kind))
    connection = ("Connection", "keep-alive" if keep_alive else "close")
    if not reply.streamed or reply.status >= 400:
        body = b"".join(data for _, data in reply.reads)
        await until(max([reply.head_offset, *(offset for offset, _ in reply.reads)]))
        head = response_head(
            reply.status, [*headers, ("Content-Length", str(len(body))), connection]
        )
        writer.write(head + body)
        await writer.drain()
        return keep_alive
    await until(reply.head_offset)
    writer.write(
        response_head(reply.status, [*headers, ("Transfer-Encoding", "chunked"), connection])
    )
    await writer.drain()
    out = ChunkedWriter(writer)
    for offset, data in reply.reads:
        await until(offset)
        await out.write(data)
    await out.end()
    return keep_alive


def _chain(events: Iterable[bytes], *more: bytes) -> Iterator[bytes]:
    yield from events
    yield from more


async def _write_events(
    out: ChunkedWriter, events: Iterable[bytes], tokens_per_second: float | None
) -> None:
    """Write SSE events, paced at `tokens_per_second` events per second or unthrottled.

    Unthrottled, events go out in batches of `_BATCH_EVENTS` per HTTP chunk, one write and
    drain per batch (a flood of 20,000 chunks is then ~300 writes). Throttled, each event
    has a due time on a fixed schedule (no drift from sleep overshoot); events already due
    are written together.
    """
    if not tokens_per_second or tokens_per_second <= 0:
        batch: list[bytes] = []
        for event in events:
            batch.append(event)
            if len(batch) >= _BATCH_EVENTS:
                await out.write(b"".join(batch))
                batch.clear()
        if batch:
            await out.write(b"".join(batch))
        return

    loop = asyncio.get_running_loop()
    interval = 1.0 / tokens_per_second
    start = loop.time()
    pending: list[bytes] = []
    for index, event in enumerate(events):
        delay = start + index * interval - loop.time()
        if delay > 0:
            if pending:
                await out.write(b"".join(pending))
                pending.clear()
            await asyncio.sleep(delay)
        pending.append(event)
    if pending:
        await out.write(b"".join(pending))
