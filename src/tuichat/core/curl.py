"""A request as people read it and run it again: pretty-printed, and as a `curl` command.

The request is the one the client describes (`ChatClient.describe_request`, carried by
`RequestSent`): its key and auth headers are already redacted. "Copy as curl" writes the key
as the environment variable that holds it (`$OPENAI_API_KEY`), so the command runs as it is in
a shell where that variable is set, and shows no secret when pasted into a bug report.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from typing import Any

from tuichat.core.text import strip_control

_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def pretty_request(request: Mapping[str, Any]) -> str:
    """The request as indented JSON (method, url, headers, body), safe to show on a screen."""
    return strip_control(json.dumps(dict(request), indent=2, ensure_ascii=False))


def curl_command(request: Mapping[str, Any], api_key_env: str | None = "OPENAI_API_KEY") -> str:
    """The request as a `curl` command line that sends it again.

    Args:
        request: `RequestSent.request`: `method`, `url`, `headers` (redacted), `body`.
        api_key_env: the variable that holds the key (the provider's `api_key_env`): the
            `Authorization` header becomes `"Authorization: Bearer $NAME"`, in double quotes
            so the shell fills it in. None or empty: the header is left out (a local server
            that needs no key). A name that is no shell variable keeps the header redacted.

    Returns:
        One command, its options on continuation lines (`\\`), every value quoted for a
        POSIX shell; `-N` so the streamed answer prints as it arrives.
    """
    method = str(request.get("method") or "POST").upper()
    url = str(request.get("url") or "")
    parts = ["curl -N" + ("" if method == "POST" else f" -X {method}") + f" {shlex.quote(url)}"]
    headers = request.get("headers")
    names: set[str] = set()
    for name, value in headers.items() if isinstance(headers, Mapping) else ():
        names.add(str(name).lower())
        if str(name).lower() == "authorization":
            if not api_key_env:
                continue
            if _SHELL_NAME.match(api_key_env):
                parts.append(f'-H "{name}: Bearer ${api_key_env}"')
                continue
        parts.append("-H " + shlex.quote(f"{name}: {value}"))
    body = request.get("body")
    if body is not None:
        if "content-type" not in names:
            parts.append("-H " + shlex.quote("Content-Type: application/json"))
        parts.append("-d " + shlex.quote(json.dumps(body, indent=2, ensure_ascii=False)))
    return " \\\n  ".join(parts)
