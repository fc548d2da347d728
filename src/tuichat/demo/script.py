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

import json
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

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
        return Scripted(text=_MARKDOWN_KO_TEXT if korean else _MARKDOWN_EN_TEXT)
    if _mentions(prompt, _LONG_EN, _LONG_KO):
        return Scripted(text=long_text(prompt, korean=korean))
    language = _greeting_language(prompt)
    if language is not None:
        return Scripted(text=_GREETING_TEXTS[language])
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

_TRY_EN = """\
Things to try:

- `hello` (or `안녕하세요`): a greeting
- `show me some markdown`: headings, a list, a table and a code block
- `write something long`: a long essay, to watch streaming and scrolling
- `what time is it in Seoul and New York?`: two parallel `get_current_time` tool calls
- `think about it`: reasoning streamed before the answer
- `call calculate {"expression": "6*7"}`: call any tool offered (yours and MCP servers' too: F5 lists them)

To talk to a real model, set `OPENAI_API_KEY` and pass `--model` (and `--base-url` for any \
OpenAI-compatible server), e.g. `tuichat --base-url https://api.openai.com/v1 --model gpt-4o-mini`."""

_TRY_KO = """\
이런 것을 해 보세요:

- `안녕하세요` (또는 `hello`): 인사
- `마크다운 예제 보여줘`: 제목, 목록, 표, 코드 블록
- `긴 글 써줘`: 긴 에세이 (스트리밍과 스크롤 확인용)
- `서울과 뉴욕의 현재 시간은?`: `get_current_time` 도구를 병렬로 두 번 호출
- `생각해 보고 답해줘`: 답변 전에 추론 과정 스트리밍
- `call calculate {"expression": "6*7"}`: 제공된 도구를 직접 호출 (내 도구와 MCP 서버 도구도: F5로 목록 보기)

실제 모델을 쓰려면 `OPENAI_API_KEY`를 설정하고 `--model`을 지정하세요. OpenAI 호환 서버라면 \
`--base-url`도 함께: `tuichat --base-url https://api.openai.com/v1 --model gpt-4o-mini`."""

_GREETING_TEXTS: dict[str, str] = {
    "en": "Hello! I'm the **tuichat offline demo model**: no API key and no network needed, "
    "everything you see is streamed from a small local server.\n\n" + _TRY_EN,
    "ko": "안녕하세요! 저는 **tuichat 오프라인 데모 모델**입니다. API 키도 네트워크도 필요 없고, "
    "보이는 모든 답변은 로컬의 작은 서버에서 스트리밍됩니다.\n\n" + _TRY_KO,
    "fr": "Bonjour ! Je suis le **modèle de démonstration hors ligne de tuichat** : pas de clé "
    "d'API ni de réseau, tout est diffusé par un petit serveur local.\n\n" + _TRY_EN,
    "es": "¡Hola! Soy el **modelo de demostración sin conexión de tuichat**: sin clave de API ni "
    "red, todo se transmite desde un pequeño servidor local.\n\n" + _TRY_EN,
    "de": "Hallo! Ich bin das **Offline-Demomodell von tuichat**: kein API-Schlüssel und kein "
    "Netzwerk nötig, alles kommt von einem kleinen lokalen Server.\n\n" + _TRY_EN,
    "ja": "こんにちは！**tuichat のオフラインデモモデル**です。API キーもネットワークも不要で、"
    "すべての応答は小さなローカルサーバーからストリーミングされます。\n\n" + _TRY_EN,
    "zh": "你好！我是 **tuichat 离线演示模型**：无需 API 密钥，也无需联网，所有回答都来自一个"
    "本地小服务器的流式输出。\n\n" + _TRY_EN,
}

_CODE_SAMPLE = '''\
```python
from dataclasses import dataclass


@dataclass
class Message:
    role: str
    content: str


def word_count(messages: list[Message]) -> int:
    """Count the words in a conversation."""
    return sum(len(m.content.split()) for m in messages)


print(word_count([Message("user", "hello there"), Message("assistant", "hi!")]))
```'''

_MARKDOWN_EN_TEXT = f"""\
# Markdown in tuichat

A quick tour of what the renderer handles, all of it streamed token by token.

## Lists

- **Bold**, *italic*, ~~strikethrough~~ and `inline code`
- Nested items:
  - a second level
  - and another one
- Links such as [the OpenAI API reference](https://platform.openai.com/docs/api-reference)

1. Ordered lists
2. keep their numbers
3. while the text streams in

## A table

| Language | Typing           | First released |
|----------|------------------|---------------:|
| Python   | dynamic, gradual |           1991 |
| Rust     | static           |           2015 |
| Go       | static           |           2012 |

## Some code

{_CODE_SAMPLE}

> Block quotes work too: *"Simple things should be simple, complex things should be possible."*
"""

