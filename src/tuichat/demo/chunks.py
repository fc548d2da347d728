"""The Chat Completions wire format: how a reply becomes `chat.completion.chunk` events.

`Plan.of(reply)` resolves a `Scripted` reply into token-like deltas (and tool-call argument
fragments); `Plan.events` turns it into the SSE events OpenAI streams, built by a
`ChunkFactory`; `Plan.message` and `Call.completion` give the non-streamed
`chat.completion` instead. Usage is estimated (about four characters per prompt token, one
delta per completion token). Pure functions of the reply: nothing here does I/O.
"""

from __future__ import annotations

import itertools
import json
import secrets
import string
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tuichat.demo.replies import Scripted
from tuichat.demo.tokens import split_tokens

_SYSTEM_FINGERPRINT = "fp_tuichat_demo"
_ALPHANUMERIC = string.ascii_letters + string.digits
_JSON_SEPARATORS = (",", ":")  # OpenAI's chunks are compact JSON
DONE = b"data: [DONE]\n\n"
"""The event that ends every stream."""


def dumps(value: Any) -> str:
    """Serialise like OpenAI: compact, non-ASCII characters as raw UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=_JSON_SEPARATORS)


def random_id(prefix: str, length: int) -> str:
    """An OpenAI-style id: `prefix` then `length` random letters and digits."""
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class ChunkFactory:
    """Builds the SSE events of one streamed completion.

    Every event shares the completion's id, created and model, so the JSON around the
    delta is serialised once into a prefix and a suffix: building an event is then one
    small `json.dumps` and two concatenations, which keeps a 20,000-chunk flood cheap.
    """

    def __init__(
        self, completion_id: str, created: int, model: str, *, include_usage: bool
    ) -> None:
        self._head = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": _SYSTEM_FINGERPRINT,
        }
        head = dumps(self._head)[:-1]  # without the closing brace
        self._prefix = f'data: {head},"choices":[{{"index":0,"delta":'.encode()
        # OpenAI puts `"usage":null` on every chunk once include_usage is requested.
        usage_null = ',"usage":null' if include_usage else ""
        self._suffix = f',"logprobs":null,"finish_reason":null}}]{usage_null}}}\n\n'.encode()
        self._finish_suffix = f"}}]{usage_null}}}\n\n".encode()

    def delta(self, delta: dict[str, Any]) -> bytes:
        """An event carrying `delta` in choice 0."""
        return self._prefix + dumps(delta).encode() + self._suffix

    def content(self, text: str) -> bytes:
        """An event carrying a piece of visible text (the hot path of a flood)."""
        return self._prefix + b'{"content":' + dumps(text).encode() + b"}" + self._suffix

    def finish(self, reason: str) -> bytes:
        """The event with an empty delta and the finish reason."""
        return (
            self._prefix
            + b'{},"logprobs":null,"finish_reason":'
            + dumps(reason).encode()
            + self._finish_suffix
        )

    def usage(self, usage: dict[str, Any]) -> bytes:
        """The `stream_options.include_usage` event: no choices, just usage."""
        return f"data: {dumps({**self._head, 'choices': [], 'usage': usage})}\n\n".encode()


def _split_arguments(text: str) -> list[str]:
    """Cut a tool call's argument text into 3-6 fragments, as OpenAI streams them."""
    if not text:
        return []
    count = min(len(text), 3 + zlib.crc32(text.encode("utf-8")) % 4)
    bounds = [round(i * len(text) / count) for i in range(count + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@dataclass(slots=True)
class Plan:
    """A `Scripted` reply resolved into deltas, ready for either wire shape."""

    text: str | None
    text_pieces: list[str]
    reasoning: str | None
    reasoning_pieces: list[str]
    calls: list[tuple[str, str, str, list[str]]]  # (id, name, arguments, fragments)
    finish_reason: str

    @classmethod
    def of(cls, reply: Scripted) -> Plan:
        """Resolve `reply`: text and reasoning split into deltas, calls given ids and fragments."""
        calls = []
        for call in reply.calls():
            arguments = call.arguments_text()
            call_id = call.id or random_id("call_", 24)
            calls.append((call_id, call.name, arguments, _split_arguments(arguments)))
        return cls(
            text=reply.text,
            text_pieces=split_tokens(reply.text) if reply.text else [],
            reasoning=reply.reasoning,
            reasoning_pieces=split_tokens(reply.reasoning) if reply.reasoning else [],
            calls=calls,
            finish_reason=reply.resolved_finish_reason(),
        )

    def completion_tokens(self) -> int:
        """The usage to report: one token per delta (a call's name counts as one)."""
        fragments = sum(len(pieces) + 1 for *_, pieces in self.calls)
        return len(self.text_pieces) + len(self.reasoning_pieces) + fragments

    def events(self, factory: ChunkFactory) -> Iterator[bytes]:
        """The `chat.completion.chunk` events, from the role chunk to the finish chunk."""
        if self.reasoning_pieces:
            role: dict[str, Any] = {"role": "assistant", "content": None, "reasoning_content": ""}
        elif self.text_pieces:
            role = {"role": "assistant", "content": "", "refusal": None}
        else:
            role = {"role": "assistant", "content": None}
        yield factory.delta(role)
        for piece in self.reasoning_pieces:
            yield factory.delta({"content": None, "reasoning_content": piece})
        for piece in self.text_pieces:
            yield factory.content(piece)
        for index, (call_id, name, _, fragments) in enumerate(self.calls):
            # The first fragment names the call; the rest only carry index + argument text.
            first = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            yield factory.delta({"tool_calls": [first]})
            for fragment in fragments:
                yield factory.delta(
                    {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
                )
        yield factory.finish(self.finish_reason)

    def message(self) -> dict[str, Any]:
        """The assistant message of a non-streamed `chat.completion`."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.text if self.text else None,
            "refusal": None,
            "annotations": [],
        }
        if self.reasoning:
            message["reasoning_content"] = self.reasoning
        if self.calls:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
                for call_id, name, args, _ in self.calls
            ]
        return message


def make_usage(
    prompt_tokens: int, completion_tokens: int, reasoning_tokens: int = 0
) -> dict[str, Any]:
    """A `usage` object in OpenAI's shape."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """A rough token count of the prompt (about four characters per token)."""
    text = dumps(body.get("messages") or []) + dumps(body.get("tools") or [])
    return max(1, len(text) // 4)


@dataclass(slots=True)
class Call:
    """What one chat request asked for, as far as the response shape goes."""

    body: dict[str, Any]
    stream: bool
    include_usage: bool
    model: str
    completion_id: str
    created: int

    def factory(self) -> ChunkFactory:
        """The event builder for this completion's id, created time and model."""
        return ChunkFactory(
            self.completion_id, self.created, self.model, include_usage=self.include_usage
        )

    def completion(self, message: dict[str, Any], finish: str, usage: dict[str, Any]) -> bytes:
        """A whole non-streamed `chat.completion` object."""
        return dumps(
            {
                "id": self.completion_id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": _SYSTEM_FINGERPRINT,
            }
        ).encode()
