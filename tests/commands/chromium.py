"""A real headless Chromium, driven over the DevTools protocol (no driver, no download).

The system's Chromium (Debian: `apt-get install -y chromium`) is started headless with a new
empty profile and every background connection turned off (this machine's network refuses
them), listening for DevTools on a free loopback port. `Browser` speaks the protocol over
its page's websocket with aiohttp's client: navigate, evaluate JavaScript, type, click,
take screenshots.

`TERMINAL_HOOK` lets a test read the screen textual.js draws: xterm.js paints on a canvas, so
the terminal's text is read from its buffer. textual.js keeps its `Terminal` to itself; the
hook catches the object that loads the terminal's add-ons as it stores its `weblinksAddon`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--enable-unsafe-swiftshader",  # WebGL in software, without a warning per page
    "--window-size=1280,760",
    # Nothing but loopback resolves: whatever a page links to, the test stays on this machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
START_TIMEOUT = 30.0

TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, "weblinksAddon", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "weblinksAddon", {value, writable: true, configurable: true});
    window.__terminal = this.terminal;
  },
});
"""

SCREEN_TEXT = """(() => {
  const terminal = window.__terminal;
  if (!terminal) return null;
  const buffer = terminal.buffer.active, lines = [];
  for (let y = 0; y < terminal.rows; y++) {
    lines.push(buffer.getLine(buffer.viewportY + y).translateToString(true));
  }
  return lines.join("\\n");
})()"""


def find_chromium() -> str | None:
    """The Chromium to run: `$TUICHAT_CHROMIUM`, else the first of `CHROMIUM_NAMES` on PATH."""
    named = os.environ.get("TUICHAT_CHROMIUM")
    if named:
        return shutil.which(named) or named
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


class Browser:
    """One headless Chromium and its first page, for one test."""

    def __init__(self, executable: str, profile: Path) -> None:
        self._executable = executable
        self._profile = profile
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._websocket: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self.debugger = ""

    async def __aenter__(self) -> Self:
        self._profile.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [self._executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = self._profile / "DevToolsActivePort"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not (port_file.exists() and port_file.read_text().strip()):
            if self._process.poll() is not None or loop.time() > deadline:
                raise RuntimeError(
                    f"{self._executable} did not start (status {self._process.poll()})"
                )
            await asyncio.sleep(0.05)
        port = port_file.read_text().split()[0]
        self.debugger = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        page = None
        while page is None:
            async with self._session.get(f"{self.debugger}/json/list") as response:
                targets = await response.json()
            page = next((target for target in targets if target["type"] == "page"), None)
            if page is None:
                await asyncio.sleep(0.05)
        self._websocket = await self._session.ws_connect(
            page["webSocketDebuggerUrl"], max_msg_size=0
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._websocket is not None:
            await self._websocket.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None:
            self._process.terminate()
            try:
                await asyncio.to_thread(self._process.wait, 10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    async def _read(self) -> None:
        assert self._websocket is not None
        async for message in self._websocket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = message.json()
            future = self._pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
            elif "method" in data:
                self.events.append(data)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result."""
        assert self._websocket is not None
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        await self._websocket.send_json({"id": number, "method": method, "params": params})
        answer = await asyncio.wait_for(future, START_TIMEOUT)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer["result"]
        return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        """Open `url` and wait until its page has loaded."""
        await self.call("Page.enable")
        self.events.clear()
        await self.call("Page.navigate", url=url)
        await self.wait_for_event("Page.loadEventFired")

    async def wait_for_event(self, method: str, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for event in self.events:
                if event["method"] == method:
                    self.events.remove(event)
                    return event
            assert asyncio.get_running_loop().time() < deadline, f"no {method}"
            await asyncio.sleep(0.05)

    async def screen(self) -> str:
        """The text of the terminal on the page (see `TERMINAL_HOOK`), "" before it exists."""
        return str(await self.evaluate(SCREEN_TEXT) or "")

    async def wait_for_screen(self, text: str, timeout: float = START_TIMEOUT) -> str:
        """Poll the terminal until it shows `text`; return the whole screen."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in (screen := await self.screen()):
            assert asyncio.get_running_loop().time() < deadline, (
                f"{text!r} never shown; the screen:\n{screen}"
            )
            await asyncio.sleep(0.1)
        return screen

    async def type_text(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def press(self, key: str, code: str, key_code: int, modifiers: int = 0) -> None:
        """A key down and up (`modifiers`: 2 is Ctrl), as a person types it."""
        text = "\r" if key == "Enter" else ""
        for kind in ("keyDown", "keyUp"):
            await self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                windowsVirtualKeyCode=key_code,
                modifiers=modifiers,
                **({"text": text} if kind == "keyDown" and text else {}),
            )

    async def click_text(self, text: str) -> None:
        """Move the mouse onto `text` on the terminal's screen and click it."""
        lines = (await self.screen()).splitlines()
        row, column = next((y, line.index(text)) for y, line in enumerate(lines) if text in line)
        left, top, width, height = await self.evaluate(
            "(() => { const t = window.__terminal;"
            " const r = t.element.querySelector('.xterm-screen').getBoundingClientRect();"
            " return [r.left, r.top, r.width / t.cols, r.height / t.rows]; })()"
        )
        x = left + (column + len(text) / 2) * width
        y = top + (row + 0.5) * height
        await self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        await asyncio.sleep(0.2)  # xterm.js finds the link under the pointer as it moves
        for kind in ("mousePressed", "mouseReleased"):
            await self.call(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    async def wait_for_target(self, url: str, timeout: float = START_TIMEOUT) -> None:
        """Wait until a page (a tab) for `url` exists (`Target.setDiscoverTargets` first)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(
            event["method"] in ("Target.targetCreated", "Target.targetInfoChanged")
            and event["params"]["targetInfo"]["type"] == "page"
            and event["params"]["targetInfo"]["url"].startswith(url)
            for event in self.events
        ):
            assert asyncio.get_running_loop().time() < deadline, f"no tab opened {url}"
            await asyncio.sleep(0.05)

    async def screenshot(self, path: Path) -> bytes:
        """A PNG of the page, also written to `path`."""
        result = await self.call("Page.captureScreenshot", format="png")
        data = base64.b64decode(result["data"])
        path.write_bytes(data)
        return data
