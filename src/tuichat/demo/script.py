"""The scripted demo model and the reply types the demo server knows how to send.

`plan_reply` is what a user sees when tuichat runs without an API key: a tiny rule-based
"model" that greets, shows Markdown, writes a long essay, calls the `get_current_time` tool
for Seoul and New York (two parallel calls, streamed the way OpenAI streams them), answers
from the tool results, and streams some reasoning when asked to think.

The reply dataclasses (`Scripted`, `RawSSE`, `HTTPError`, ...) are plain data: the server in
`tuichat.demo.server` turns them into bytes on the wire. They live here, not in the server,
so that the scripted model can build replies without importing the transport (and the
server re-exports them, so tests import everything from one place).

Stdlib only: the import-linter contract keeps `textual` and `rich` out of this package.
"""

from __future__ import annotations

import functools
import json
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from tuichat.demo.texts import read_text

__all__ = [
    "DropAfter",
    "Flood",
    "HTTPError",
    "RawSSE",
    "Reply",
    "Scripted",
    "Slow",
    "Stall",
    "ToolCall",
    "flood_tokens",
    "long_text",
    "plan_reply",
    "split_tokens",
]

# --------------------------------------------------------------------------------------
# Reply types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the scripted model makes.

    Attributes:
        name: The function name.
        arguments: The arguments, as a dict (serialised like OpenAI does, `json.dumps` with
            the default `", "`/`": "` separators) or as the exact argument text to stream.
        id: The call id; `None` generates an OpenAI-style `call_...` id.
    """

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_text(self) -> str:
        """Return the argument text exactly as it will be streamed."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Scripted:
    """A well-formed answer streamed in OpenAI's exact `chat.completion.chunk` shape.

    Text and reasoning are split into small token-like deltas with `split_tokens`; each tool
    call is streamed as a first fragment (index, id, type, name, `arguments: ""`) followed by
    3-6 fragments of argument text.

    Attributes:
        text: The visible answer (`delta.content`), or `None` for a tool-call-only turn.
        tool_calls: Tool calls to make after the text; dicts with `name`, `arguments` and an
            optional `id` are accepted too.
        reasoning: Reasoning streamed before the answer as `delta.reasoning_content`.
        finish_reason: `None` picks `"tool_calls"` when there are tool calls, else `"stop"`.
        tokens_per_second: Pacing for this reply; `None` uses the server's setting.
    """

    text: str | None = None
    tool_calls: Sequence[ToolCall | dict[str, Any]] | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    tokens_per_second: float | None = None

    def calls(self) -> list[ToolCall]:
        """Return the tool calls normalised to `ToolCall` objects."""
        out: list[ToolCall] = []
        for call in self.tool_calls or ():
            if isinstance(call, ToolCall):
                out.append(call)
            else:
                out.append(
                    ToolCall(
                        name=str(call["name"]),
                        arguments=call.get("arguments", {}),
                        id=call.get("id"),
                    )
                )
        return out

    def resolved_finish_reason(self) -> str:
        """Return the finish reason to send (explicit, else derived from the content)."""
        if self.finish_reason is not None:
            return self.finish_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass(frozen=True, slots=True)
class Slow:
    """Stream `text` slowly, e.g. so a UI test can cancel in the middle of an answer.

    Attributes:
        text: The answer to stream.
        tokens_per_second: Pacing, independent of the server's setting.
    """

    text: str
    tokens_per_second: float = 20.0

    def as_scripted(self) -> Scripted:
        """Return the equivalent `Scripted` reply."""
        return Scripted(text=self.text, tokens_per_second=self.tokens_per_second)


@dataclass(frozen=True, slots=True)
class RawSSE:
    """Send `body` byte for byte as a 200 `text/event-stream` response (chunked encoding).

    The chunked body is always terminated properly, so a body without `data: [DONE]` looks
    like a stream that simply ended early ("truncated") to the client.

    Attributes:
        body: The exact bytes to send (read `.sse` files in binary mode).
        slice_sizes: `(a, b)` cuts the body into random slices of a..b bytes, each written
            (and drained) separately, so JSON lines and multi-byte UTF-8 characters are split
            across reads. `None` sends the body in one piece.
        delay: Seconds to wait between slices.
        seed: Seed of the slice-size generator, so a failing case can be replayed.
    """

    body: bytes
    slice_sizes: tuple[int, int] | None = None
    delay: float = 0.0
    seed: int = 0