_MARKDOWN_KO_TEXT = f"""\
# tuichat의 마크다운

렌더러가 처리하는 요소들을 간단히 둘러봅니다. 모두 토큰 단위로 스트리밍됩니다.

## 목록

- **굵게**, *기울임*, ~~취소선~~, `인라인 코드`
- 중첩 목록:
  - 두 번째 단계
  - 하나 더
- [OpenAI API 문서](https://platform.openai.com/docs/api-reference) 같은 링크

1. 번호 목록은
2. 스트리밍 중에도
3. 번호를 유지합니다

## 표

| 언어   | 타입 시스템  | 발표 연도 |
|--------|--------------|----------:|
| Python | 동적, 점진적 |      1991 |
| Rust   | 정적         |      2015 |
| Go     | 정적         |      2012 |

## 코드

{_CODE_SAMPLE}

> 인용문도 됩니다: *"단순한 것은 단순하게, 복잡한 것은 가능하게."*
"""


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
            "API 키 없이 tuichat을 둘러볼 수 있도록 정해진 답변만 스트리밍합니다.\n\n" + _TRY_KO
        )
    asked = f"You asked about “{gist}”. " if gist else ""
    return (
        f"{asked}I'm the **offline demo model**, so I can't really answer that: I only stream "
        "scripted replies so you can try tuichat without an API key.\n\n" + _TRY_EN
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

# The essays' sentences, one per item: "# " starts a section (its heading), "+ " is a
# paragraph's opening sentence (one paragraph per opening, never reused), "- " a body sentence
# that paragraphs of the section draw from, "= " the essay's last paragraph, and an indented
# line continues the item above.
_ESSAY_EN_TEXT = """\
# The terminal as a place to think
+ The terminal is older than most of the people who use it, and it has aged better than almost
  any other interface we still rely on every day.
+ What makes a terminal pleasant is not nostalgia but focus: there is one cursor, one stream
  of text, and very little that competes for attention.
+ A chat client in the terminal inherits that focus, which is both a gift and an obligation
  for whoever builds it.
+ People who live in the terminal tend to have strong opinions about keys, colours and
  latency, and most of those opinions turn out to be right.
+ It is easy to underestimate how much a plain grid of characters can express once it is given
  headings, tables and a little colour.
- Every keystroke should do something predictable, and nothing should move unless the user
  asked for it.
- A screen that redraws too often feels nervous, while one that redraws too rarely feels
  broken.
- The best tools disappear while you use them, leaving only the work in front of you.
- Good defaults matter more than many options, because most people never open the settings at
  all.
- Monospaced text has a rhythm of its own, and code in particular reads better when every
  column lines up.
- Colour is a signal rather than a decoration, and a theme that forgets this quickly becomes
  tiring.
- Scrolling back through a long conversation should feel like reading a document, not like
  digging through a log file.
- A terminal program also has to respect the shell it came from, which means clean exits and
  no surprises left on the screen.
- Keyboard shortcuts are a language, and like any language they are easiest to learn when they
  are consistent.
- A status bar that tells the truth is worth more than an animation that hides it.
- Resizing the window should never lose a line of text or the position of the reader.
- Copying text out of the screen is a basic right that some interfaces forget to grant.
- Help that appears exactly where it is needed beats a manual that nobody opens.
- Unicode, wide characters and emoji make the simple grid less simple than it looks.
- Quiet interfaces invite longer sessions, because nothing shouts for attention.
# What streaming changes
+ A language model does not write its answer all at once; it produces one small piece after
  another, and streaming simply shows those pieces as they arrive.
+ Streaming turns waiting into reading, which is why a slow answer that streams feels faster
  than a quick answer that does not.
+ Underneath, a stream is a sequence of server-sent events, each carrying a small JSON object
  with the next fragment of text.
+ The hard part of streaming is not receiving the fragments but rendering them without
  redrawing everything each time.
+ Streams also fail in interesting ways, and a client has to decide what to keep when the
  connection drops halfway through a sentence.
- A fragment may be a whole word, part of a word, or a single punctuation mark.
- Markdown complicates matters, because a table or a code block is only complete once its last
  line has arrived.
- Rendering finished blocks once and updating only the growing tail keeps the work
  proportional to what actually changed.
- The network does not respect the boundaries of characters, so a multi-byte letter can easily
  be split across two reads.
- Keeping the partial answer after an error is a small kindness that users notice immediately.
- Cancelling a stream should be instant, and the text received so far should stay on the
  screen.
- Different servers disagree on small details, such as where usage is reported or whether an
  index is sent at all.
- A tolerant reader accepts those differences quietly instead of failing on the first
  unexpected field.
- Reasoning can stream too, and it deserves a quieter place on the screen than the answer.
- The order of events carries meaning, so a reader must never shuffle them.
- A stream that ends without its final marker is a truncated answer, not a finished one.
- Comments and keep-alive lines travel in the same stream and must be skipped politely.
- Throughput matters when answers are long, and thousands of tiny chunks add up quickly.
- Keeping a raw copy of what arrived makes strange behaviour much easier to explain later.
- The reader should never be forced to scroll back down just because new text arrived.
# Tools and the shape of an answer
+ Tools let a model ask the program around it to do something the model cannot do alone, such
  as reading a clock or searching a file.
+ When a model calls a tool, the answer stops being a single piece of text and becomes a small
  conversation between the model and the client.
+ Parallel tool calls arrive interleaved in the same stream, each identified by its index,
  with its arguments spread over many fragments.
+ Asking the user before running a tool is more than a formality; it keeps the person in
  charge of what the program does on their behalf.
+ Once the results come back, the model reads them like any other message and writes the
  answer the user was waiting for.
- The arguments of a call are JSON, but they only become valid JSON once every fragment has
  been received.
- A client that parses the arguments too early will see errors that are not really errors at
  all.
- Showing the call as it forms helps people understand what is about to happen.
- Results should be short and structured, because the model pays for every token it has to
  read.
- An honest error message from a tool is more useful to the model than a silent failure.
- Some tools are harmless and can run without asking, while others deserve a confirmation
  every time.
- The loop of call, result and answer can repeat several times before the model is satisfied.
- Limiting the number of rounds protects both the user's patience and their budget.
- The name of a tool should say exactly what it does, in as few words as possible.
- A clock is the simplest useful tool, which is why it makes such a good example.
- Two calls made in parallel finish sooner than two calls made one after the other.
- The model never runs the tool itself; it only asks, and the client decides.
- Every result goes back to the model with the id of the call it answers.
- Tools that change files or send messages need far more care than tools that only read.
- A transcript of calls and results makes the whole exchange easy to audit afterwards.
# On patience and latency
+ Latency is the silent partner of every interface, and people feel it long before they can
  measure it.
+ The first token matters more than the last, because it tells the reader that something is
  happening.
+ A spinner is a promise, and a promise that is broken too often teaches people to stop
  trusting the screen.
+ Timeouts are a form of honesty: at some point the program has to admit that the answer is
  not coming.
+ Retrying automatically is tempting, but a retry that the user cannot see can make a slow
  service look even slower.
- Measuring before optimising saves a surprising amount of wasted effort.
- Most delays come from a few obvious places once someone bothers to look.
- A program that stays responsive while it waits feels faster than one that freezes, even when
  both finish at the same moment.
- Showing how long an answer took helps people build an intuition for the models they use.
- Rate limits are not personal, but the error message should still say when it is worth trying
  again.
- A clear status line can replace a great deal of guessing.
- Background work should stay in the background and never block the keyboard.
- Batching small updates into one frame is usually the cheapest speed-up available.
- A request that hangs forever is worse than one that fails quickly and says why.
- Connection errors deserve plain words, not stack traces.
- Cancelling should free the screen at once, even if the server takes a moment to notice.
- Users forgive a slow answer far more readily than a frozen window.
- Network conditions change from minute to minute, and a good client adapts without fuss.
- A progress indicator that moves steadily is more reassuring than one that jumps.
- Some waiting is unavoidable, but none of it should be unexplained.
# Small programs, long lives
+ Small programs often outlive the grand plans that were made for them, quietly doing one job
  well for years.
+ The secret of a long-lived tool is boring reliability: it starts quickly, keeps its data
  safe and never loses a conversation.
+ Tests are what allow a small program to change without fear, especially when the network is
  part of the picture.
+ A local test server that speaks the real protocol catches mistakes that mocks politely
  ignore.
+ Documentation for a small tool should fit on a screen, and the help text should answer the
  questions people actually ask.
- Configuration files should be readable by humans and forgiving of small mistakes.
- Saving work as it happens means a crash costs seconds rather than hours.
- Every dependency is a small bet on someone else's future decisions.
- Clear boundaries between the core and the interface make both easier to test.
- A recorded stream from a real server is worth more than a page of assumptions about how that
  server behaves.
- Error messages are part of the interface and deserve the same care as the happy path.
- Keeping the history in a single file makes backups and moves trivial.
- Features are easy to add and hard to remove, so each one should earn its place.
- Themes are a way for people to make a tool their own, and they cost very little to support.
- Starting up quickly matters more for a tool that is opened many times a day.
- Continuous integration keeps the promises that the tests make.
- A good changelog is a letter to the future maintainers of the program.
- Portable code runs on the laptop, the server and the old machine in the corner alike.
- Plain text formats survive every migration and every change of fashion.
- When a program is small enough to understand, it is small enough to fix.
# Closing thoughts
+ None of this is new; it is the ordinary craft of building software that people use every
  day, applied to a new kind of conversation.
+ The model is only half of the experience, and the client decides whether the other half
  feels calm or chaotic.
+ If this essay has scrolled smoothly past your eyes, the client has already done most of what
  it needs to do.
+ A demo model like this one cannot think, but it can exercise every path a real answer would
  take through the program.
+ Looking back over these sections, a single idea keeps returning: respect the reader's
  attention, and most other decisions become easier.
- Craft shows in the details that nobody notices until they are missing.
- A quiet interface leaves room for the words that matter.
- The best compliment for a tool is that people forget they are using it.
- Reading should never feel like waiting, even when it is.
- Simple things should stay simple, and complex things should remain possible.
- Every improvement starts with someone noticing a small annoyance.
- There is always one more edge case, and that is fine.
- The terminal will still be here tomorrow, patient as ever.
- Good software is mostly the absence of bad surprises.
- The most useful feature is often the one that was left out.
- Care for the reader is the common thread running through all of it.
- Each conversation is a small collaboration between a person and a program.
- A tool earns trust slowly and can lose it in a moment.
- Clarity beats cleverness in code as much as in prose.
- The next improvement is usually hiding in plain sight.
= So this is where the long answer ends: thank you for reading, and try a real model next,
  with your own key and your own questions.
"""

_ESSAY_KO_TEXT = """\
# 생각하는 공간으로서의 터미널
+ 터미널은 우리가 매일 쓰는 인터페이스 가운데 가장 오래된 것이지만, 여전히 가장 단단하게 살아남은 도구이기도 합니다.
+ 터미널이 편안한 이유는 향수가 아니라 집중에 있습니다. 커서는 하나, 글의 흐름도 하나뿐이기 때문입니다.
+ 터미널 안의 채팅 프로그램은 그 집중을 물려받으며, 그것은 선물이자 책임입니다.
+ 터미널에서 사는 사람들은 단축키와 색상, 지연 시간에 대해 확고한 의견을 가지고 있고, 그 의견은 대체로 옳습니다.
+ 글자만으로 이루어진 화면도 제목과 표, 약간의 색을 더하면 놀랄 만큼 많은 것을 표현할 수 있습니다.
- 모든 키 입력은 예측 가능한 일을 해야 하고, 사용자가 원하지 않은 것은 움직이지 않아야 합니다.
- 너무 자주 다시 그리는 화면은 불안해 보이고, 너무 드물게 그리는 화면은 고장 난 것처럼 보입니다.
- 좋은 도구는 쓰는 동안 사라지고, 눈앞의 일만 남깁니다.
- 선택지가 많은 것보다 좋은 기본값이 더 중요합니다. 대부분은 설정을 열어 보지도 않기 때문입니다.
- 고정폭 글꼴에는 고유한 리듬이 있고, 특히 코드는 열이 맞을 때 훨씬 잘 읽힙니다.
- 색은 장식이 아니라 신호이며, 이를 잊은 테마는 금세 눈을 피곤하게 합니다.
- 창 크기를 바꿔도 글 한 줄이나 읽던 위치를 잃어서는 안 됩니다.
- 화면의 글을 복사할 수 있다는 것은 기본적인 권리인데, 의외로 잊히곤 합니다.
- 도움말은 설명서가 아니라 필요한 순간 바로 그 자리에 있어야 합니다.
- 조용한 인터페이스는 아무것도 주의를 끌려고 소리치지 않기에 더 오래 머물게 합니다.
# 스트리밍이 바꾸는 것
+ 언어 모델은 답을 한 번에 쓰지 않고 작은 조각을 하나씩 만들어 내며, 스트리밍은 그 조각을 도착하는 대로 보여 줄 뿐입니다.
+ 스트리밍은 기다림을 읽기로 바꿉니다. 그래서 느리지만 흘러나오는 답이 빠르지만 한꺼번에 오는 답보다 빠르게 느껴집니다.
+ 그 아래에서 스트림은 서버가 보내는 이벤트의 연속이며, 각각은 다음 글 조각을 담은 작은 JSON 객체입니다.
+ 스트리밍에서 어려운 부분은 조각을 받는 일이 아니라, 매번 전부 다시 그리지 않고 보여 주는 일입니다.
+ 스트림은 흥미로운 방식으로 실패하기도 하며, 연결이 문장 중간에 끊기면 무엇을 남길지 정해야 합니다.
- 조각 하나는 단어 전체일 수도, 단어의 일부일 수도, 문장 부호 하나일 수도 있습니다.
- 표나 코드 블록은 마지막 줄이 도착해야 완성되기 때문에 마크다운은 일을 더 복잡하게 만듭니다.
- 완성된 블록은 한 번만 그리고 자라나는 끝부분만 갱신하면, 일의 양이 실제로 바뀐 만큼으로 줄어듭니다.
- 네트워크는 글자의 경계를 신경 쓰지 않아서, 한글 한 글자가 두 번의 읽기로 나뉘어 도착할 수도 있습니다.
- 오류가 나도 받은 만큼의 답을 남겨 두는 작은 배려를 사용자는 바로 알아봅니다.
- 스트림 취소는 즉시 이루어져야 하고, 그때까지 받은 글은 화면에 남아야 합니다.
- 추론 과정도 스트리밍될 수 있으며, 답변보다 한 발 물러선 자리에 보여 주는 것이 좋습니다.
- 마지막 표시 없이 끝난 스트림은 완성된 답이 아니라 잘린 답입니다.
- 답이 길어지면 처리량이 중요해지고, 수천 개의 작은 조각은 금세 쌓입니다.
- 새 글이 도착했다고 해서 읽던 사람을 억지로 아래로 끌어내려서는 안 됩니다.
# 도구와 답변의 모양
+ 도구는 모델이 혼자서는 할 수 없는 일, 예를 들어 시계를 읽는 일을 주변 프로그램에 부탁할 수 있게 해 줍니다.
+ 모델이 도구를 부르면 답변은 하나의 글이 아니라 모델과 클라이언트 사이의 작은 대화가 됩니다.
+ 병렬 도구 호출은 같은 스트림 안에서 번호로 구분되어 도착하고, 인자는 여러 조각에 나뉘어 옵니다.
+ 도구를 실행하기 전에 사용자에게 묻는 것은 형식이 아니라, 사람이 주도권을 쥐게 하는 장치입니다.
+ 결과가 돌아오면 모델은 그것을 다른 메시지처럼 읽고, 사용자가 기다리던 답을 씁니다.
- 호출의 인자는 JSON이지만, 모든 조각이 도착해야 비로소 올바른 JSON이 됩니다.
- 인자를 너무 일찍 해석하는 클라이언트는 사실 오류가 아닌 오류를 보게 됩니다.
- 호출이 만들어지는 과정을 보여 주면 곧 무슨 일이 일어날지 이해하기 쉽습니다.
- 결과는 짧고 구조적이어야 합니다. 모델은 읽는 토큰마다 비용을 치르기 때문입니다.
- 도구의 솔직한 오류 메시지는 조용한 실패보다 모델에게 훨씬 쓸모가 있습니다.
- 호출, 결과, 답변의 고리는 모델이 만족할 때까지 여러 번 반복될 수 있습니다.
- 시계는 가장 단순하면서도 쓸모 있는 도구라서 예제로 쓰기에 딱 좋습니다.
- 병렬로 보낸 두 호출은 차례로 보낸 두 호출보다 빨리 끝납니다.
- 모델은 도구를 직접 실행하지 않습니다. 요청할 뿐이고, 결정은 클라이언트가 합니다.
- 파일을 바꾸거나 메시지를 보내는 도구는 읽기만 하는 도구보다 훨씬 더 조심해야 합니다.
# 작은 프로그램의 긴 수명
+ 작은 프로그램은 종종 그것을 위해 세운 거창한 계획보다 오래 살아남아, 한 가지 일을 조용히 잘 해냅니다.
+ 오래가는 도구의 비밀은 지루할 만큼의 신뢰성입니다. 빨리 켜지고, 데이터를 지키고, 대화를 잃지 않습니다.
+ 테스트는 작은 프로그램이 두려움 없이 바뀔 수 있게 해 주며, 네트워크가 얽혀 있을 때는 더욱 그렇습니다.
+ 실제 프로토콜을 말하는 로컬 테스트 서버는 목 객체가 눈감아 주는 실수를 잡아냅니다.
+ 돌아보면 이 모든 이야기는 결국 읽는 사람의 주의를 존중하자는 하나의 생각으로 모입니다.
- 설정 파일은 사람이 읽을 수 있어야 하고, 작은 실수에는 너그러워야 합니다.
- 작업을 그때그때 저장하면 충돌이 나도 몇 시간이 아니라 몇 초만 잃습니다.
- 핵심과 인터페이스 사이의 분명한 경계는 둘 다 테스트하기 쉽게 만듭니다.
- 오류 메시지도 인터페이스의 일부이며, 정상 경로와 같은 정성을 받을 자격이 있습니다.
- 기능은 추가하기는 쉽고 없애기는 어렵기 때문에, 하나하나가 자리를 증명해야 합니다.
- 도구에 대한 최고의 칭찬은 사람들이 그것을 쓰고 있다는 사실을 잊는 것입니다.
- 평범한 텍스트 형식은 어떤 이전에도, 어떤 유행의 변화에도 살아남습니다.
- 빠른 시작은 하루에도 여러 번 여는 도구에게 특히 중요합니다.
- 좋은 변경 기록은 미래의 관리자에게 보내는 편지입니다.
- 이해할 수 있을 만큼 작은 프로그램은 고칠 수 있을 만큼 작은 프로그램이기도 합니다.
= 이 긴 답변은 여기서 끝납니다. 읽어 주셔서 고맙습니다. 다음에는 실제 모델과 여러분의 질문으로
  시도해 보세요.
"""

# One of these ends each English paragraph, each used once, so paragraphs do not all end alike.
_ESSAY_EN_CLOSERS_TEXT = """\
- That, more than any feature list, is what people remember.
- It sounds obvious, yet it is forgotten surprisingly often.
- The rest follows from taking that seriously.
- Small decisions like this add up to the feeling of quality.
- Nobody writes a review about it, but everybody notices when it is missing.
- In practice, this is where most of the effort goes.
- It is worth remembering the next time something feels slow.
- The lesson is older than any of the tools involved.
- Getting this right early saves a great deal of rework later.
- A little care here goes a very long way.
- And so the details turn out to be the design.
- This is the part that users feel even when they cannot name it.
- Each of these habits is cheap on its own and valuable together.
- It is a modest goal, and a surprisingly demanding one.
- That is the difference between a demo and a tool.
- Most of the time, the simplest explanation is also the right one.
- Nothing about this requires cleverness, only attention.
- The payoff arrives quietly, one uneventful day after another.
- Few people will thank you for it, and that is the point.
- It is the kind of work that only shows when it is absent.
- Over time, these small choices become the character of a program.
- Patience, here, is an engineering decision rather than a virtue.
- A clear mental model makes every later step easier.
- There is no shortcut, but there is a steady path.
- The result is calmer for the user and for the person maintaining it.
- It helps to write these things down before they are forgotten.
- Even a demo benefits from being built this way.
- That balance is hard to find and easy to lose.
- Good habits, once formed, cost almost nothing to keep.
- Everything else is, in the end, a matter of follow-through.
"""


_Section: TypeAlias = tuple[str, tuple[str, ...], tuple[str, ...]]
_Essay: TypeAlias = tuple[tuple[_Section, ...], str]


def _parse_items(source: str) -> list[tuple[str, str]]:
    """Parse an essay text block into `(marker, sentence)` items (see the format above)."""
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


_ESSAY_EN = _parse_essay(_ESSAY_EN_TEXT)
_ESSAY_KO = _parse_essay(_ESSAY_KO_TEXT)
_ESSAY_EN_CLOSERS = tuple(text for _, text in _parse_items(_ESSAY_EN_CLOSERS_TEXT))


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
    sections, ending = _ESSAY_KO if korean else _ESSAY_EN
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
        closers = list(_ESSAY_EN_CLOSERS)
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
