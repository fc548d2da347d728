"""Making a session from the settings and the command-line options: the one place it is done.

`tuichat`, `tuichat ask`, the tests and the benchmarks all build their sessions here, so a
session is set up the same way wherever it runs. Building is synchronous and quick: user
tools load here (their problems are kept for the start-up notice), the demo server starts
when it is the demo, and what needs the event loop (the history, MCP servers) waits for
`ChatSession.open_history()` and `ChatSession.start_tools()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from tuichat.config.prompt_library import PromptError, load_prompt_library
from tuichat.config.provider import resolve_profile
from tuichat.config.settings import ConfigError, Settings
from tuichat.core.client import ChatClient
from tuichat.session.conversation import Conversation
from tuichat.session.options import SessionOptions
from tuichat.session.prompts import check_values, prompt_name, set_system
from tuichat.session.provider import DEMO_WELCOME, choose_endpoint, start_demo_server
from tuichat.session.session import ChatSession
from tuichat.session.tools import build_registry, policy_function


def build_session(
    settings: Settings,
    options: SessionOptions | None = None,
    environ: Mapping[str, str] | None = None,
) -> ChatSession:
    """A session as the settings and options describe it (close it with `aclose()`).

    Args:
        settings: the loaded config file (or `Settings()` for the defaults).
        options: what the command line said; default: nothing.
        environ: the environment the key and `$OPENAI_BASE_URL` come from (default:
            `os.environ`).

    Raises:
        ConfigError: `--profile` names no profile, or `--role` no prompt of the library.
    """
    options = options or SessionOptions()
    environ = os.environ if environ is None else environ
    profile = resolve_profile(settings, options.profile)
    endpoint = choose_endpoint(settings, options, environ)
    offered = options.tools and not options.replay  # a replay runs no tools
    tools, problems = build_registry(settings) if offered else (None, [])
    policies = policy_function(tools, settings) if tools is not None else None
    max_rounds = options.max_tool_rounds
    library = load_prompt_library()  # read afresh for each session: a new tab sees new files
    try:
        role = library.get(options.role) if options.role and not options.replay else None
        check_values(role, dict(options.variables))
    except PromptError as error:
        raise ConfigError(f"--role: {error}" if options.role else str(error)) from None
    # The client is made for the demo server's address: nothing below can fail once it runs.
    demo_server = start_demo_server(endpoint.provider) if endpoint.demo else None
    conversation = Conversation(
        ChatClient(endpoint.provider),
        tools,
        policy=policies,
        result_limit=settings.tools.result_limit,
        system_prompt=None if options.replay else options.system_prompt or profile.system_prompt,
        max_tool_rounds=settings.max_tool_rounds if max_rounds is None else max_rounds,
        tool_timeout=settings.tool_timeout,
        replay=options.replay,
    )
    if role is not None:
        set_system(conversation.messages, role)
    history = settings.database_path(options.db) if options.history else None
    session = ChatSession(
        settings=settings,
        endpoint=endpoint,
        conversation=conversation,
        policies=policies,
        history_path=history,
        save=options.save,
        resume=options.resume,
        config_path=settings.path,
        welcome=DEMO_WELCOME if endpoint.demo else None,
        problems=[*problems, *library.problems],
        demo_server=demo_server,
        options=options,
        environ=environ,
    )
    session.prompts = library
    session.role = role
    return session


def build_session_like(session: ChatSession) -> ChatSession:
    """A new session with the settings and options of this one, and a new conversation (a
    new tab): it talks to the profile this one talks to now."""
    # The shown tab's prompt (F7 may have changed it); its template is not offered again.
    options = replace(session.options, resume=None, variables=())
    name = prompt_name(session.messages)
    if name is not None and name in session.prompts.prompts:
        options = replace(options, role=name, system_prompt=None)
    profile = session.endpoint.profile
    if profile is not None:
        options = replace(options, profile=profile, demo=False)
    new = build_session(session.settings, options, session.environ)
    new.role = None
    return new
