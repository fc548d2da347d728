"""`tuichat probe`: what an OpenAI-compatible endpoint really sends, and the settings it needs.

    tuichat probe                                   # the configured profile (else the demo)
    tuichat probe --profile ollama
    tuichat probe --base-url http://localhost:8000/v1 --model qwen3 --json

It talks to the endpoint through the same client as a chat (`ChatClient`), reads every chunk
with the inspector's reader (`tuichat.core.chunk_reading`), and reports what it saw:

1. `GET /models`: the models listed, and whether the configured one is among them.
2. A short streamed answer, asking for usage in the stream (`stream_options.include_usage`;
   asked again without it if the server rejects the option): `[DONE]`, keep-alive comments,
   chunks with empty `choices`, where usage arrives, the reasoning field's name, time to
   first token.
3. Two parallel tool calls: how many came, their `index` (missing, reused), arguments whole
   or in fragments, ids repeated on every fragment, the finish reason.
4. One answer with `stream: false`.
5. A request for a model that does not exist: the shape of the error body.

Each check is `{"name", "status", "detail"}` with status `ok`, `quirk` (tuichat copes, other
clients may not), `fail` or `skipped`. The report ends with the profile settings it
suggests. Exit status: 0 when the endpoint can chat (streamed or not), 1 when it cannot at
all, 2 bad usage. Probing costs a few short requests (five at most, with small answers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TextIO

from tuichat.commands import fail, write_output
from tuichat.config.load import load_config_file
from tuichat.config.settings import ConfigError
from tuichat.core.accumulator import StreamState
from tuichat.core.chunk_reading import ChunkReader
from tuichat.core.client import ChatClient
from tuichat.core.events import WIRE_RECORD_TYPES, RawChunk, StreamError, WireRecord
from tuichat.core.provider import Provider
from tuichat.session.options import SessionOptions, add_config_argument
from tuichat.session.provider import choose_endpoint, start_demo_server

PROG = "tuichat probe"
Status = Literal["ok", "quirk", "fail", "skipped"]
EXIT_OK, EXIT_CANNOT_CHAT = 0, 1
UNKNOWN_MODEL = "tuichat-probe-no-such-model"
SLOW_FIRST_TOKEN = 20.0  # seconds: beyond this, a longer timeout is suggested

# Short prompts a real model and the demo model both answer as meant.
HELLO = [{"role": "user", "content": "Hello! Answer in five words."}]
TWO_CALLS = [
    {
        "role": "user",
        "content": "What time is it in Paris and in Tokyo? Call get_current_time once for each "
        "city, both calls in this one answer.",
    }
]
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_time",
        "description": "The current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {
                "timezone": {"type": "string", "description": "An IANA name: Europe/Paris."}
            },
            "required": ["timezone"],
        },
    },
}


@dataclass(frozen=True, slots=True)
class Check:
    """One thing the probe looked at."""

    name: str
    status: Status
    detail: str


@dataclass(slots=True)
class Report:
    """Everything the probe found.

    Attributes:
        base_url: the endpoint.
        model: the model asked.
        profile: the profile probed (None: a base URL from the command line).
        checks: what it looked at, in order.
        suggested: profile settings to set, with their values.
        streams: whether a streamed answer worked.
        whole: whether a non-streamed answer worked.
    """

    base_url: str
    model: str
    profile: str | None
    checks: list[Check] = field(default_factory=list)
    suggested: dict[str, Any] = field(default_factory=dict)
    streams: bool = False
    whole: bool = False

    @property
    def can_chat(self) -> bool:
        """Whether any answer came (streamed or whole)."""
        return self.streams or self.whole

    def add(self, name: str, status: Status, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint": {"base_url": self.base_url, "model": self.model, "profile": self.profile},
            "can_chat": self.can_chat,
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail} for c in self.checks
            ],
            "suggested": self.suggested,
        }

    def as_text(self) -> str:
        where = f"profile {self.profile}, " if self.profile else ""
        lines = [f"{PROG}: {self.base_url} ({where}model {self.model})"]
        width = max((len(c.name) for c in self.checks), default=0)
        lines += [f"{c.status:<8}{c.name:<{width}}  {c.detail}" for c in self.checks]
        lines.append("")
        if self.suggested:
            table = f"[profiles.{self.profile or 'NAME'}]"
            lines.append(f"Suggested profile settings (in the config file, {table}):")
            lines += [f"{key} = {_toml(value)}" for key, value in self.suggested.items()]
        elif self.can_chat:
            lines.append("Suggested profile settings: none, the defaults suit this endpoint.")
        if not self.can_chat:
            lines.append("The endpoint cannot chat: no answer came, streamed or not.")
        return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@dataclass(slots=True)
class _Answer:
    """One request's outcome: the wire records, the reader over them, the accumulator."""

    records: list[WireRecord]
    reader: ChunkReader
    state: StreamState

    @property
    def error(self) -> StreamError | None:
        return self.state.error

    @property
    def chunks(self) -> list[dict[str, Any]]:
        """The payloads that are JSON objects, parsed."""
        out: list[dict[str, Any]] = []
        for record in self.records:
            if isinstance(record, RawChunk) and not record.data.startswith("[DONE]"):
                try:
                    value = json.loads(record.data)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    out.append(value)
        return out


