"""The web server behind `tuichat serve`: textual-serve's browser front end, behind a token.

textual-serve gives the parts: its page and static files (xterm.js, which draws the screen
and maps OSC 52 to the browser's clipboard and links to new tabs) and its `AppService`, which
starts one app process per websocket from a command line and relays the screen and the keys.
What is served and who may have it is decided here, in a small aiohttp application:

- Every request (the page, its static files, its websocket, downloads) must carry the run's
  token: `?token=...` in the URL, the cookie set by the first visit, or an
  `Authorization: Bearer ...` header. Without it the answer is 401, with a wrong one 403, and
  no app process is started. Tokens are compared in constant time.
- A websocket (or any request) from a page of another origin is refused even with the cookie,
  so another site open in the same browser cannot drive the app (the cookie is also
  `SameSite=Strict` and `HttpOnly`).
- The page is told nothing but where its websocket is: not the command line, not the
  environment. The browser receives the rendered screen and nothing else; a Content Security
  Policy keeps the page from loading anything from elsewhere.
- The log says who connected and who was refused, by path without the query: never the token.

textual-serve's own `Server` is not used: it logs through Rich (this package stays without
it), prints its own banner, and builds absolute URLs from the address it listens on, which
breaks the cookie as soon as the browser names the host differently.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import socket
import time
import webbrowser
from asyncio.subprocess import Process
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal, TextIO

import jinja2
import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.typedefs import Handler
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

log = logging.getLogger("tuichat.serve")

TEXTUAL_SERVE = Path(textual_serve.__file__).parent
"""Where textual-serve keeps its page template and static files."""

STOP_TIMEOUT = 10.0
"""Seconds an app process gets to quit (and save) before it is killed."""

_HEARTBEAT = 15.0  # seconds between websocket pings, as textual-serve does


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is turned away."""

    status: Literal[401, 403]
    reason: str
    """For the log and the answer's body (never the token)."""


@dataclass(eq=False, slots=True)
class _Tab:
    """One browser tab: its websocket and the app process behind it."""

    websocket: web.WebSocketResponse
    service: AppService
    remote: str
    started: float = field(default_factory=time.monotonic)


