"""Where a session's answers come from: a configured provider, or the built-in demo model.

Precedence: command-line options > environment > config file > presets. With no key and no
base URL anywhere the demo model answers: a real OpenAI-compatible server on 127.0.0.1 in
a thread of this process, reached through the same client as any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuichat.config.profiles import DEMO_PROFILE
from tuichat.config.provider import resolve_provider, wants_demo
from tuichat.config.settings import Settings
from tuichat.core.provider import Provider
from tuichat.demo import DEMO_MODEL
from tuichat.session.options import SessionOptions

if TYPE_CHECKING:
    from tuichat.demo.server import ChatServer

DEMO_WELCOME = (
    "You are talking to tuichat's built-in demo model: it runs offline, inside tuichat, "
    "behind a real OpenAI-compatible HTTP server on 127.0.0.1.\n"
    "Try: hello · 안녕하세요 · show me some markdown · write something long · "
    "what time is it in Seoul and New York? · 서울과 뉴욕의 현재 시간은? · "
    'call calculate {"expression": "6*7"} (any tool, yours too: F5 lists them)\n'
    "Compare models side by side: F6, tick demo-fast and demo-slow with Space (the model in "
    "use is ticked too: a third column, or Space unticks it), Enter, then send a prompt.\n"
    "For a real model: set OPENAI_API_KEY (and --model), or point --base-url at any "
    "OpenAI-compatible server (Ollama: --base-url http://localhost:11434/v1 --model llama3.2)."
)


@dataclass(slots=True)
class Endpoint:
    """The provider a session talks to, and where its settings came from.

    Attributes:
        provider: the endpoint and model.
        demo: whether it is the built-in demo model (its base URL is set once its server runs).
        profile: the profile whose fields it has (a model picked in the app is saved there);
            None for a base URL given on the command line or in the environment.
    """

    provider: Provider
    demo: bool
    profile: str | None


def choose_endpoint(
    settings: Settings, options: SessionOptions, environ: Mapping[str, str]
) -> Endpoint:
    """Pick the provider: options > environment > config file > presets.

    Raises:
        ConfigError: `--profile` names no profile.
    """
    if options.replay:
        return replay_endpoint(options)
    overrides = options.provider_overrides()
    chosen = options.profile or settings.profile
    if options.demo or chosen == DEMO_PROFILE:
        return demo_endpoint(settings, options)
    if wants_demo(settings, options.profile, overrides, environ):
        return demo_endpoint(settings, options)
    provider = resolve_provider(settings, options.profile, overrides, environ)
    profile = provider.name if provider.name in settings.profiles else None
    return Endpoint(provider, demo=False, profile=profile)


def replay_endpoint(options: SessionOptions) -> Endpoint:
    """The loopback server of a replay (`tuichat replay`): the base URL and model as given,
    nothing from a profile or the environment (a recorded turn needs no key)."""
    provider = Provider(
        base_url=options.base_url or "",
        model=options.model or "replay",
        name="replay",
        api_key_env="",
        max_retries=0 if options.max_retries is None else options.max_retries,
    )
    provider.stream = options.stream is not False
    _limits(provider, options)
    return Endpoint(provider, demo=False, profile=None)


def demo_endpoint(settings: Settings, options: SessionOptions | None = None) -> Endpoint:
    """The built-in demo model (its base URL is set when its server starts)."""
    options = options or SessionOptions()
    demo = settings.profiles.get(DEMO_PROFILE)
    model = options.model or (demo.model if demo is not None else None) or DEMO_MODEL
    provider = Provider(
        base_url="", model=model, name=DEMO_PROFILE, profile=DEMO_PROFILE, base_url_from="the demo"
    )
    provider.max_retries = 0 if options.max_retries is None else options.max_retries
    provider.stream = options.stream is not False
    _limits(provider, options)
    return Endpoint(provider, demo=True, profile=DEMO_PROFILE)


def _limits(provider: Provider, options: SessionOptions) -> None:
    """The timeouts given on the command line (the demo and a replay have no profile)."""
    if options.timeout is not None:
        provider.timeout = options.timeout
    if options.stall_timeout is not None:
        provider.stall_timeout = options.stall_timeout


def start_demo_server(provider: Provider) -> ChatServer:
    """Start the demo model's server and point the provider at it (stop it when done)."""
    from tuichat.demo import DEMO_TOKENS_PER_SECOND
    from tuichat.demo.server import ChatServer

    server = ChatServer(tokens_per_second=DEMO_TOKENS_PER_SECOND).start()
    provider.base_url = server.base_url
    return server
