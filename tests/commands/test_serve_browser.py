"""`tuichat serve --demo` in a real headless Chromium: the page, the app, the clipboard, links.

Needs the system's Chromium (Debian: `apt-get install -y chromium`; `.ci/run` installs it
when it can); without one the test is skipped, saying how to run it. The token checks over
plain HTTP (`test_serve.py`) run everywhere.

The screenshot it takes is written to `$TUICHAT_SERVE_SCREENSHOT` when that is set; the
README's picture is made so: `TUICHAT_SERVE_SCREENSHOT=docs/serve.png .venv/bin/python -m
pytest -n0 tests/commands/test_serve_browser.py`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.commands.chromium import TERMINAL_HOOK, Browser, find_chromium
from tests.commands.serving import Served, wait_until

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium here: the browser test needs one (Debian/Ubuntu: apt-get install "
        "-y chromium, which .ci/run does as root; or TUICHAT_CHROMIUM=/path/to/chrome), then "
        "pytest tests/commands/test_serve_browser.py. The token checks over plain HTTP "
        "(test_serve.py) ran.",
    ),
]

PROMPT_DRAWN = "Message (Enter sends"
ANSWER = "Hello! I'm the tuichat offline demo model"
LINK = "http://localhost:11434/v1"  # in the demo's welcome; loopback, nothing listens there


async def test_tuichat_serve_in_chromium(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    with Served("--demo") as served:
        async with Browser(CHROMIUM, tmp_path / "chromium-profile") as browser:
            # No token: refused, the page and its websocket alike, and no app starts.
            await browser.navigate(served.base + "/")
            assert "tuichat serve: no token" in await browser.evaluate("document.body.innerText")
            assert await browser.evaluate("fetch('/ws').then(r => r.status)") == 401
            assert served.app_processes() == []

            # The printed URL: the token becomes a cookie the page's scripts cannot read,
            # and leaves the address bar.
            await browser.call("Page.addScriptToEvaluateOnNewDocument", source=TERMINAL_HOOK)
            await browser.call("Emulation.setFocusEmulationEnabled", enabled=True)
            await browser.call("Target.setDiscoverTargets", discover=True)
            await browser.navigate(served.url)
            assert await browser.evaluate("location.href") == served.base + "/"
            assert await browser.evaluate("document.cookie") == ""
            await browser.wait_for_screen(PROMPT_DRAWN)
            assert len(served.app_processes()) == 1

            # A prompt typed in the page is answered on its screen.
            await browser.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
            await browser.type_text("hello")
            await browser.press("Enter", "Enter", 13)
            screen = await browser.wait_for_screen(ANSWER)
            assert "█ hello" in screen
            await browser.wait_for_screen("stop · ")  # the turn has ended: its status line
            shot = await browser.screenshot(tmp_path / "serve.png")
            assert shot.startswith(b"\x89PNG") and len(shot) > 20_000  # drawn, not blank
            if target := os.environ.get("TUICHAT_SERVE_SCREENSHOT"):
                shutil.copyfile(tmp_path / "serve.png", target)

            # Ctrl+Y copies the answer (OSC 52) into the browser's clipboard.
            await browser.call(
                "Browser.grantPermissions",
                permissions=["clipboardReadWrite", "clipboardSanitizedWrite"],
                origin=served.base,
            )
            await browser.evaluate("navigator.clipboard.writeText('')")
            await browser.press("y", "KeyY", 89, modifiers=2)
            await browser.wait_for_screen("Copied the last answer")
            copied = ""
            for _ in range(50):  # the screen and the clipboard are written one after the other
                if copied := await browser.evaluate("navigator.clipboard.readText()"):
                    break
                await asyncio.sleep(0.1)
            assert copied.startswith("Hello! I'm the **tuichat offline demo model**")  # Markdown
            assert "Things to try" in copied

            # A link on the screen opens in a new tab.
            await browser.click_text(LINK)
            await browser.wait_for_target(LINK)
        # The browser is gone: its tab's app quits.
        assert wait_until(lambda: served.app_processes() == [])
        assert "refused GET / from 127.0.0.1: no token (401)" in served.stderr
        assert " connected 127.0.0.1: app process" in served.stderr
        assert served.token not in served.stderr
