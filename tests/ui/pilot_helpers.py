"""Driving the app as a person would, and reading what it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.geometry import Region
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widget import Widget

from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.widgets.chat_message import AssistantMessage


async def send(pilot: Pilot[None], text: str) -> None:
    """Type a prompt and press Enter, as a person would.

    `Pilot.press` waits until every message queue is idle, which a streaming answer never
    is: Enter is pressed in a task of its own so the test can watch the answer arrive.
    """
    await pilot.press(*text)
    await press_while_streaming(pilot, "enter")


async def press_while_streaming(pilot: Pilot[None], *keys: str) -> None:
    """Press keys without waiting for the app to go idle (it does not while streaming)."""
    _pending_presses.add(asyncio.create_task(pilot.press(*keys)))
    await asyncio.sleep(0.05)


_pending_presses: set[asyncio.Task[None]] = set()


class Notices:
    """What the app tells the user in notifications: give it to `run_test(message_hook=...)`."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.messages.append(message.notification.message)


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Let the app run until the condition holds (fails the test after the timeout)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        # Not pilot.pause(): it waits for the app to go idle, which a stream never does.
        await asyncio.sleep(0.01)


async def finish_turn(pilot: Pilot[None]) -> ChatScreen:
    """Wait for the answer to end and its last frame to be painted."""
    while _pending_presses:
        press = _pending_presses.pop()
        if press.get_loop() is not asyncio.get_running_loop():
            continue  # left by an earlier test (its loop is gone)
        # A press whose key switched tabs may be cancelled with the screen it waited on.
        await asyncio.wait([press])
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    return screen


def rendered_lines(widget: Widget) -> list[str]:
    """The lines a Line API widget (StreamingMarkdown) paints, as plain text."""
    return [widget.render_line(y).text for y in range(widget.virtual_size.height)]


def shown_text(widget: Widget) -> str:
    """What a widget paints inside its borders and padding, as plain text lines."""
    width, height = widget.outer_size
    gutter = widget.gutter
    strips = widget.render_lines(Region(0, 0, width, height))
    inner = strips[gutter.top : height - gutter.bottom]
    lines = [strip.text[gutter.left : width - gutter.right].rstrip() for strip in inner]
    return "\n".join(lines).strip()


async def next_frame() -> None:
    """Give the app time to paint a frame while a stream is still arriving."""
    await asyncio.sleep(0.1)


async def answer_receiving(pilot: Pilot[None], fragment: str) -> AssistantMessage:
    """Wait until the latest answer's text contains `fragment` (while it streams)."""
    screen = pilot.app.screen
    await wait_until(pilot, lambda: bool(screen.query(AssistantMessage)))
    answer = screen.query(AssistantMessage).last()
    await wait_until(pilot, lambda: fragment in answer.body.text)
    return answer
