"""A real `tuichat serve` process on a free loopback port, and a browser tab's websocket.

`Served` starts `python -m tuichat serve --port 0 ...`, reads the URL it prints, keeps what it
logs on stderr, and stops it with a signal. `Tab` is what textual.js does in a browser: a
websocket to `/ws` that receives the screen and sends keys; `screen_text` removes the escape
sequences, so that the text drawn can be looked for.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import aiohttp

START_TIMEOUT = 30.0  # seconds: a loaded machine starts Python slowly
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor moves, colours, modes
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: clipboard, title
    r"|\x1b[@-Z\\-_]"  # other two-byte sequences
)


def screen_text(data: bytes) -> str:
    """What the bytes sent to a terminal draw, without their escape sequences."""
    return _ESCAPES.sub("", data.decode("utf-8", "replace"))


def children(pid: int) -> list[int]:
    """The processes `pid` started that are still running (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except FileNotFoundError:
        return []


def wait_until(condition: object, timeout: float = START_TIMEOUT) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds pass."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


class Served:
    """`tuichat serve --port 0 ARGS` in a process of its own.

    Attributes:
        url: the URL it printed (with the token).
        token: the token in it.
        base: `http://127.0.0.1:PORT`.
    """

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tuichat", "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
            cwd=cwd,
            start_new_session=True,  # a process group of its own, as in a terminal of its own
        )
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self._stdout)),
            threading.Thread(target=self._read, args=(self.process.stderr, self._stderr)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()
        self.url = ""
        if not wait_until(lambda: "open http" in self.stdout or self.process.poll() is not None):
            self.stop()
            raise AssertionError(f"no URL printed:\n{self.stdout}\n{self.stderr}")
        if self.process.poll() is not None:
            raise AssertionError(f"tuichat serve ended:\n{self.stdout}\n{self.stderr}")
        found = re.search(r"http://\S+", self.stdout)
        assert found is not None
        self.url = found.group()
        parts = urlsplit(self.url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.token = parts.query.removeprefix("token=")
        self.cookie_name = f"tuichat-serve-{parts.port}"

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in iter(stream.readline, b""):  # type: ignore[attr-defined]
            into.append(line.decode("utf-8", "replace"))

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    @property
    def pid(self) -> int:
        return self.process.pid

    def app_processes(self) -> list[int]:
        """The app processes running now (one per connected tab)."""
        return children(self.pid)

    def stop(
        self, signum: int = signal.SIGTERM, timeout: float = 30.0, *, group: bool = False
    ) -> int:
        """Send `signum`, wait for the exit; return its status (killed after `timeout`).

        Args:
            signum: the signal.
            timeout: seconds to wait for the exit.
            group: send it to the whole process group, the app processes too, as a terminal
                does on Ctrl-C.
        """
        if self.process.poll() is None:
            if group:
                os.killpg(self.pid, signum)
            else:
                self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class Tab:
    """One browser tab, as textual.js makes it: a websocket to `/ws` with the cookie."""

    def __init__(self, session: aiohttp.ClientSession, websocket: aiohttp.ClientWebSocketResponse):
        self.session = session
        self.websocket = websocket
        self.received = bytearray()

    @classmethod
    async def open(cls, served: Served, width: int = 100, height: int = 30) -> Tab:
        session = aiohttp.ClientSession(cookies={served.cookie_name: served.token})
        websocket = await session.ws_connect(
            f"{served.base}/ws?width={width}&height={height}", origin=served.base
        )
        return cls(session, websocket)

    @property
    def text(self) -> str:
        return screen_text(bytes(self.received))

    async def type(self, keys: str) -> None:
        await self.websocket.send_json(["stdin", keys])

    async def wait_for(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Read the screen until `text` has been drawn."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.text:
            remaining = deadline - asyncio.get_running_loop().time()
            assert remaining > 0, f"{text!r} never drawn; the screen had:\n{self.text[-3000:]}"
            message = await self.websocket.receive(timeout=remaining)
            if message.type == aiohttp.WSMsgType.BINARY:
                self.received += message.data
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                raise AssertionError(f"the tab closed before {text!r}:\n{self.text[-3000:]}")

    async def close(self) -> None:
        await self.websocket.close()
        await self.session.close()
