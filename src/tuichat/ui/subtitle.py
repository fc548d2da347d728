"""What the header says about where answers come from: the provider, the model, the prompt."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuichat.core.provider import Provider


def endpoint_subtitle(provider: Provider, *, demo: bool, prompt: str | None) -> str:
    """The header's subtitle for a conversation with this provider.

    Args:
        provider: the endpoint and model answers come from.
        demo: whether it is the built-in demo model.
        prompt: the name of the library prompt in use, if any.
    """
    mode = "" if provider.stream else " · no-stream"
    mode += f" · prompt {prompt}" if prompt else ""
    if demo:
        return (
            f"demo model {provider.model} (offline){mode} · "
            "set OPENAI_API_KEY or --base-url for a real model"
        )
    return f"{provider.name} · {provider.model}{mode}"