async def _ask(
    provider: Provider,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
) -> _Answer:
    client = ChatClient(provider)
    state = StreamState()
    records: list[WireRecord] = []
    try:
        async for batch in client.complete(messages, tools, state):
            records += [event for event in batch if isinstance(event, WIRE_RECORD_TYPES)]
    finally:
        await client.aclose()
    reader = ChunkReader()
    reader.extend(records)
    reader.finish()
    return _Answer(records, reader, state)


# -- the checks ----------------------------------------------------------------------------------


async def probe(provider: Provider, profile: str | None = None) -> Report:
    """Probe an endpoint (see the module's docstring).

    Args:
        provider: where and what to ask (its `max_retries` is set to 0: a probe shows what
            happened, not what a retry hid).
        profile: the profile's name, for the report.
    """
    provider = replace(provider, max_retries=0)
    report = Report(provider.base_url, provider.model, profile)
    await _models(provider, report)
    await _stream(provider, report)
    if report.streams:
        await _tool_calls(provider, report)
    else:
        report.add("tool_calls", "skipped", "no streamed answer came")
    await _whole(provider, report)
    if report.can_chat:
        await _error_shape(provider, report)
    else:
        report.add("error_body", "skipped", "no answer came at all")
    return report


async def _models(provider: Provider, report: Report) -> None:
    client = ChatClient(provider)
    try:
        models = await client.list_models()
    except Exception as error:  # any failure is the finding
        report.add("models", "fail", f"GET /models failed: {_said(error)}")
        return
    finally:
        await client.aclose()
    shown = ", ".join(models[:5]) + (f", … ({len(models)} in all)" if len(models) > 5 else "")
    if not models:
        report.add("models", "quirk", "GET /models lists no model")
    elif provider.model in models:
        report.add("models", "ok", f"{len(models)} listed ({shown}), {provider.model} among them")
    else:
        report.add("models", "quirk", f"{len(models)} listed ({shown}), but not {provider.model}")


