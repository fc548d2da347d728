"""What a session will be, checked before anything is built: the first half of building one.

Everything the command line can get wrong (`--profile` naming no profile, `--role` no prompt of
the library, a template's variables missing) is found here, with the settings alone, so that
`tuichat` can say so on the terminal before it goes full screen; and it is quick, so the first
frame does not wait for the modules a session needs (the client, tools, storage), which
`tuichat.session.builder` imports to build the session from the plan once the frame is up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tuichat.config.profiles import ProfileSettings
from tuichat.config.prompt_library import (
    PromptError,
    PromptLibrary,
    PromptSpec,
    load_prompt_library,
)
from tuichat.config.provider import resolve_profile
from tuichat.config.settings import ConfigError, Settings
from tuichat.session.options import SessionOptions
from tuichat.session.prompts import check_values
from tuichat.session.provider import Endpoint, choose_endpoint


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """A session's settings and options, checked, with what was resolved from them.

    Attributes:
        settings: the loaded config file.
        options: what the command line said.
        environ: the environment the key and `$OPENAI_BASE_URL` come from.
        profile: the profile in use.
        endpoint: the provider to talk to (the demo's, before its server runs).
        library: the prompt library, read for this session.
        role: the prompt of `--role`, if any.
    """

    settings: Settings
    options: SessionOptions
    environ: Mapping[str, str]
    profile: ProfileSettings
    endpoint: Endpoint
    library: PromptLibrary
    role: PromptSpec | None


def plan_session(
    settings: Settings,
    options: SessionOptions | None = None,
    environ: Mapping[str, str] | None = None,
) -> SessionPlan:
    """Check the options against the settings and resolve the endpoint and the prompt.

    Args:
        settings: the loaded config file (or `Settings()` for the defaults).
        options: what the command line said; default: nothing.
        environ: the environment (default: `os.environ`).

    Raises:
        ConfigError: `--profile` names no profile, or `--role` no prompt of the library.
    """
    options = options or SessionOptions()
    environ = os.environ if environ is None else environ
    profile = resolve_profile(settings, options.profile)
    endpoint = choose_endpoint(settings, options, environ)
    library = load_prompt_library()  # read afresh for each session: a new tab sees new files
    try:
        role = library.get(options.role) if options.role and not options.replay else None
        check_values(role, dict(options.variables))
    except PromptError as error:
        raise ConfigError(f"--role: {error}" if options.role else str(error)) from None
    return SessionPlan(settings, options, environ, profile, endpoint, library, role)
