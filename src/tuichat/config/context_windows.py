"""The context windows of well-known models, for servers whose `/models` does not say.

Matched on the model's name without a provider prefix (`openai/gpt-4o` is `gpt-4o`) and
without an Ollama tag (`llama3.2:3b` is `llama3.2`): the longest known name it starts with
wins, so `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`'s.
"""

from __future__ import annotations

KNOWN_CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4-turbo": 128_000,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude": 200_000,
    "gemini-1.5": 1_048_576,
    "gemini-2": 1_048_576,
    "llama3": 8_192,
    "llama3.1": 131_072,
    "llama3.2": 131_072,
    "llama3.3": 131_072,
    "llama-3.1": 131_072,
    "llama-3.2": 131_072,
    "llama-3.3": 131_072,
    "mistral": 32_768,
    "mixtral": 32_768,
    "qwen2.5": 32_768,
    "qwen3": 40_960,
    "gemma2": 8_192,
    "gemma3": 131_072,
    "phi3": 4_096,
    "phi4": 16_384,
    "deepseek-r1": 131_072,
    "deepseek-chat": 65_536,
}
"""Model name (lower case) -> its context window in tokens."""


def known_context_window(model: str) -> int | None:
    """The window of a well-known model, or None when the table does not know it."""
    name = model.lower().rsplit("/", 1)[-1].split(":", 1)[0]
    matches = [known for known in KNOWN_CONTEXT_WINDOWS if name.startswith(known)]
    return KNOWN_CONTEXT_WINDOWS[max(matches, key=len)] if matches else None