_DEFAULT_ERROR_TYPES = {429: "requests"}


@dataclass(frozen=True, slots=True)
class HTTPError:
    """An error response in OpenAI's shape: `{"error": {message, type, param, code}}`.

    Attributes:
        status: The HTTP status code.
        message: `error.message`.
        type: `error.type`; `None` derives it from the status the way OpenAI does
            (`server_error` for 5xx, `requests` for 429, else `invalid_request_error`).
        code: `error.code` (e.g. `invalid_api_key`, `model_not_found`).
        headers: Extra response headers (e.g. `{"retry-after": "1"}`).
        param: `error.param`.
    """

    status: int
    message: str
    type: str | None = None
    code: str | None = None
    headers: dict[str, str] | None = None
    param: str | None = None

    def error_type(self) -> str:
        """Return `error.type`, derived from the status when not given."""
        if self.type is not None:
            return self.type
        if self.status >= 500:
            return "server_error"
        return _DEFAULT_ERROR_TYPES.get(self.status, "invalid_request_error")

    def body(self) -> dict[str, Any]:
        """Return the JSON body as OpenAI sends it."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type(),
                "param": self.param,
                "code": self.code,
            }
        }

    @classmethod
    def invalid_api_key(cls) -> HTTPError:
        """A 401 like OpenAI's answer to a wrong key."""
        return cls(
            401,
            "Incorrect API key provided: test. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )

    @classmethod
    def model_not_found(cls, model: str = "no-such-model") -> HTTPError:
        """A 404 like OpenAI's answer to an unknown model."""
        return cls(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0) -> HTTPError:
        """A 429 with a `retry-after` header."""
        return cls(
            429,
            f"Rate limit reached for requests. Please try again in {retry_after:g}s.",
            code="rate_limit_exceeded",
            headers={"retry-after": f"{retry_after:g}"},
        )

    @classmethod
    def server_error(cls) -> HTTPError:
        """A 500 like OpenAI's generic server error."""
        return cls(
            500,
            "The server had an error while processing your request. Sorry about that!",
        )


@dataclass(frozen=True, slots=True)
class DropAfter:
    """Stream normal content chunks, then drop the connection without finishing the body.

    After `after` content chunks the server closes the socket without the terminating
    zero-length chunk, so httpx sees an incomplete chunked body (a dropped connection).

    Attributes:
        text: The answer (split with `split_tokens`) or the exact content deltas.
        after: How many content chunks to send before dropping.
    """

    text: str | Sequence[str]
    after: int

    def pieces(self) -> list[str]:
        """Return the content deltas."""
        if isinstance(self.text, str):
            return split_tokens(self.text)
        return list(self.text)


@dataclass(frozen=True, slots=True)
class Stall:
    """Say nothing for `seconds` (to test read timeouts and cancelling).

    Attributes:
        seconds: How long to stay silent.
        text: What to stream after the stall (if the client is still there).
        headers_first: Send the 200 response headers before stalling (a stalled stream);
            `False` stalls before any byte of the response (a slow server).
    """

    seconds: float
    text: str = ""
    headers_first: bool = True


@dataclass(frozen=True, slots=True)
class Flood:
    """Stream `n_chunks` small content chunks of Markdown prose as fast as possible.

    Meant for benchmarks: events are built from a pre-serialised template and written in
    batches when the server is unthrottled.

    Attributes:
        n_chunks: Number of content chunks.
        words_per_chunk: Words in each chunk.
        paragraph_every: A blank line (new paragraph) starts every this many chunks.
        tokens_per_second: Pacing; `None` uses the server's setting.
    """

    n_chunks: int
    words_per_chunk: int = 1
    paragraph_every: int = 40
    tokens_per_second: float | None = None


Reply: TypeAlias = Scripted | Slow | RawSSE | HTTPError | DropAfter | Stall | Flood
"""Everything the demo server can answer a chat request with."""

# --------------------------------------------------------------------------------------
# Token splitting
# --------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"\s*\S+|\s+")
_ASCII_PIECE = 5  # long ASCII words are cut into pieces of this many characters
_WIDE_PIECE = 2  # Hangul and other non-ASCII words: about one token per syllable pair


def split_tokens(text: str) -> list[str]:
    """Split text into small token-like deltas, like a model streams them.

    Each piece is a word with its leading whitespace; long words are cut further (Korean
    and other non-ASCII words into 2-character pieces) so streaming looks realistic and
    multi-byte text arrives in many deltas. `"".join(split_tokens(t)) == t` always holds.

    Args:
        text: The text to split.

    Returns:
        The deltas, in order.
    """
    out: list[str] = []
    for match in _WORD_RE.finditer(text):
        piece = match.group()
        word = piece.lstrip()
        lead = piece[: len(piece) - len(word)]
        size = _ASCII_PIECE if word.isascii() else _WIDE_PIECE
        if len(word) <= size + 1:
            out.append(piece)
            continue
        parts = [word[i : i + size] for i in range(0, len(word), size)]
        parts[0] = lead + parts[0]
        out.extend(parts)
    return out


# --------------------------------------------------------------------------------------
# Flood prose (benchmark text)
# --------------------------------------------------------------------------------------

_FLOOD_SENTENCES = (
    "The stream keeps arriving in small pieces and the reader keeps up with it.",
    "Every token is a tiny promise that more text is on its way.",
    "A good client renders finished blocks once and only redraws the growing tail.",
    "Terminals are fast when nobody asks them to repaint the whole screen.",
    "This paragraph exists to measure throughput, not to win a prize for prose.",
    "Short words travel quickly, and long answers are made of many short words.",
)
_FLOOD_WORDS: tuple[str, ...] = tuple(
    word for sentence in _FLOOD_SENTENCES for word in sentence.split()
)


def flood_tokens(n_chunks: int, words_per_chunk: int = 1, paragraph_every: int = 40) -> list[str]:
    """Return `n_chunks` content deltas of Markdown prose for a benchmark flood.

    Args:
        n_chunks: Number of deltas.
        words_per_chunk: Words per delta (each with its leading space).
        paragraph_every: Start a new paragraph (blank line) every this many deltas.

    Returns:
        The deltas; their concatenation is readable Markdown paragraphs.
    """
    words = _FLOOD_WORDS
    n_words = len(words)
    out: list[str] = []
    w = 0
    per = max(1, words_per_chunk)
    every = max(1, paragraph_every)
    for i in range(n_chunks):
        chunk_words = [words[(w + k) % n_words] for k in range(per)]
        w += per
        if i == 0:
            out.append(" ".join(chunk_words))
        elif i % every == 0:
            out.append("\n\n" + " ".join(chunk_words))
        else:
            out.append(" " + " ".join(chunk_words))
    return out


# --------------------------------------------------------------------------------------
# Understanding the conversation
# --------------------------------------------------------------------------------------

_HANGUL_RE = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def _message_text(message: dict[str, Any]) -> str:
    """Return the text of a message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    return ""


def _last_user_text(messages: Sequence[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _message_text(message)
    return ""


def _is_korean(text: str) -> bool:
    return bool(_HANGUL_RE.search(text))


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> set[str]:
    names: set[str] = set()
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.add(function["name"])
    return names


def _words_re(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


_MARKDOWN_EN = _words_re("markdown", "code", "example", "examples", "table", "snippet", "sample")
_MARKDOWN_KO = ("마크다운", "코드", "예제", "예시", "표를", "표 ")
_LONG_EN = _words_re("long", "longer", "lengthy", "essay", "story")
_LONG_KO = ("긴 ", "길게", "긴글", "에세이", "이야기", "장문")
_THINK_EN = _words_re("think", "thinking", "reason", "reasoning", "step by step", "ponder")
_THINK_KO = ("생각", "추론", "단계별")
_TIME_EN = _words_re("what time", "current time", "time now", "time is it", "local time", "clock")
_TIME_KO = ("몇 시", "몇시", "현재 시간", "현재 시각", "지금 시간", "시간은", "시간이", "시각은")

# city name (lower case) -> (IANA zone, English name, Korean name)
_CITIES: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("seoul", "서울"), "Asia/Seoul", "Seoul", "서울"),
    (("new york", "nyc", "뉴욕"), "America/New_York", "New York", "뉴욕"),
    (("london", "런던"), "Europe/London", "London", "런던"),
    (("tokyo", "도쿄"), "Asia/Tokyo", "Tokyo", "도쿄"),
    (("paris", "파리"), "Europe/Paris", "Paris", "파리"),
    (("berlin", "베를린"), "Europe/Berlin", "Berlin", "베를린"),
    (("sydney", "시드니"), "Australia/Sydney", "Sydney", "시드니"),
    (
        ("los angeles", "san francisco", "로스앤젤레스", "샌프란시스코"),
        "America/Los_Angeles",
        "Los Angeles",
        "로스앤젤레스",
    ),
)
_ZONE_NAMES = {zone: (en, ko) for _, zone, en, ko in _CITIES}

_GREETINGS: dict[str, tuple[str, ...]] = {
    "ko": ("안녕", "안녕하세요", "안녕하십니까", "반가워", "반갑습니다", "하이"),
    "fr": ("bonjour", "salut", "coucou", "bonsoir"),
    "es": ("hola", "buenos días", "buenos dias", "buenas tardes", "buenas"),
    "de": ("hallo", "guten tag", "guten morgen", "servus", "moin"),
    "ja": ("こんにちは", "こんばんは", "おはよう"),
    "zh": ("你好", "您好"),
    "en": (
        "hello", "hi", "hey", "hiya", "howdy", "greetings", "yo",
        "good morning", "good afternoon", "good evening",
    ),
}  # fmt: skip


def _greeting_language(text: str) -> str | None:
    """Return the language of a short greeting, or None if the text is not one."""
    cleaned = re.sub(r"[!?.,~:;'\"()\s]+", " ", text.lower()).strip()
    if not cleaned or len(cleaned.split()) > 8:
        return None
    for language, greetings in _GREETINGS.items():
        for greeting in greetings:
            if cleaned == greeting or cleaned.startswith(greeting + " "):
                return language
            # Korean and Japanese glue particles to words: match the prefix only.
            if language in ("ko", "ja", "zh") and cleaned.startswith(greeting):
                return language
    return None


def _mentions(text: str, en: re.Pattern[str], ko: Sequence[str]) -> bool:
    return bool(en.search(text)) or any(word in text for word in ko)


def _cities_in(text: str) -> list[str]:
    """Return the IANA zones of the cities named in `text`, in order of mention."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for names, zone, _, _ in _CITIES:
        positions = [lowered.find(name) for name in names if name in lowered]
        if positions:
            found.append((min(positions), zone))
    return [zone for _, zone in sorted(found)]


# --------------------------------------------------------------------------------------
# The planner
# --------------------------------------------------------------------------------------


def plan_reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Scripted:
    """Decide what the offline demo model answers to a conversation.

    Args:
        messages: The conversation in OpenAI's messages format.
        tools: The `tools` offered in the request (OpenAI function-tool format), if any.

    Returns:
        The answer, to be streamed (or sent whole) by the demo server.
    """
    if messages and messages[-1].get("role") == "tool":
        return _answer_from_tool_results(messages)

    prompt = _last_user_text(messages)
    korean = _is_korean(prompt)
    wants_reasoning = _mentions(prompt, _THINK_EN, _THINK_KO)

    reply = _plan_without_reasoning(prompt, korean, tools)
    if wants_reasoning:
        return Scripted(
            text=reply.text,
            tool_calls=reply.tool_calls,
            reasoning=_reasoning_text(prompt, korean, reply),
            finish_reason=reply.finish_reason,
        )
    return reply


_CALL_PROMPT = re.compile(r"^\s*call\s+([A-Za-z0-9_-]{1,64})\s*(\{.*\})?\s*$", re.DOTALL)


def _explicit_call(prompt: str, tools: list[dict[str, Any]] | None) -> Scripted | None:
    """`call NAME {"json": "arguments"}`: call that tool, so any tool can be tried offline."""
    match = _CALL_PROMPT.match(prompt)
    if match is None:
        return None
    name, arguments = match.group(1), match.group(2) or "{}"
    if name not in _tool_names(tools):
        offered = ", ".join(sorted(_tool_names(tools))) or "none"
        return Scripted(text=f"I have no tool called `{name}`. Tools offered to me: {offered}.")
    try:
        parsed = json.loads(arguments)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return Scripted(
            text=f'The arguments for `{name}` must be a JSON object, like `{{"a": 1}}`.'
        )
    return Scripted(tool_calls=[ToolCall(name, parsed)])


def _plan_without_reasoning(
    prompt: str, korean: bool, tools: list[dict[str, Any]] | None
) -> Scripted:
    explicit = _explicit_call(prompt, tools)
    if explicit is not None:
        return explicit
    zones = _cities_in(prompt)
    asks_time = _mentions(prompt, _TIME_EN, _TIME_KO) or (
        bool(zones) and (re.search(r"\btime\b", prompt, re.IGNORECASE) or "시간" in prompt)
    )
    if asks_time:
        if "get_current_time" not in _tool_names(tools):
            return Scripted(text=_no_time_tool_text(korean))
        if not zones:
            zones = ["UTC"]
        calls = [ToolCall("get_current_time", {"timezone": zone}) for zone in zones]
        return Scripted(tool_calls=calls)
    if _mentions(prompt, _MARKDOWN_EN, _MARKDOWN_KO):
        return Scripted(text=_markdown_text(korean))
    if _mentions(prompt, _LONG_EN, _LONG_KO):
        return Scripted(text=long_text(prompt, korean=korean))
    language = _greeting_language(prompt)
    if language is not None:
        return Scripted(text=_greeting_text(language))
    return Scripted(text=_fallback_text(prompt, korean))


# --------------------------------------------------------------------------------------
# Tool follow-up
# --------------------------------------------------------------------------------------

_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_KO = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
_TIME_KEYS = ("datetime", "iso", "iso8601", "local_time", "current_time", "now", "time")
_WEEKDAY_KEYS = ("weekday", "day_of_week", "day")
_HHMM_RE = re.compile(r"\b(\d{1,2}):(\d{2})")


def _answer_from_tool_results(messages: list[dict[str, Any]]) -> Scripted:
    """Answer using the trailing `tool` messages and the calls they answer."""
    # The trailing tool messages, and the assistant message whose calls they answer.
    results: list[dict[str, Any]] = []
    index = len(messages) - 1
    while index >= 0 and messages[index].get("role") == "tool":
        results.insert(0, messages[index])
        index -= 1
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    if index >= 0 and messages[index].get("role") == "assistant":
        for call in messages[index].get("tool_calls") or ():
            function = call.get("function") or {}
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except (TypeError, ValueError):
                arguments = {}
            calls[str(call.get("id"))] = (
                str(function.get("name", "")),
                arguments if isinstance(arguments, dict) else {},
            )
    korean = _is_korean(_last_user_text(messages[: index + 1]))

    time_parts: list[str] = []
    other_parts: list[str] = []
    for result in results:
        name, arguments = calls.get(str(result.get("tool_call_id")), ("", {}))
        content = _message_text(result)
        if name == "get_current_time" or (not name and _looks_like_time(content)):
            time_parts.append(_describe_time(content, arguments, korean))
        else:
            other_parts.append(_describe_other(name or "tool", content, korean))

    sentences: list[str] = []
    if time_parts:
        if korean:
            sentences.append(", ".join(time_parts) + "입니다.")
        else:
            joined = "; ".join(time_parts)
            sentences.append(joined[0].upper() + joined[1:] + ".")
    sentences.extend(other_parts)
    if not sentences:
        sentences.append(
            "도구가 아무 결과도 돌려주지 않았습니다." if korean else "The tool returned nothing."
        )
    return Scripted(text="\n\n".join(sentences))


def _looks_like_time(content: str) -> bool:
    return bool(_HHMM_RE.search(content))


def _describe_time(content: str, arguments: dict[str, Any], korean: bool) -> str:
    """Turn one `get_current_time` result into "in Seoul it is 14:03 (Tuesday)"."""
    data: Any
    try:
        data = json.loads(content)
    except ValueError:
        data = content
    zone = str(arguments.get("timezone") or "")
    if isinstance(data, dict):
        zone = str(data.get("timezone") or data.get("tz") or zone)
        if data.get("error"):
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else error
            place = _place(zone, korean)
            if korean:
                return f"{place}의 시간은 알 수 없었습니다({message})"
            return f"the time in {place} could not be found ({message})"
    clock, weekday = _extract_clock(data)
    place = _place(zone, korean)
    if clock is None:
        shown = content.strip() or "?"
        return f"{place}: {shown}" if korean else f"in {place}: {shown}"
    if korean:
        day = f"({_WEEKDAYS_KO[weekday]})" if weekday is not None else ""
        return (
            f"{place}은 {clock}{day}"
            if _has_final_consonant(place)
            else (f"{place}는 {clock}{day}")
        )
    day = f" ({_WEEKDAYS_EN[weekday]})" if weekday is not None else ""
    return f"in {place} it is {clock}{day}"


def _has_final_consonant(word: str) -> bool:
    """Whether a Korean word ends in a final consonant (picks the particle 은 vs 는)."""
    last = word[-1:] if word else ""
    if "\uac00" <= last <= "\ud7a3":
        return (ord(last) - 0xAC00) % 28 != 0
    return False


def _place(zone: str, korean: bool) -> str:
    if zone in _ZONE_NAMES:
        en, ko = _ZONE_NAMES[zone]
        return ko if korean else en
    return zone.rsplit("/", 1)[-1].replace("_", " ") or ("그곳" if korean else "that place")


def _extract_clock(data: Any) -> tuple[str | None, int | None]:
    """Find "HH:MM" and a weekday (0 = Monday) in a tool result of unknown layout."""
    candidates: list[str] = []
    weekday: int | None = None
    if isinstance(data, dict):
        for key in _TIME_KEYS:
            if isinstance(data.get(key), str):
                candidates.append(data[key])
        candidates.extend(v for v in data.values() if isinstance(v, str))
        for key in _WEEKDAY_KEYS:
            value = data.get(key)
            if isinstance(value, str):
                for i, name in enumerate(_WEEKDAYS_EN):
                    if value.lower().startswith(name[:3].lower()):
                        weekday = i
            elif isinstance(value, int) and 0 <= value <= 6:
                weekday = value
    elif isinstance(data, str):
        candidates.append(data)
    for candidate in candidates:
        try:
            moment = datetime.fromisoformat(candidate.strip())
        except ValueError:
            continue
        return moment.strftime("%H:%M"), weekday if weekday is not None else moment.weekday()
    for candidate in candidates:
        match = _HHMM_RE.search(candidate)
        if match:
            return f"{int(match.group(1)):02d}:{match.group(2)}", weekday
    return None, weekday


def _describe_other(name: str, content: str, korean: bool) -> str:
    try:
        pretty = json.dumps(json.loads(content), indent=2, ensure_ascii=False)
        block = f"```json\n{pretty}\n```"
    except ValueError:
        block = f"```\n{content}\n```"
    if korean:
        return f"`{name}` 도구의 결과입니다:\n\n{block}"
    return f"The `{name}` tool returned:\n\n{block}"


# --------------------------------------------------------------------------------------
# Canned texts
# --------------------------------------------------------------------------------------


def _try_text(korean: bool) -> str:
    """The list of things to try, which ends the greeting and the fallback answer."""
    return read_text("try_ko.md" if korean else "try_en.md").rstrip("\n")


_GREETING_INTROS: dict[str, str] = {
    "en": "Hello! I'm the **tuichat offline demo model**: no API key and no network needed, "
    "everything you see is streamed from a small local server.",
    "ko": "안녕하세요! 저는 **tuichat 오프라인 데모 모델**입니다. API 키도 네트워크도 필요 없고, "
    "보이는 모든 답변은 로컬의 작은 서버에서 스트리밍됩니다.",
    "fr": "Bonjour ! Je suis le **modèle de démonstration hors ligne de tuichat** : pas de clé "
    "d'API ni de réseau, tout est diffusé par un petit serveur local.",
    "es": "¡Hola! Soy el **modelo de demostración sin conexión de tuichat**: sin clave de API ni "
    "red, todo se transmite desde un pequeño servidor local.",
    "de": "Hallo! Ich bin das **Offline-Demomodell von tuichat**: kein API-Schlüssel und kein "
    "Netzwerk nötig, alles kommt von einem kleinen lokalen Server.",
    "ja": "こんにちは！**tuichat のオフラインデモモデル**です。API キーもネットワークも不要で、"
    "すべての応答は小さなローカルサーバーからストリーミングされます。",
    "zh": "你好！我是 **tuichat 离线演示模型**：无需 API 密钥，也无需联网，所有回答都来自一个"
    "本地小服务器的流式输出。",
}


def _greeting_text(language: str) -> str:
    return _GREETING_INTROS[language] + "\n\n" + _try_text(language == "ko")


def _markdown_text(korean: bool) -> str:
    return read_text("markdown_ko.md" if korean else "markdown_en.md")


def _gist(prompt: str, limit: int = 80) -> str:
    one_line = " ".join(prompt.split())
    if len(one_line) > limit:
        return one_line[: limit - 1].rstrip() + "…"
    return one_line


def _fallback_text(prompt: str, korean: bool) -> str:
    gist = _gist(prompt)
    if korean:
        asked = f"“{gist}”에 대해 물어보셨네요. " if gist else ""
        return (
            f"{asked}저는 **오프라인 데모 모델**이라서 실제로 답할 수는 없습니다. "
            "API 키 없이 tuichat을 둘러볼 수 있도록 정해진 답변만 스트리밍합니다.\n\n"
            + _try_text(True)
        )
    asked = f"You asked about “{gist}”. " if gist else ""
    return (
        f"{asked}I'm the **offline demo model**, so I can't really answer that: I only stream "
        "scripted replies so you can try tuichat without an API key.\n\n" + _try_text(False)
    )


def _no_time_tool_text(korean: bool) -> str:
    if korean:
        return (
            "현재 시간을 알려면 `get_current_time` 도구가 필요한데, 이 세션에서는 도구가 "
            "제공되지 않았습니다. 도구를 켜고 다시 물어봐 주세요."
        )
    return (
        "To tell the current time I'd need the `get_current_time` tool, and it isn't offered "
        "in this session. Enable tools and ask again."
    )


def _reasoning_text(prompt: str, korean: bool, reply: Scripted) -> str:
    gist = _gist(prompt, 60)
    if korean:
        plan = "도구를 호출해야겠다" if reply.tool_calls else "준비된 답변을 보여주면 되겠다"
        return (
            f"사용자가 “{gist}”라고 했다. 나는 오프라인 데모 모델이라 실제로 추론하지는 "
            "않지만, 추론 과정이 어떻게 스트리밍되는지 보여줄 수 있다. 먼저 질문의 요지를 "
            "파악하고, 할 수 있는 일과 없는 일을 나눈 다음, "
            f"{plan}. 이 문단은 `reasoning_content` 델타로 전송되고, 답변은 그 뒤에 온다."
        )
    plan = "call the tool first" if reply.tool_calls else "give the scripted answer"
    return (
        f"The user wrote “{gist}”. I'm the offline demo model, so there is no real thinking "
        "going on here, but I can show how reasoning streams. First, work out what is being "
        "asked. Second, separate what a scripted model can do from what it cannot. Third, "
        f"{plan}. This paragraph arrives as `reasoning_content` deltas, before the answer, "
        "so the client can show it apart from the reply."
    )


# --------------------------------------------------------------------------------------
# The long essay
# --------------------------------------------------------------------------------------

_Section: TypeAlias = tuple[str, tuple[str, ...], tuple[str, ...]]
_Essay: TypeAlias = tuple[tuple[_Section, ...], str]


def _parse_items(source: str) -> list[tuple[str, str]]:
    """Parse an essay text into `(marker, sentence)` items.

    The essays' sentences are one per item: "# " starts a section (its heading), "+ " is a
    paragraph's opening sentence (one paragraph per opening, never reused), "- " a body
    sentence that paragraphs of the section draw from, "= " the essay's last paragraph, and
    an indented line continues the item above.
    """
    items: list[tuple[str, str]] = []
    for line in source.splitlines():
        if line.startswith("  ") and items:
            marker, text = items[-1]
            items[-1] = (marker, f"{text} {line.strip()}")
        elif line.strip():
            marker, _, text = line.partition(" ")
            items.append((marker, text.strip()))
    return items


def _parse_essay(source: str) -> _Essay:
    """Parse an essay text block into `(heading, openings, bodies)` sections and an ending."""
    sections: list[tuple[str, list[str], list[str]]] = []
    ending = ""
    for marker, text in _parse_items(source):
        if marker == "#":
            sections.append((text, [], []))
        elif marker == "+":
            sections[-1][1].append(text)
        elif marker == "=":
            ending = text
        else:
            sections[-1][2].append(text)
    return tuple((heading, tuple(op), tuple(body)) for heading, op, body in sections), ending


@functools.cache
def _essay(korean: bool) -> _Essay:
    return _parse_essay(read_text("essay_ko.txt" if korean else "essay_en.txt"))


@functools.cache
def _essay_closers() -> tuple[str, ...]:
    """One of these ends each English paragraph, each used once, so paragraphs do not all end
    alike."""
    return tuple(text for _, text in _parse_items(read_text("essay_en_closers.txt")))


def long_text(prompt: str = "", *, korean: bool = False, paragraphs: int = 30) -> str:
    """Compose a long essay deterministically (same prompt, same essay).

    The essay has a title, section headings, up to `paragraphs` paragraphs and a closing
    paragraph. Each paragraph is a hand-written opening sentence followed by body sentences
    drawn (seeded by the prompt) from its section's pool, none of them used twice, so it
    reads like prose rather than filler: about 2,500 words in English, 20 shorter
    paragraphs in Korean.

    Args:
        prompt: Seeds the choice and order of body sentences.
        korean: Write the essay in Korean.
        paragraphs: Maximum number of paragraphs, besides the closing one.

    Returns:
        The Markdown text.
    """
    rng = random.Random(zlib.crc32(prompt.encode("utf-8")))
    sections, ending = _essay(korean)
    if korean:
        title = "# 터미널, 스트림, 그리고 인내에 관하여"
        intro = "*tuichat 데모 모델이 쓴 긴 글입니다. 스크롤과 스트리밍을 확인해 보세요.*"
        closers: list[str] = []
    else:
        title = "# On Terminals, Streams and Patience"
        intro = (
            "*A long answer from the tuichat demo model, to watch streaming, rendering and "
            "scrolling at work.*"
        )
        closers = list(_essay_closers())
        rng.shuffle(closers)
    parts = [title, intro]
    per_section = -(-paragraphs // len(sections))  # ceiling division
    written = 0
    for heading, openings, bodies in sections:
        if written >= paragraphs:
            break
        parts.append(f"## {heading}")
        count = min(per_section, len(openings), paragraphs - written)
        # As many body sentences per paragraph as the pool allows without reusing one.
        per_paragraph = max(1, min(3, len(bodies) // max(1, count)))
        order = list(bodies)
        rng.shuffle(order)
        for i in range(count):
            chosen = order[i * per_paragraph : (i + 1) * per_paragraph]
            sentences = [openings[i], *chosen]
            if written < len(closers):
                sentences.append(closers[written])
            parts.append(" ".join(sentences))
            written += 1
    if ending:
        parts.append(ending)
    return "\n\n".join(parts) + "\n"
