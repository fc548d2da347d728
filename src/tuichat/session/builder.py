"""Making a session from the settings and the command-line options: the one place it is done.

`tuichat`, `tuichat ask`, the tests and the benchmarks all build their sessions here, so a
session is set up the same way wherever it runs. Building is synchronous and quick: user
tools load here (their problems are kept for the start-up notice), the demo server starts
when it is the demo, and what needs the event loop (the history, MCP servers) waits for
`ChatSession.open_history()` and `ChatSession.start_tools()`. It takes two steps:
`plan_session` (`tuichat.session.plan`) checks the options, quickly and before anything is
built, and `build_planned` builds; `tuichat` shows its first frame between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from tuichat.config.settings import Settings
from tuichat.core.client import ChatClient
from tuichat.session.conversation import Conversation
from tuichat.session.options import SessionOptions
from tuichat.session.plan import SessionPlan, plan_session
from tuichat.session.prompts import prompt_name, set_system
from tuichat.session.provider import DEMO_WELCOME, start_demo_server
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
    return build_planned(plan_session(settings, options, environ))


def build_planned(plan: SessionPlan) -> ChatSession:
    """The session of a checked plan (`plan_session`): nothing here fails on the options."""
    settings, options, endpoint = plan.settings, plan.options, plan.endpoint
    offered = options.tools and not options.replay  # a replay runs no tools
    tools, problems = build_registry(settings) if offered else (None, [])
    policies = policy_function(tools, settings) if tools is not None else None
    max_rounds = options.max_tool_rounds
    # The client is made for the demo server's address: nothing below can fail once it runs.
    demo_server = start_demo_server(endpoint.provider) if endpoint.demo else None
    conversation = Conversation(
        ChatClient(endpoint.provider),
        tools,
        policy=policies,
        result_limit=settings.tools.result_limit,
        system_prompt=None
        if options.replay
        else options.system_prompt or plan.profile.system_prompt,
        max_tool_rounds=settings.max_tool_rounds if max_rounds is None else max_rounds,
        tool_timeout=settings.tool_timeout,
        replay=options.replay,
    )
    if plan.role is not None:
        set_system(conversation.messages, plan.role)
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
        problems=[*problems, *plan.library.problems],
        demo_server=demo_server,
        options=options,
        environ=plan.environ,
    )
    session.prompts = plan.library
    session.role = plan.role
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
