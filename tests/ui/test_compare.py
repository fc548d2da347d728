"""Comparing models in the app: the picker, answers in columns arriving at once with their stats,
one kept as the conversation's answer and the others saved as its siblings, and a prompt's
files sent to every column."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static

from tuichat.config.load import parse_settings
from tuichat.demo.replies import HTTPError
from tuichat.demo.server import ChatServer
from tuichat.session.compare_targets import Target
from tuichat.storage.store import HistoryStore
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.compare import CompareScreen
from tuichat.ui.screens.compare_picker import ComparePicker
from tuichat.ui.screens.model_picker import ModelPicker
from tuichat.ui.widgets.attachment_chip import AttachedPrompt, AttachmentChip
from tuichat.ui.widgets.chat_message import AssistantMessage, ErrorMessage, UserMessage
from tuichat.ui.widgets.compare_column import CompareColumnView
from tuichat.ui.widgets.prompt import PromptInput

from ..session.test_attachments import tiny_png
from .conftest import loopback_app
from .pilot_helpers import press_while_streaming, send, shown_text, wait_until

DEMO_MODELS = (Target(None, "demo-fast"), Target(None, "demo-slow"))
PRICES = '[prices."demo-fast"]\ninput = 1.0\noutput = 2.0\n'
LONG = "write something long"  # demo-fast takes many seconds over it, demo-slow far longer
SHORT = "call nothing"  # the demo models' shortest answer


def comparing(app: TuichatApp) -> CompareScreen:
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def answer_in(column: CompareColumnView) -> AssistantMessage | None:
    answers = column.answers.query(AssistantMessage)
    return answers.last() if answers else None


def streaming(column: CompareColumnView) -> bool:
    """Text has arrived in the column and its answer goes on."""
    answer = answer_in(column)
    return answer is not None and bool(answer.body.text) and not answer.ended


def stats_of(column: CompareColumnView) -> str:
    return str(column.stats.render())


async def compare(pilot: Pilot[None], prompt: str) -> CompareScreen:
    await send(pilot, prompt)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
    return comparing(pilot.app)  # type: ignore[arg-type]


async def test_two_demo_models_answer_in_columns_at_once_and_the_one_kept_is_in_the_history(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    app = loopback_app(server, db=db, compare=DEMO_MODELS)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        assert chat.prompt.border_title is not None
        assert "comparing" in str(chat.prompt.border_title)
        screen = await compare(pilot, LONG)
        fast, slow = screen.views
        host = server.base_url.split("/")[2]
        assert str(fast.title.render()) == f"1 {host} · demo-fast"
        assert str(slow.title.render()) == f"2 {host} · demo-slow"
        # Both answers arrive at the same time, each in its column with its own stats.
        await wait_until(pilot, lambda: streaming(fast) and streaming(slow), timeout=30)
        await wait_until(pilot, lambda: "tok/s" in stats_of(fast) and "tok/s" in stats_of(slow))
        for column in (fast, slow):
            assert stats_of(column).startswith("TTFT ")
            assert "≈" in stats_of(column)  # counted from the stream until the server counts
        # Esc stops both; what arrived stays.
        await press_while_streaming(pilot, "escape")
        await wait_until(pilot, lambda: not screen.answering)
        await pilot.pause()
        shown = {}
        for column in (fast, slow):
            answer = answer_in(column)
            assert answer is not None and answer.ended
            assert answer.body.text
            assert stats_of(column).endswith("· cancelled")
            shown[column.number] = answer.body.text
        # The second column's answer is kept: it is the conversation's answer now.
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.pause()
        assert app.screen is chat
        assert [m["content"] for m in chat.session.messages] == [LONG, shown[2]]
        assert chat.session.messages[-1]["cancelled"] is True
        kept = chat.messages.query(AssistantMessage).last()
        assert kept.body.text == shown[2]
        assert f"kept from {host} · demo-slow" in shown_text(kept.status)  # who wrote it
        assert shown_text(chat.messages.query(UserMessage).last()) == LONG
        conversation_id = chat.session.conversation_id
    # The history holds what was shown: the kept answer live, the other beside it.
    with HistoryStore(db) as store:
        rows = store.message_rows(conversation_id or 0)
        live = store.load_messages(conversation_id or 0)
    assert [(r.message["role"], r.model, r.replaced, r.status) for r in rows] == [
        ("user", None, False, "complete"),
        ("assistant", "demo-fast", True, "cancelled"),
        ("assistant", "demo-slow", False, "cancelled"),
    ]
    assert [r.message["content"] for r in rows] == [LONG, shown[1], shown[2]]
    assert rows[1].parent_id == rows[2].parent_id == rows[0].id  # siblings of one prompt
    assert [m["content"] for m in live] == [LONG, shown[2]]


async def test_each_column_shows_its_stats_and_cost_once_its_answer_is_in(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    app = loopback_app(server, db=db, compare=DEMO_MODELS, settings=parse_settings(PRICES))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare(pilot, SHORT)
        fast, slow = screen.views
        await wait_until(pilot, lambda: not screen.answering, timeout=30)
        await pilot.pause()
        for column, model in zip(
            screen.comparison.columns, ("demo-fast", "demo-slow"), strict=True
        ):
            (message,) = column.messages
            assert message["model"] == model
        fast_message = screen.comparison.columns[0].messages[0]
        usage = fast_message["usage"]
        cost = (usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 2.0) / 1_000_000
        fast_stats, slow_stats = stats_of(fast), stats_of(slow)
        ttft = fast_message["timing"]["time_to_first_token"]
        assert fast_stats.startswith(f"TTFT {ttft:.2f} s · ")
        assert f"{usage['prompt_tokens']:,} → {usage['completion_tokens']:,} tokens" in fast_stats
        assert fast_stats.endswith(f"${cost:.4f}")
        assert slow_stats.endswith("tokens · no price")  # demo-slow has no [prices] entry
        assert " tok/s · " in fast_stats and " tok/s · " in slow_stats
        assert "≈" not in fast_stats + slow_stats  # the server's own counts now
        # Enter keeps the highlighted column (the first, to start with; Right moves on).
        await pilot.press("right", "left", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        assert chat.session.messages[-1] is fast_message
        # The prompt's border counts the kept answer: the server's count of the request.
        total = usage["prompt_tokens"] + usage["completion_tokens"]
        await wait_until(pilot, lambda: f"{total:,} / " in str(chat.prompt.border_subtitle))
        conversation_id = chat.session.conversation_id
    with HistoryStore(db) as store:
        rows = store.message_rows(conversation_id or 0)
    assert [(r.model, r.replaced) for r in rows[1:]] == [("demo-slow", True), ("demo-fast", False)]


async def test_quitting_while_comparing_keeps_every_answer_beside_the_conversation(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    app = loopback_app(server, db=db, compare=DEMO_MODELS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare(pilot, LONG)
        await wait_until(pilot, lambda: all(streaming(view) for view in screen.views), timeout=30)
        conversation = app.tabs.tabs[0].session
    # Nothing was kept: the prompt and both answers are a branch the conversation left.
    with HistoryStore(db) as store:
        rows = store.message_rows(conversation.conversation_id or 0)
        live = store.load_messages(conversation.conversation_id or 0)
    assert [(r.message["role"], r.replaced, r.status) for r in rows] == [
        ("user", True, "complete"),
        ("assistant", True, "cancelled"),
        ("assistant", True, "cancelled"),
    ]
    assert all(r.message["content"] for r in rows)
    assert live == []


async def test_the_picker_lists_the_demo_models_and_sets_what_each_prompt_goes_to(
    server: ChatServer,
) -> None:
    app = loopback_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        titles = {command.title for command in app.get_system_commands(chat)}
        assert "Compare models…" in titles
        await pilot.press("f6")
        picker = app.screen
        assert isinstance(picker, ComparePicker)
        options = picker.query_one(SelectionList)
        host = server.base_url.split("/")[2]

        def labels() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        # The server's models (the demo's three), then the offline demo's, then the profiles.
        await wait_until(pilot, lambda: f"{host} · demo-slow" in labels())
        assert labels()[:3] == [
            f"{host} · tuichat-demo",
            f"{host} · demo-fast",
            f"{host} · demo-slow",
        ]
        assert "demo · demo-fast" in labels() and "ollama · llama3.2" in labels()
        assert list(options.selected) == [Target(None, "tuichat-demo")]  # the model in use
        # A mistyped profile is refused, saying why; a typed PROFILE:MODEL is added, ticked.
        await pilot.press("tab")
        assert isinstance(app.focused, Input)
        await pilot.press(*"olama:x", "enter")
        status = str(picker.query_one("#compare-status", Static).render())
        assert "no profile 'olama' (did you mean ollama?)" in status
        picker.query_one(Input).clear()
        await pilot.press(*"ollama:qwen2.5:7b", "enter")
        assert "ollama · qwen2.5:7b" in labels()
        assert Target("ollama", "qwen2.5:7b") in options.selected
        options.deselect(Target("ollama", "qwen2.5:7b"))
        options.select(Target(None, "demo-slow"))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is chat
        assert chat.compare == (Target(None, "tuichat-demo"), Target(None, "demo-slow"))
        assert str(chat.query_one(PromptInput).border_title) == (
            f"comparing {host} · tuichat-demo · {host} · demo-slow · F6 changes"
        )
        # Nothing ticked: each prompt goes to the conversation's model again.
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ComparePicker))
        app.screen.query_one(SelectionList).deselect_all()
        await pilot.press("enter")
        await pilot.pause()
        assert chat.compare == () and chat.query_one(PromptInput).border_title is None


async def test_the_model_picker_lists_the_demo_models(server: ChatServer) -> None:
    app = loopback_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        await wait_until(pilot, lambda: bool(picker.models))
        assert sorted(picker.models) == ["demo-fast", "demo-slow", "tuichat-demo"]


async def test_a_comparison_goes_on_in_a_hidden_tab_and_closing_its_tab_keeps_the_answers(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    app = loopback_app(server, db=db, compare=DEMO_MODELS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await compare(pilot, LONG)
        first = app.tabs.tabs[0]
        await wait_until(pilot, lambda: all(streaming(view) for view in screen.views), timeout=30)
        await press_while_streaming(pilot, "ctrl+t")
        await wait_until(pilot, lambda: len(app.tabs.tabs) == 2 and app.tabs.current is not first)
        assert first.state == "streaming"  # its label says so while another tab is shown
        fast = answer_in(screen.views[0])
        assert fast is not None
        arrived = len(fast.body.text)
        await wait_until(pilot, lambda: len(fast.body.text) > arrived)  # still arriving, unseen
        await press_while_streaming(pilot, "ctrl+pageup")
        await wait_until(pilot, lambda: app.screen is screen)
        await press_while_streaming(pilot, "alt+w")
        await wait_until(pilot, lambda: len(app.tabs.tabs) == 1)
        await pilot.pause()
    with HistoryStore(db) as store:
        rows = store.message_rows(first.session.conversation_id or 0)
    assert [(r.message["role"], r.replaced, r.status) for r in rows] == [
        ("user", True, "complete"),
        ("assistant", True, "cancelled"),
        ("assistant", True, "cancelled"),
    ]


async def test_a_compared_prompt_sends_its_files_to_every_column_and_a_refusal_stays_in_one(
    server: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("a cat, probably\n")
    (tmp_path / "cat.png").write_bytes(tiny_png(64, 48))
    with ChatServer(default_reply=HTTPError(400, "this model takes no images")) as picky:
        settings = parse_settings(
            f'[profiles.picky]\nbase_url = "{picky.base_url}"\nmodel = "text-only"\n'
            "max_retries = 0\n"
        )
        targets = (Target(None, "demo-fast"), Target("picky", None))
        db = tmp_path / "history.sqlite3"
        app = loopback_app(server, db=db, settings=settings, compare=targets)
        async with app.run_test(size=(120, 40)) as pilot:
            chat = app.screen
            assert isinstance(chat, ChatScreen)
            screen = await compare(pilot, "what is @cat.png, see @notes.txt")
            await wait_until(pilot, lambda: not screen.answering, timeout=30)
            await pilot.pause()
            above = screen.query_one("#compare-prompt")
            assert [chip.title for chip in above.query(AttachmentChip)] == [
                "cat.png · 33 B · PNG image 64×48",
                "notes.txt · 16 B · text, 1 line",
            ]
            taker, refuser = screen.views
            errors = [shown_text(e) for e in refuser.answers.query(ErrorMessage)]
            assert any(
                e.startswith("The server refused the prompt with the image cat.png") for e in errors
            )
            assert "this model takes no images" in errors[-1]
            assert not taker.answers.query(ErrorMessage)  # the other column took them
            assert answer_in(taker) is not None
            await pilot.press("1")
            await wait_until(pilot, lambda: app.screen is chat)
            await pilot.pause()
            kept = chat.messages.query_one(AttachedPrompt)
            assert [chip.title for chip in kept.query(AttachmentChip)] == [
                "cat.png · 33 B · PNG image 64×48",
                "notes.txt · 16 B · text, 1 line",
            ]
            assert shown_text(kept.query_one(UserMessage)) == "what is @cat.png, see @notes.txt"
        [asked_picky] = picky.requests
    sent = server.requests[-1]["messages"][-1]
    assert asked_picky["messages"][-1] == sent
    text, image = sent["content"]
    assert (
        text["text"]
        == "what is @cat.png, see @notes.txt\n\nnotes.txt\n```text\na cat, probably\n```"
    )
    assert image["image_url"]["url"].startswith("data:image/png;base64,")


async def test_space_then_down_typed_at_once_ticks_the_model_space_was_pressed_on(
    server: ChatServer,
) -> None:
    from textual import events

    app = loopback_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f6")
        picker = app.screen
        assert isinstance(picker, ComparePicker)
        options = picker.query_one(SelectionList)
        await wait_until(pilot, lambda: options.option_count >= 3)
        assert list(options.selected) == [Target(None, "tuichat-demo")]
        options.highlighted = 1  # demo-fast
        # Both keys in the app's queue before either is handled, as when typed quickly.
        app.post_message(events.Key("space", " "))
        app.post_message(events.Key("down", None))
        await pilot.pause()
        await pilot.pause()
        assert options.highlighted == 2
        assert list(options.selected) == [Target(None, "tuichat-demo"), Target(None, "demo-fast")]