class BrowserServer:
    """The aiohttp application of `tuichat serve`.

    Args:
        command: the shell command line that starts one app process (textual-serve runs it
            with `create_subprocess_shell`, so its words must be quoted).
        token: the access token of this run.
        cookie_name: the cookie that carries the token after the first visit; give each port
            its own, since browsers share cookies between the ports of a host.
        title: the page's title.
    """

    def __init__(
        self, command: str, token: str, *, cookie_name: str, title: str = "tuichat"
    ) -> None:
        self.command = command
        self._token = token.encode()
        self.cookie_name = cookie_name
        self.title = title
        self._tabs: set[_Tab] = set()
        self._handlers: set[asyncio.Task[object]] = set()
        self._downloads = DownloadManager()
        self._templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEXTUAL_SERVE / "templates"), autoescape=True
        )

    @property
    def tabs(self) -> int:
        """How many browser tabs are connected (each with its app process)."""
        return len(self._tabs)

    def application(self) -> web.Application:
        """A new aiohttp application serving the app behind the token."""
        app = web.Application(middlewares=[self._guard])
        app.add_routes(
            [
                web.get("/", self._page),
                web.get("/ws", self._websocket),
                web.get("/download/{key}", self._download),
                web.static("/static", TEXTUAL_SERVE / "static"),
            ]
        )
        app.on_response_prepare.append(_add_security_headers)
        return app

    # The gate -------------------------------------------------------------------------------

    def refusal(self, request: web.BaseRequest) -> Refusal | None:
        """Why `request` may not pass, or None when it may.

        Args:
            request: any request, for any path.

        Returns:
            None for a request with the right token from no other origin; else the refusal.
        """
        presented = self._presented_token(request)
        if presented is None:
            return Refusal(401, "no token")
        if not hmac.compare_digest(presented.encode(), self._token):
            return Refusal(403, "wrong token")
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return Refusal(403, "from a page of another origin")
        return None

    def _presented_token(self, request: web.BaseRequest) -> str | None:
        if "token" in request.query:
            return request.query["token"]
        authorization = request.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return request.cookies.get(self.cookie_name)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self.refusal(request)
        if refusal is not None:
            # raw_path: percent-encoded (no control characters for the log), no query.
            log.warning(
                "refused %s %s from %s: %s (%d)",
                request.method,
                request.rel_url.raw_path,
                request.remote,
                refusal.reason,
                refusal.status,
            )
            headers = {"WWW-Authenticate": 'Bearer realm="tuichat serve"'}
            return web.Response(
                status=refusal.status,
                text=f"tuichat serve: {refusal.reason}. Open the URL that `tuichat serve` "
                "printed (it ends with ?token=...).\n",
                headers=headers if refusal.status == 401 else None,
            )
        if "token" in request.query and request.path == "/":
            # The first visit: the cookie carries the token from now on (the page's own
            # requests: static files, the websocket), and the address bar loses it.
            query = [(key, value) for key, value in request.query.items() if key != "token"]
            response = web.Response(
                status=303, headers={"Location": str(request.rel_url.with_query(query))}
            )
            response.set_cookie(
                self.cookie_name, self._token.decode(), httponly=True, samesite="Strict"
            )
            return response
        return await handler(request)

    # The routes -----------------------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.Response:
        """textual-serve's page, told only where its websocket is."""
        log.info("page opened by %s", request.remote)
        websocket_scheme = "wss" if request.secure else "ws"
        html = self._templates.get_template("app_index.html").render(
            font_size=_to_int(request.query.get("fontsize", "16"), 16),
            app_websocket_url=f"{websocket_scheme}://{request.host}/ws",
            config={"static": {"url": "/static/"}},
            application={"name": self.title},
        )
        return web.Response(text=html, content_type="text/html")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: an app process of its own, its screen out, the keys in."""
        websocket = web.WebSocketResponse(heartbeat=_HEARTBEAT)
        await websocket.prepare(request)
        service = AppService(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=partial(_close, websocket),
            download_manager=self._downloads,
        )
        tab = _Tab(websocket, service, str(request.remote))
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        self._tabs.add(tab)
        watch: asyncio.Task[None] | None = None
        try:
            await service.start(
                _to_int(request.query.get("width", "80"), 80),
                _to_int(request.query.get("height", "24"), 24),
            )
            process = _process_of(service)
            log.info(
                "connected %s: app process %s started",
                tab.remote,
                process.pid if process else "?",
            )
            if process is not None:
                # An app that ends by itself says so first ("exit"), and textual-serve closes
                # the tab; one that could not start (a config file broken since) does not.
                watch = asyncio.create_task(_close_on_exit(process, websocket))
            await _relay(websocket, service)
        finally:
            if watch is not None:
                watch.cancel()
            await self._end(tab)
            if handler is not None:
                self._handlers.discard(handler)
        return websocket

    async def _end(self, tab: _Tab) -> None:
        """Ask the tab's app to quit, as Ctrl+Q would; kill it if it does not in time."""
        process = _process_of(tab.service)
        try:
            await asyncio.wait_for(tab.service.stop(), STOP_TIMEOUT)
        except TimeoutError:
            if process is not None and process.returncode is None:
                log.warning("app process %s did not quit: killed", process.pid)
                process.kill()
        if process is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        self._tabs.discard(tab)
        log.info(
            "disconnected %s: app process %s ended after %.0f s",
            tab.remote,
            process.pid if process else "?",
            time.monotonic() - tab.started,
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """A file the app delivers (`App.deliver_text`, ...), as textual-serve serves it."""
        key = request.match_info["key"]
        try:
            download = await self._downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text="no such download") from None
        response = web.StreamResponse()
        content_type = download.mime_type
        if download.encoding:
            content_type += f"; charset={download.encoding}"
        response.headers["Content-Type"] = content_type
        disposition = "inline" if download.open_method == "browser" else "attachment"
        response.headers["Content-Disposition"] = f"{disposition}; filename={download.file_name}"
        await response.prepare(request)
        async for chunk in self._downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    async def close(self) -> None:
        """Close every tab: each app is asked to quit (and saves its conversation), the ones
        that do not within `STOP_TIMEOUT` are killed."""
        for tab in list(self._tabs):
            with contextlib.suppress(Exception):  # a browser already gone
                await tab.websocket.close(
                    code=WSCloseCode.GOING_AWAY, message=b"tuichat serve stopped"
                )
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=2 * STOP_TIMEOUT + 1)