def _said(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


async def _stream(provider: Provider, report: Report) -> None:
    asked = replace(provider, stream=True, include_usage=True)
    answer = await _ask(asked, HELLO)
    if _http_status(answer) in (400, 422):  # perhaps stream_options: ask once without
        retry = await _ask(replace(asked, include_usage=False), HELLO)
        if retry.error is None or retry.error.kind != "http":
            report.add(
                "stream_options",
                "quirk",
                f"rejects stream_options.include_usage (HTTP {_http_status(answer)}); "
                "answers without it",
            )
            report.suggested["include_usage"] = False
            answer = retry
    error = answer.error
    got = answer.state.content or answer.state.reasoning or answer.state.tool_calls
    if error is not None and error.kind in ("http", "connection", "timeout"):
        report.add("stream", "fail", error.message)
        return
    report.streams = bool(got)
    readings = answer.reader.readings
    count = sum(1 for r in readings if r.kind != "comment")
    text = answer.state.content or ""
    if not got:
        report.add("stream", "fail", f"{count} chunks, but no text or tool call in them")
    elif error is not None:
        report.add("stream", "quirk", f"{count} chunks, {_quote(text)}; then: {error.message}")
    else:
        report.add("stream", "ok", f"{count} chunks: {_quote(text)}")
    _time_to_first_token(answer, report)
    _done(answer, report)
    _comments(answer, report)
    _empty_choices(answer, report)
    if "include_usage" not in report.suggested:
        _usage(answer, report)
    else:
        report.add("usage", "skipped", "not asked for (stream_options rejected)")
    _reasoning_field(answer, report)


def _http_status(answer: _Answer) -> int | None:
    head = answer.reader.head
    return head.status if head is not None and head.status >= 400 else None


def _quote(text: str, width: int = 40) -> str:
    line = " ".join(text.split())
    return json.dumps(line if len(line) <= width else line[: width - 1] + "…", ensure_ascii=False)


def _time_to_first_token(answer: _Answer, report: Report) -> None:
    first = next(
        (r for r in answer.reader.readings if r.kind in ("text", "reasoning", "tool")), None
    )
    timing = answer.reader.timing.summary()
    if first is None or timing.first_chunk is None:
        report.add("time_to_first_token", "skipped", "no token arrived")
        return
    detail = f"{first.offset:.3f} s (first chunk {timing.first_chunk:.3f} s)"
    if first.offset > SLOW_FIRST_TOKEN:
        report.add("time_to_first_token", "quirk", detail + ": slow to start")
        head = answer.reader.head
        # A late head is waited for by `timeout`; a silence after it, by `stall_timeout`.
        late_head = head is None or head.offset > SLOW_FIRST_TOKEN
        report.suggested["timeout" if late_head else "stall_timeout"] = max(
            120, int(first.offset * 3)
        )
    else:
        report.add("time_to_first_token", "ok", detail)


def _done(answer: _Answer, report: Report) -> None:
    if answer.reader.done:
        report.add("done", "ok", "the stream ends with data: [DONE]")
    else:
        report.add(
            "done", "quirk", "no data: [DONE]: the stream just stops (tuichat reports a cut answer)"
        )


def _comments(answer: _Answer, report: Report) -> None:
    comments = [r.record for r in answer.reader.readings if r.kind == "comment"]
    if not comments:
        report.add("keep_alive", "ok", "no SSE comment lines")
        return
    texts = sorted({getattr(c, "text", "") for c in comments})
    report.add(
        "keep_alive",
        "quirk",
        f"{len(comments)} SSE comment line{'s' if len(comments) > 1 else ''} "
        f"({', '.join(texts)[:80]}): clients must skip lines starting with ':'",
    )


def _empty_choices(answer: _Answer, report: Report) -> None:
    empty = [c for c in answer.chunks if isinstance(c.get("choices"), list) and not c["choices"]]
    others = [c for c in empty if not c.get("usage")]
    if others:
        report.add(
            "empty_choices",
            "quirk",
            f"{len(others)} chunk{'s' if len(others) > 1 else ''} with choices: [] and no usage "
            "(e.g. Azure's prompt filter results): a client that reads choices[0] crashes",
        )
    elif empty:
        report.add("empty_choices", "ok", "only the usage chunk has choices: [] (as OpenAI)")
    else:
        report.add("empty_choices", "ok", "every chunk has a choice")


def _usage(answer: _Answer, report: Report) -> None:
    chunks = answer.chunks
    with_usage = [
        i for i, c in enumerate(chunks) if isinstance(c.get("usage"), dict) and c["usage"]
    ]
    groq = [
        i for i, c in enumerate(chunks) if isinstance((c.get("x_groq") or {}).get("usage"), dict)
    ]
    if with_usage:
        last = chunks[with_usage[-1]]
        if len(with_usage) > 1:
            report.add(
                "usage", "quirk", f"on {len(with_usage)} chunks (running totals): keep the last"
            )
        elif isinstance(last.get("choices"), list) and not last["choices"]:
            report.add("usage", "ok", "in a last chunk with choices: [] (as OpenAI)")
        else:
            report.add("usage", "quirk", "on a chunk that also has a choice (the finish chunk)")
    elif groq:
        report.add("usage", "quirk", "only in x_groq.usage, not in usage")
    else:
        report.add("usage", "quirk", "none, although stream_options.include_usage asked for it")


def _reasoning_field(answer: _Answer, report: Report) -> None:
    names: set[str] = set()
    for chunk in answer.chunks:
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                continue
            for name in ("reasoning_content", "reasoning"):
                if isinstance(delta.get(name), str) and delta[name]:
                    names.add(name)
            content = delta.get("content")
            if isinstance(content, list) and any(
                isinstance(p, dict) and p.get("type") == "thinking" for p in content
            ):
                names.add("content[].thinking")
    if names:
        report.add("reasoning_field", "ok", f"reasoning comes in {', '.join(sorted(names))}")
    else:
        report.add("reasoning_field", "skipped", "no reasoning in this answer")


async def _tool_calls(provider: Provider, report: Report) -> None:
    answer = await _ask(replace(provider, stream=True, include_usage=False), TWO_CALLS, [TIME_TOOL])
    error = answer.error
    if error is not None and error.kind in ("http", "connection", "timeout"):
        report.add("tool_calls", "fail", f"a request with tools failed: {error.message}")
        return
    calls = answer.state.tool_calls
    if not calls:
        report.add("tool_calls", "skipped", "the model answered without calling the tool")
        return
    if len(calls) >= 2:
        report.add("tool_calls", "ok", f"{len(calls)} parallel calls: {_call_words(calls)}")
    else:
        report.add("tool_calls", "quirk", f"one call only: {_call_words(calls)}")
    entries = [
        entry
        for chunk in answer.chunks
        for choice in chunk.get("choices") or ()
        if isinstance(choice, dict) and isinstance(choice.get("delta"), dict)
        for entry in choice["delta"].get("tool_calls") or ()
        if isinstance(entry, dict)
    ]
    _tool_index(entries, report)
    _tool_arguments(entries, calls, report)
    reason = answer.state.finish_reason
    if reason == "tool_calls":
        report.add("tool_finish_reason", "ok", "tool_calls")
    else:
        report.add(
            "tool_finish_reason",
            "quirk",
            f"{reason!r}, not 'tool_calls': clients must look at the calls, not the reason",
        )


def _call_words(calls: Sequence[Any]) -> str:
    return ", ".join(f"{c.name}({c.arguments})" for c in calls)[:120]


def _tool_index(entries: list[dict[str, Any]], report: Report) -> None:
    indexes = [entry.get("index") for entry in entries]
    if any(not isinstance(index, int) for index in indexes):
        report.add(
            "tool_call_index",
            "quirk",
            "tool-call entries without an index: calls must be told apart by id (or name)",
        )
        return
    ids_at: dict[int, set[str]] = {}
    for entry in entries:
        call_id = entry.get("id")
        if isinstance(call_id, str) and call_id:
            ids_at.setdefault(int(entry["index"]), set()).add(call_id)
    reused = sorted(index for index, ids in ids_at.items() if len(ids) > 1)
    if reused:
        report.add(
            "tool_call_index",
            "quirk",
            f"index {', '.join(map(str, reused))} reused by different calls (a new id starts "
            "a new call)",
        )
    else:
        report.add("tool_call_index", "ok", "one index per call")


def _tool_arguments(entries: list[dict[str, Any]], calls: Sequence[Any], report: Report) -> None:
    fragments = sum(
        1
        for entry in entries
        if isinstance(entry.get("function"), dict) and entry["function"].get("arguments")
    )
    if fragments <= len(calls):
        report.add("tool_arguments", "ok", "each call's arguments whole, in one chunk")
    else:
        report.add("tool_arguments", "ok", f"in fragments ({fragments} for {len(calls)} calls)")
    repeated = sum(1 for entry in entries if entry.get("id")) - len(calls)
    if repeated > 0:
        report.add(
            "tool_call_ids",
            "quirk",
            f"the id is repeated on {repeated} later fragments: keep the first, do not append",
        )


async def _whole(provider: Provider, report: Report) -> None:
    answer = await _ask(replace(provider, stream=False), HELLO)
    error = answer.error
    if error is not None:
        report.add("no_stream", "fail", f"stream: false failed: {error.message}")
    elif not answer.state.content and not answer.state.tool_calls:
        report.add("no_stream", "quirk", "a whole ChatCompletion with no text")
    else:
        report.whole = True
        report.add(
            "no_stream", "ok", f"a whole ChatCompletion: {_quote(answer.state.content or '')}"
        )
    if report.whole and not report.streams:
        report.suggested["stream"] = False


async def _error_shape(provider: Provider, report: Report) -> None:
    answer = await _ask(replace(provider, stream=False, model=UNKNOWN_MODEL), HELLO)
    body = answer.reader.error_body()
    status = _http_status(answer)
    if status is None or body is None:
        if answer.error is not None and answer.error.kind in ("connection", "timeout"):
            report.add("error_body", "skipped", answer.error.message)
        else:
            report.add(
                "error_body",
                "skipped",
                f"the server accepted the unknown model {UNKNOWN_MODEL!r} (it serves one model "
                "whatever the name)",
            )
        return
    shape = _shape(body)
    said = _message(body)
    if shape == OPENAI_ERROR_SHAPE:
        report.add("error_body", "ok", f"HTTP {status} {shape} (as OpenAI): {said}")
    else:
        report.add("error_body", "quirk", f"HTTP {status} {shape}: {said}")


OPENAI_ERROR_SHAPE = '{"error": {"message", ...}}'


def _shape(body: str) -> str:
    """The outline of an error body: its keys, one level down."""
    try:
        value = json.loads(body)
    except ValueError:
        return f"not JSON: {_quote(body, 60)}"
    if not isinstance(value, dict):
        return f"JSON {type(value).__name__}"
    inner = value.get("error")
    if isinstance(inner, dict):
        if isinstance(inner.get("message"), str):
            return OPENAI_ERROR_SHAPE
        return '{"error": {' + ", ".join(json.dumps(key) for key in inner) + "}}"
    if isinstance(inner, str):
        return '{"error": "..."}'
    return "{" + ", ".join(json.dumps(key) for key in value) + "}"


def _message(body: str) -> str:
    """The error message in a body, whatever its shape (or its start)."""
    try:
        value = json.loads(body)
    except ValueError:
        return _quote(body, 80)
    inner = value.get("error", value) if isinstance(value, dict) else value
    for candidate in (inner, value):
        if isinstance(candidate, dict):
            for key in ("message", "detail", "error"):
                if isinstance(candidate.get(key), str):
                    return _quote(candidate[key], 80)
        elif isinstance(candidate, str):
            return _quote(candidate, 80)
    return _quote(body, 80)


# -- the command -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The options of `tuichat probe`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find out what an OpenAI-compatible endpoint sends: models, a streamed "
        "answer with usage, two parallel tool calls, a non-streamed answer, an error body; "
        "then the profile settings it needs.",
        epilog="exit status: 0 the endpoint can chat (quirks or not); 1 it cannot at all; "
        "2 bad usage. Check statuses: ok, quirk (tuichat copes; other clients may not), "
        "fail, skipped.",
    )
    add_config_argument(parser)
    parser.add_argument("--profile", metavar="NAME", help="the profile to probe")
    parser.add_argument("--base-url", help="the API base URL (instead of a profile's)")
    parser.add_argument("--model", help="the model (default: the profile's)")
    parser.add_argument(
        "--api-key-env", metavar="NAME", help="the environment variable holding the API key"
    )
    parser.add_argument("--demo", action="store_true", help="probe the built-in demo model")
    parser.add_argument(
        "--timeout", type=float, help="seconds to wait for each answer (default: the profile's)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"endpoint", "can_chat", "checks": [{"name", "status", "detail"}], '
        '"suggested"}',
    )
    return parser


def run(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run `tuichat probe`.

    Args:
        argv: the full argv, starting with "probe".
        stdout: where the report goes.
        stderr: where errors go.
        environ: the environment (the key, `$OPENAI_BASE_URL`; default `os.environ`).

    Returns:
        The exit code.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(list(argv)[1:])
    options = SessionOptions(
        profile=args.profile,
        base_url=args.base_url,
        model=args.model,
        api_key_env=args.api_key_env,
        timeout=args.timeout,
        demo=args.demo,
    )
    try:
        settings = load_config_file(Path(args.config).expanduser() if args.config else None)
        endpoint = choose_endpoint(settings, options, os.environ if environ is None else environ)
    except ConfigError as error:
        return fail(PROG, str(error), err)
    server = start_demo_server(endpoint.provider) if endpoint.demo else None
    try:
        report = asyncio.run(probe(endpoint.provider, endpoint.profile))
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.stop()
    if args.json:
        write_output(out, json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        write_output(out, report.as_text())
    return EXIT_OK if report.can_chat else EXIT_CANNOT_CHAT
