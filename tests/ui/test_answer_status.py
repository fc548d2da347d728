"""What an awaited answer's status line says, over the real loopback server: connecting,
retrying (attempt N of M, the wait counting down), waiting for the first token (seconds
counting), "no data for N s" in the middle of a stream (cleared when data comes again),
and the line being written of a reasoning that streams."""

from __future__ import annotations

import re

from tuichat.demo.replies import HTTPError, Recorded, Scripted, Stall, text_event
from tuichat.demo.server import ChatServer
from tuichat.ui.widgets.chat_message import AssistantMessage

from .conftest import AppFactory
from .pilot_helpers import finish_turn, send, shown_text, wait_until


def status_of(answer: AssistantMessage) -> str:
    return shown_text(answer.status)


async def the_answer(pilot) -> AssistantMessage:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: bool(pilot.app.screen.query(AssistantMessage)))
    return pilot.app.screen.query(AssistantMessage).last()


async def test_an_answer_says_it_connects_and_counts_the_seconds(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Stall(seconds=2.5, text="late words", headers_first=False))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        answer = await the_answer(pilot)
        await wait_until(pilot, lambda: "connecting to" in status_of(answer))
        assert server.base_url in status_of(answer)
        await wait_until(pilot, lambda: re.search(r"connecting .* · \d+ s", status_of(answer)))
        await wait_until(pilot, lambda: "late" in answer.body.text)
        assert "connecting" not in status_of(answer)
        await finish_turn(pilot)
        assert "stop" in status_of(answer)


async def test_an_answer_counts_the_seconds_until_its_first_token(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Stall(seconds=4, text="thought long", headers_first=True))  # room on a busy CPU
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        answer = await the_answer(pilot)
        await wait_until(pilot, lambda: "waiting for the first token" in status_of(answer))
        await wait_until(
            pilot, lambda: re.search(r"waiting for the first token · [123] s", status_of(answer))
        )
        await wait_until(pilot, lambda: "thought" in answer.body.text)
        assert "waiting" not in status_of(answer)
        await finish_turn(pilot)


async def test_a_rate_limited_answer_says_it_retries_and_which_attempt(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(
        HTTPError(429, "Rate limit reached", headers={"Retry-After": "2"}),
        Scripted(text="Now it answers."),
    )
    app = make_app(max_retries=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        answer = await the_answer(pilot)
        await wait_until(pilot, lambda: "HTTP 429 (rate limited): retrying in" in status_of(answer))
        assert "(attempt 2 of 3)" in status_of(answer)
        assert re.search(r"retrying in [12] s", status_of(answer))
        await finish_turn(pilot)
        assert answer.body.text == "Now it answers."
        assert "stop" in status_of(answer) and "attempt" not in status_of(answer)
        assert len(server.requests) == 2


async def test_a_silent_stream_says_no_data_for_n_seconds_until_data_comes_again(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(
        Recorded(
            [
                (0.0, text_event("before ")),
                (3.5, text_event("after")),
                (3.6, b"data: [DONE]\n\n"),
            ]
        )
    )
    app = make_app(stall_timeout=5.0)  # "no data" after 2.5 s of silence, given up at 5
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello")
        answer = await the_answer(pilot)
        await wait_until(pilot, lambda: "before" in answer.body.text)
        await wait_until(pilot, lambda: "no data for" in status_of(answer))
        assert re.search(r"no data for \d s \(gives up at 5 s\)", status_of(answer))
        await wait_until(pilot, lambda: "after" in answer.body.text)
        await wait_until(pilot, lambda: "no data" not in status_of(answer))
        await finish_turn(pilot)
        assert answer.body.text == "before after"


async def test_reasoning_that_streams_shows_its_latest_line_in_the_fold(
    make_app: AppFactory, server: ChatServer
) -> None:
    # The line fits the fold's title at this width, and streams for a few seconds.
    reasoning = "First I read the question.\nThen I weigh each option carefully " + " ".join(
        f"step{i}" for i in range(12)
    )
    server.enqueue(Scripted(reasoning=reasoning, text="Decided.", tokens_per_second=15))
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await send(pilot, "think")
        answer = await the_answer(pilot)
        await wait_until(pilot, lambda: answer.reasoning_view is not None)
        fold = answer.reasoning_view
        assert fold is not None
        await wait_until(pilot, lambda: "Then I weigh" in str(fold.title))
        assert str(fold.title).startswith("reasoning: ")
        assert fold.collapsed, "the reasoning stays folded: only its line shows"
        await wait_until(pilot, lambda: "step2" in str(fold.title))
        await finish_turn(pilot)
        assert str(fold.title) == "reasoning"
        assert answer.body.text == "Decided."