async def _relay(websocket: web.WebSocketResponse, service: AppService) -> None:
    """The browser's messages to the app process, until the tab closes.

    textual.js sends JSON arrays: `["stdin", text]`, `["resize", {"width", "height"}]`,
    `["ping", data]`, `["focus"]`, `["blur"]`. Anything else is ignored.
    """
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            width, height = data.get("width"), data.get("height")
            if isinstance(width, int) and isinstance(height, int):
                await service.set_terminal_size(width, height)
        elif kind == "ping":
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()


async def _close_on_exit(process: Process, websocket: web.WebSocketResponse) -> None:
    status = await process.wait()
    if not websocket.closed:
        log.warning("app process %s ended with status %s", process.pid, status)
        await websocket.close()


async def _close(websocket: web.WebSocketResponse) -> None:
    """Close the tab's websocket: its app has exited (the page offers to restart it)."""
    await websocket.close()


def _process_of(service: AppService) -> Process | None:
    """The app process of `service` (textual-serve keeps it private; it is needed to log
    its id and to kill one that does not quit)."""
    return service._process


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Headers for every answer: nothing cached, no referrer sent, not framed by another
    page, and the page may load and connect only to this server."""
    headers = response.headers
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    websocket = f"{'wss' if request.secure else 'ws'}://{request.host}"
    headers.setdefault(
        "Content-Security-Policy",
        # textual-serve's page has inline scripts and styles; nothing comes from elsewhere
        # (its web font from fonts.googleapis.com is not fetched: the browser's monospace
        # font is used).
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        f"connect-src 'self' {websocket}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'",
    )


def _to_int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def serve(
    server: BrowserServer,
    sock: socket.socket,
    *,
    url: str,
    open_browser: bool = False,
    out: TextIO,
    err: TextIO,
) -> int:
    """Serve on `sock` until Ctrl-C, SIGTERM or SIGHUP; then close every tab and stop.

    Args:
        server: what is served.
        sock: a listening socket (closed on return).
        url: the page's URL with the token, printed on `out` (and opened with `open_browser`).
        open_browser: open `url` in the default web browser once the server listens.
        out: where the URL goes.
        err: where the log goes (never the token).

    Returns:
        128 + the number of the signal that stopped it.
    """
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    loggers = [log, logging.getLogger("textual-serve"), logging.getLogger("aiohttp")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if logger is log else logging.WARNING)
        logger.propagate = False
    try:
        with sock:
            return asyncio.run(_serve(server, sock, url, open_browser, out))
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


async def _serve(
    server: BrowserServer, sock: socket.socket, url: str, open_browser: bool, out: TextIO
) -> int:
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    caught: list[int] = []

    def stop(signum: int) -> None:
        caught.append(signum)
        stopped.set()

    for signum in STOPPING_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    # No access log: aiohttp's would write each URL with its query, the token included.
    runner = web.AppRunner(server.application(), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        host, port = sock.getsockname()[:2]
        log.info("listening on %s port %s (Ctrl+C stops)", host, port)
        print(f"tuichat serve: open {url}", file=out, flush=True)
        if open_browser and not await asyncio.to_thread(webbrowser.open, url, 2):
            log.warning("could not open a web browser: open the URL above yourself")
        await stopped.wait()
        log.info("stopping (%s): closing %d tab(s)", signal.Signals(caught[0]).name, server.tabs)
        await server.close()
    finally:
        await runner.cleanup()
        for signum in STOPPING_SIGNALS:
            loop.remove_signal_handler(signum)
    log.info("stopped")
    return 128 + caught[0]
