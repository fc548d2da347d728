"""Answering from tool results: the scripted model's reply once its tools have run.

`get_current_time` results become "in Seoul it is 14:03 (Tuesday)" (in Korean with the right
particle); any other tool's result is shown as a JSON or text block.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from tuichat.demo.replies import Scripted
from tuichat.demo.understanding import ZONE_NAMES, is_korean, last_user_text, message_text

__all__ = ["answer_from_tool_results"]

_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_KO = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
_TIME_KEYS = ("datetime", "iso", "iso8601", "local_time", "current_time", "now", "time")
_WEEKDAY_KEYS = ("weekday", "day_of_week", "day")
_HHMM_RE = re.compile(r"\b(\d{1,2}):(\d{2})")


def answer_from_tool_results(messages: list[dict[str, Any]]) -> Scripted:
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
    korean = is_korean(last_user_text(messages[: index + 1]))

    time_parts: list[str] = []
    other_parts: list[str] = []
    for result in results:
        name, arguments = calls.get(str(result.get("tool_call_id")), ("", {}))
        content = message_text(result)
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
    if zone in ZONE_NAMES:
        en, ko = ZONE_NAMES[zone]
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
