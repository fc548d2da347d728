"""The scripted demo model: `plan_reply` decides what it answers to a conversation.

It is what a user sees when tuichat runs without an API key: a tiny rule-based "model" that
greets, shows Markdown, writes a long essay (`tuichat.demo.essay`), calls the
`get_current_time` tool for Seoul and New York (two parallel calls), answers from the tool
results (`tuichat.demo.tool_answers`), summarises a transcript it is given
(`tuichat.demo.summary`), calls any offered tool on request
(`call NAME {...}`), and streams some reasoning when asked to think. The demo server
(`tuichat.demo.server`) streams its answer the way OpenAI streams one.

Stdlib only: the import-linter contract keeps `textual` and `rich` out of this package.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tuichat.demo.essay import long_text
from tuichat.demo.replies import Scripted, ToolCall
from tuichat.demo.summary import summary_reply
from tuichat.demo.texts import read_text
from tuichat.demo.tool_answers import answer_from_tool_results
from tuichat.demo.understanding import (
    cities_in,
    greeting_language,
    is_korean,
    last_user_text,
    mentions,
    tool_names,
    words_re,
)

__all__ = ["plan_reply"]

# What a prompt mentions to get each canned answer: English words, Korean substrings.
_MARKDOWN_EN = words_re("markdown", "code", "example", "examples", "table", "snippet", "sample")
_MARKDOWN_KO = ("마크다운", "코드", "예제", "예시", "표를", "표 ")
_LONG_EN = words_re("long", "longer", "lengthy", "essay", "story")
_LONG_KO = ("긴 ", "길게", "긴글", "에세이", "이야기", "장문")
_THINK_EN = words_re("think", "thinking", "reason", "reasoning", "step by step", "ponder")
_THINK_KO = ("생각", "추론", "단계별")
_TIME_EN = words_re("what time", "current time", "time now", "time is it", "local time", "clock")
_TIME_KO = ("몇 시", "몇시", "현재 시간", "현재 시각", "지금 시간", "시간은", "시간이", "시각은")


def plan_reply(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> Scripted:
    """Decide what the offline demo model answers to a conversation.

    Args:
        messages: The conversation in OpenAI's messages format.
        tools: The `tools` offered in the request (OpenAI function-tool format), if any.

    Returns:
        The answer, to be streamed (or sent whole) by the demo server.
    """
    if messages and messages[-1].get("role") == "tool":
        return answer_from_tool_results(messages)
    summary = summary_reply(messages)
    if summary is not None:  # a summary of a transcript (the app's Context screen asks)
        return summary

    prompt = last_user_text(messages)
    korean = is_korean(prompt)
    wants_reasoning = mentions(prompt, _THINK_EN, _THINK_KO)

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
    if name not in tool_names(tools):
        offered = ", ".join(sorted(tool_names(tools))) or "none"
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
    zones = cities_in(prompt)
    asks_time = mentions(prompt, _TIME_EN, _TIME_KO) or (
        bool(zones) and (re.search(r"\btime\b", prompt, re.IGNORECASE) or "시간" in prompt)
    )
    if asks_time:
        if "get_current_time" not in tool_names(tools):
            return Scripted(text=_no_time_tool_text(korean))
        if not zones:
            zones = ["UTC"]
        calls = [ToolCall("get_current_time", {"timezone": zone}) for zone in zones]
        return Scripted(tool_calls=calls)
    if mentions(prompt, _MARKDOWN_EN, _MARKDOWN_KO):
        return Scripted(text=_markdown_text(korean))
    if mentions(prompt, _LONG_EN, _LONG_KO):
        return Scripted(text=long_text(prompt, korean=korean))
    language = greeting_language(prompt)
    if language is not None:
        return Scripted(text=_greeting_text(language))
    return Scripted(text=_fallback_text(prompt, korean))


# -- canned answers --------------------------------------------------------------------


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
