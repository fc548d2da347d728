"""Understanding the conversation: the prompt's text, its language, what it mentions.

The scripted model (`tuichat.demo.planner`) decides on these: whether the user writes in
Korean, greets (and in which language), names cities, or offers a tool.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_HANGUL_RE = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def message_text(message: dict[str, Any]) -> str:
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


def last_user_text(messages: Sequence[dict[str, Any]]) -> str:
    """Return the text of the last user message (empty when there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""


def is_korean(text: str) -> bool:
    """Whether `text` contains Hangul (the demo then answers in Korean)."""
    return bool(_HANGUL_RE.search(text))


def tool_names(tools: Sequence[dict[str, Any]] | None) -> set[str]:
    """Return the names of the function tools offered in a request."""
    names: set[str] = set()
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.add(function["name"])
    return names


def words_re(*words: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of `words` as whole words."""
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


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
ZONE_NAMES = {zone: (en, ko) for _, zone, en, ko in _CITIES}
"""IANA zone -> (English name, Korean name) of the cities the demo knows."""

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


def greeting_language(text: str) -> str | None:
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


def mentions(text: str, en: re.Pattern[str], ko: Sequence[str]) -> bool:
    """Whether `text` matches the English pattern or contains one of the Korean words."""
    return bool(en.search(text)) or any(word in text for word in ko)


def cities_in(text: str) -> list[str]:
    """Return the IANA zones of the cities named in `text`, in order of mention."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for names, zone, _, _ in _CITIES:
        positions = [lowered.find(name) for name in names if name in lowered]
        if positions:
            found.append((min(positions), zone))
    return [zone for _, zone in sorted(found)]
