"""Where and how to ask: the endpoint, the model and the request options of a conversation.

Apart from the client, so that the settings can make one without importing the client (and
the accumulator and the events it brings), which the first frame does not need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Provider:
    """Where and how to ask: one OpenAI-compatible endpoint and the model to use there."""

    base_url: str
    model: str
    api_key: str = ""
    name: str = "custom"
    stream: bool = True
    timeout: float = 60.0  # seconds to connect and to get the response's head
    stall_timeout: float = 60.0  # seconds the response's body may stay silent
    max_retries: int = 2  # attempts after the first (see `tuichat.core.retry`)
    include_usage: bool = True  # ask for `stream_options.include_usage`
    api_key_env: str = "OPENAI_API_KEY"  # named in error messages about the key
    extra_headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, ...
    profile: str | None = None  # the profile its settings come from, if any
    base_url_from: str = "--base-url"  # where the base URL was given, named in hints
    model_from: str = "--model"  # where the model was given

    @property
    def settings_source(self) -> str:
        """Where its settings are changed, for hints: the profile, else the options."""
        return f"the profile `{self.profile}`" if self.profile else "the command line"
