""" "Copy as curl": the command runs as it is in a real shell, the key comes from its variable."""

from __future__ import annotations

import json
import os
import subprocess

from tuichat.core.accumulator import StreamState
from tuichat.core.client import ChatClient
from tuichat.core.curl import curl_command, pretty_request
from tuichat.core.events import RequestSent
from tuichat.core.provider import Provider
from tuichat.demo.server import ChatServer

KEY = "sk-curl-test-SECRET-0123456789"


async def sent_request(server: ChatServer, text: str) -> dict[str, object]:
    provider = Provider(base_url=server.base_url, model="m", api_key=KEY, max_retries=0)
    client = ChatClient(provider)
    try:
        async for batch in client.complete(
            [{"role": "user", "content": text}], None, StreamState()
        ):
            for event in batch:
                if isinstance(event, RequestSent):
                    return event.request
    finally:
        await client.aclose()
    raise AssertionError("no request")


async def test_the_command_sends_the_same_request_with_the_key_from_the_environment(
    server: ChatServer,
) -> None:
    request = await sent_request(server, 'it\'s "quoted" & $HOME')
    command = curl_command(request, "TUICHAT_TEST_KEY")
    assert KEY not in command and "$TUICHAT_TEST_KEY" in command
    result = subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, "TUICHAT_TEST_KEY": KEY},
        timeout=30,
        check=True,
    )
    assert server.request_headers[-1]["authorization"] == f"Bearer {KEY}"
    assert server.requests[-1] == server.requests[0]  # the same body, byte for byte in JSON
    assert server.requests[-1]["messages"][0]["content"] == 'it\'s "quoted" & $HOME'
    assert result.stdout.rstrip().endswith("data: [DONE]")


def test_no_key_variable_leaves_the_header_out_and_a_bad_name_keeps_it_redacted() -> None:
    request = {
        "method": "POST",
        "url": "http://127.0.0.1:1/v1/chat/completions",
        "headers": {"Authorization": "Bearer [redacted]", "X-Team": "a b"},
        "body": {"model": "m"},
    }
    assert "Authorization" not in curl_command(request, None)
    assert "'Authorization: Bearer [redacted]'" in curl_command(request, "not a name")
    command = curl_command(request)
    assert command.splitlines()[0] == "curl -N http://127.0.0.1:1/v1/chat/completions \\"
    assert "-H 'X-Team: a b'" in command and '"Authorization: Bearer $OPENAI_API_KEY"' in command


def test_the_request_pretty_printed() -> None:
    request = {"method": "POST", "url": "u", "headers": {}, "body": {"messages": ["\x1b[31mx"]}}
    text = pretty_request(request)
    assert json.loads(text) == request  # JSON escapes control characters: none reach a screen
    assert "\x1b" not in text and text.startswith('{\n  "method": "POST"')
