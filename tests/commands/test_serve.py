"""`tuichat serve` over plain HTTP: the token gate, the tabs' app processes, the signals.

A real `tuichat serve` process on a free loopback port (`serving.Served`), real requests and
real websockets (aiohttp's client, as textual.js would send them). The browser itself is in
`test_serve_browser.py`.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.commands.serving import Served, Tab, wait_until
from tuichat.commands import history, serve
from tuichat.demo.server import ChatServer

PROMPT_DRAWN = "Message (Enter sends"
HELLO_ANSWER = "offline demo model: no API key"
API_KEY = "sk-test-serve-0123456789-SECRET"


def assert_log_clean(served: Served, *secrets: str) -> None:
    """The log and the output hold neither the token (but in the one URL) nor the secrets."""
    assert served.token not in served.stderr
    assert served.stdout.count(served.token) == 1  # the printed URL
    for secret in secrets:
        assert secret not in served.stderr
        assert secret not in served.stdout


async def refused_status(
    served: Served, path: str, *, cookies: dict[str, str] | None = None, **kwargs: object
) -> int:
    async with aiohttp.ClientSession(cookies=cookies) as session:
        async with session.get(
            served.base + path,
            allow_redirects=False,
            **kwargs,  # type: ignore[arg-type]
        ) as response:
            assert response.headers["Cache-Control"] == "no-store"
            return response.status


async def websocket_refusal(served: Served, path: str = "/ws", **kwargs: object) -> int:
    async with aiohttp.ClientSession(cookies=kwargs.pop("cookies", None)) as session:  # type: ignore[arg-type]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(served.base + path, **kwargs)  # type: ignore[arg-type]
        return refused.value.status


# The gate ------------------------------------------------------------------------------------


async def test_requests_without_the_token_are_refused_and_start_no_app() -> None:
    with Served("--demo") as served:
        wrong = "w" * len(served.token)
        name = served.cookie_name
        for path in ["/", "/static/js/textual.js", "/download/key", "/ws", "/nothing"]:
            assert await refused_status(served, path) == 401, path
            assert await refused_status(served, f"{path}?token={wrong}") == 403, path
            assert await refused_status(served, path, cookies={name: wrong}) == 403, path
            bearer = {"Authorization": f"Bearer {wrong}"}
            assert await refused_status(served, path, headers=bearer) == 403, path
        assert await refused_status(served, "/?token=") == 403  # given, and wrong
        assert await websocket_refusal(served) == 401
        assert await websocket_refusal(served, f"/ws?token={wrong}") == 403
        assert await websocket_refusal(served, cookies={name: wrong}) == 403
        # The right token in another port's cookie: a browser sends every port's cookies.
        other = f"tuichat-serve-{int(name.rsplit('-', 1)[1]) + 1}"
        assert await websocket_refusal(served, cookies={other: served.token}) == 401
        assert served.app_processes() == []
        assert "refused GET /ws from 127.0.0.1: no token (401)" in served.stderr
        assert (
            "refused GET /static/js/textual.js from 127.0.0.1: wrong token (403)" in served.stderr
        )
        assert "connected" not in served.stderr
        assert_log_clean(served, wrong)


async def test_a_page_of_another_origin_is_refused_even_with_the_token() -> None:
    """A page of another site open in the same browser (localhost:3000 is "same-site" for
    cookies) may not open a tab: browsers send its Origin with every websocket."""
    with Served("--demo") as served:
        cookies = {served.cookie_name: served.token}
        for origin in ["http://127.0.0.1:1", "http://evil.example", "null"]:
            headers = {"Origin": origin}
            assert await websocket_refusal(served, cookies=cookies, headers=headers) == 403
            assert await refused_status(served, "/", cookies=cookies, headers=headers) == 403
        assert served.app_processes() == []
        assert "from a page of another origin (403)" in served.stderr
        assert_log_clean(served)


async def test_the_first_visit_sets_a_cookie_and_the_address_loses_the_token() -> None:
    with Served("--demo", "--system", "a private system prompt") as served:
        # unsafe: take cookies from an IP address, as browsers do.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(served.url + "&fontsize=12", allow_redirects=False) as first:
                assert first.status == 303
                assert first.headers["Location"] == "/?fontsize=12"
                cookie = first.cookies[served.cookie_name]
                assert cookie.value == served.token
                assert cookie["httponly"] is True
                assert cookie["samesite"] == "Strict"
                assert cookie["path"] == "/"
            # The page's own requests carry the cookie from now on.
            async with session.get(served.base + "/?fontsize=12") as page:
                assert page.status == 200
                html = await page.text()
                policy = page.headers["Content-Security-Policy"]
            async with session.get(served.base + "/static/js/textual.js") as script:
                assert script.status == 200
                assert "xterm" in await script.text()
        port = served.base.rsplit(":", 1)[1]
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
        assert 'data-font-size="12"' in html
        # The page knows where its websocket is, and nothing of how the app is started.
        for private in ["a private system prompt", "--demo", sys.executable, served.token]:
            assert private not in html
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert served.app_processes() == []
        # The log line may come a moment after the page.
        assert wait_until(lambda: "page opened by 127.0.0.1" in served.stderr)
        assert_log_clean(served, "a private system prompt")


# The tabs ------------------------------------------------------------------------------------


async def test_a_tab_gets_its_own_app_with_the_key_and_the_browser_never_sees_the_key(
    server: ChatServer,
) -> None:
    """The app process calls the API with the key from the environment; the browser gets the
    screen, the request shown by the inspector (F2) included, with no key in it."""
    args = ["--base-url", server.base_url, "--model", "tuichat-demo"]
    with Served(*args, env={"OPENAI_API_KEY": API_KEY}) as served:
        first, second = await Tab.open(served), await Tab.open(served)
        await first.wait_for(PROMPT_DRAWN)
        await second.wait_for(PROMPT_DRAWN)
        assert len(served.app_processes()) == 2
        await first.type("hello\r")
        await first.wait_for(HELLO_ANSWER)
        assert server.request_headers[-1]["authorization"] == f"Bearer {API_KEY}"
        await first.type("\x1bOQ")  # F2: the inspector, with the request that was sent
        await first.wait_for("[DONE]")  # the newest chunk, selected and shown whole
        assert HELLO_ANSWER not in second.text  # a tab of its own
        await first.close()
        assert wait_until(lambda: len(served.app_processes()) == 1)
        await second.close()
        assert wait_until(lambda: served.app_processes() == [])
        for tab in (first, second):
            assert API_KEY.encode() not in tab.received
            assert API_KEY[-12:] not in tab.text
        assert served.stderr.count(" connected 127.0.0.1: app process") == 2
        # The line is logged once the server has reaped the process, just after it is gone.
        assert wait_until(lambda: served.stderr.count("disconnected 127.0.0.1: app process") == 2)
        assert_log_clean(served, API_KEY)


async def test_the_apps_get_the_options_and_the_environment_but_not_the_token(
    tmp_path: Path,
) -> None:
    token = "a-token-from-the-environment-0123"
    env = {serve.TOKEN_ENV: token, "OPENAI_API_KEY": API_KEY}
    db = tmp_path / "served.sqlite3"
    with Served("--demo", "--model", "other-model", "--db", str(db), env=env) as served:
        assert served.token == token
        tab = await Tab.open(served)
        await tab.wait_for(PROMPT_DRAWN)
        [app] = served.app_processes()
        argv = Path(f"/proc/{app}/cmdline").read_bytes().split(b"\0")[:-1]
        assert argv == [
            sys.executable.encode(),
            b"-m",
            b"tuichat",
            b"--demo",
            b"--model",
            b"other-model",
            b"--db",
            str(db).encode(),
        ]
        environment = Path(f"/proc/{app}/environ").read_bytes().split(b"\0")
        assert f"OPENAI_API_KEY={API_KEY}".encode() in environment
        assert not any(item.startswith(serve.TOKEN_ENV.encode()) for item in environment)
        assert token.encode() not in b"".join(environment)
        await tab.type("hello\r")
        await tab.wait_for(HELLO_ANSWER)
        await tab.close()
        assert wait_until(lambda: served.app_processes() == [])
        assert_log_clean(served, API_KEY)
    out = io.StringIO()
    assert history.run(["list", "--db", str(db)], stdout=out) == 0
    assert "hello" in out.getvalue()  # the app quit and saved, into the history it was given


async def test_an_app_that_cannot_start_ends_its_tab(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\n')
    with Served("--demo", "--config", str(config)) as served:
        config.write_text("[profiles.x]\nstream = 'yes'\n")  # broken after serve started
        tab = await Tab.open(served)
        closing = await tab.websocket.receive(timeout=30)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        await tab.close()
        assert wait_until(lambda: served.app_processes() == [])
        assert wait_until(lambda: "ended with status 1" in served.stderr)
        assert wait_until(lambda: "profiles.x.stream must be true or false" in served.stdout)


# Stopping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True)],
    ids=["SIGTERM", "SIGINT", "ctrl-c"],  # Ctrl-C: SIGINT to the apps too
)
async def test_a_signal_stops_the_server_and_its_apps_which_save_first(
    signum: signal.Signals, group: bool
) -> None:
    with Served("--demo") as served:
        tab = await Tab.open(served)
        await tab.wait_for(PROMPT_DRAWN)
        await tab.type("hello\r")
        await tab.wait_for(HELLO_ANSWER)
        [app] = served.app_processes()
        assert served.stop(signum, group=group) == 128 + signum
        assert not Path(f"/proc/{app}").exists()  # the app ended before the server did
        closing = await tab.websocket.receive(timeout=5)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        # On Ctrl-C the app may quit by itself first, and its tab closes as on Ctrl+Q.
        ends = {aiohttp.WSCloseCode.GOING_AWAY} | ({aiohttp.WSCloseCode.OK} if group else set())
        assert closing.data in ends
        await tab.close()
        assert f"stopping ({signum.name}): closing " in served.stderr
        if not group:
            assert "closing 1 tab(s)" in served.stderr
        assert "disconnected 127.0.0.1" in served.stderr
        assert served.stderr.rstrip().endswith("stopped")
        assert "Traceback" not in served.stderr
        assert_log_clean(served)
    out = io.StringIO()
    assert history.run(["list"], stdout=out) == 0  # the default history, under tmp_path
    assert "hello" in out.getvalue()


def test_a_hangup_stops_it_too() -> None:
    with Served("--demo") as served:
        assert served.stop(signal.SIGHUP) == 128 + signal.SIGHUP
        assert "stopping (SIGHUP): closing 0 tab(s)" in served.stderr


async def test_open_opens_the_url_in_the_default_browser(tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n')
    browser.chmod(0o755)
    with Served("--demo", "--open", env={"BROWSER": str(browser)}) as served:
        assert wait_until(lambda: opened.exists() and opened.read_text())
        assert opened.read_text() == served.url
        assert_log_clean(served)


# Starting ------------------------------------------------------------------------------------


def run_serve(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = serve.run(["serve", *argv], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_a_weak_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for token in ["short", "sixteen chars ok", "é" * 20]:
        status, out, err = run_serve("--token", token)
        assert (status, out) == (2, "")
        assert "the token must be at least 16 characters" in err
    monkeypatch.setenv(serve.TOKEN_ENV, "too-short")
    assert run_serve()[0] == 2
    assert serve.TOKEN_ENV not in os.environ  # read once, and kept from the apps


def test_another_host_than_loopback_is_warned_about() -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning, then no server.
    status, out, err = run_serve("--host", "192.0.2.1", "--port", "0")
    assert status == 1 and out == ""
    assert "warning: listening on 192.0.2.1, not only on this machine: anyone who can reach" in err
    assert "can use the configured API keys" in err
    assert "cannot listen on 192.0.2.1:0" in err
    for host in ["127.0.0.1", "127.0.0.2", "::1", "localhost"]:
        assert serve.exposure_warning(host) is None
    for host in ["0.0.0.0", "::", "192.168.1.10", "myhost.example"]:
        assert serve.exposure_warning(host) is not None


def test_a_port_in_use_is_said_with_a_way_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        status, out, err = run_serve("--port", str(port))
    assert status == 1 and out == ""
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0 picks a free one" in err


def test_a_broken_config_is_said_once_before_serving(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[profiles.x]\nstream = 'yes'\n")
    status, out, err = run_serve("--config", str(config), "--port", "0")
    assert status == 1 and out == ""
    assert "line 2: profiles.x.stream must be true or false" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve.run(["serve", "--port", "70000"]) == 2
    assert serve.run(["serve", "--no-such-option"]) == 2
    assert serve.run(["serve", "--por", "1"]) == 2  # no abbreviations: the rest goes to the app
    assert "unrecognized arguments" in capsys.readouterr().err
    assert serve.run(["serve", "--help"]) == 0
    assert "--profile" in capsys.readouterr().out  # the app's options are listed too


def test_without_textual_serve_it_says_how_to_install_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['textual_serve'] = None\n"  # as if it were not installed
        "from tuichat.cli import main\n"
        "sys.exit(main(['serve', '--demo', '--port', '0']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "tuichat serve: needs textual-serve" in result.stderr
    assert "pip install 'tuichat[serve]'" in result.stderr


def test_the_arguments_for_the_apps_are_all_but_serves_own() -> None:
    argv = ["--host", "127.0.0.1", "--demo", "--port=0", "--model", "m", "--open", "--theme", "x"]
    argv += ["--token", "t" * 20, "-c"]
    assert serve.app_arguments(argv) == ["--demo", "--model", "m", "--theme", "x", "-c"]
    assert serve.app_command(["--system", "it's"]) == (
        f"exec {sys.executable} -m tuichat --system 'it'\"'\"'s'"
    )


def test_the_printed_url() -> None:
    assert serve.page_url("127.0.0.1", 8000, "T" * 16) == f"http://127.0.0.1:8000/?token={'T' * 16}"
    assert serve.page_url("::1", 8000, "t").startswith("http://[::1]:8000/")
    assert serve.page_url("0.0.0.0", 1, "t") == f"http://{socket.gethostname()}:1/?token=t"
