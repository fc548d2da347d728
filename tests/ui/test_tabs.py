"""Several conversations at once, one tab each: streaming and approvals in hidden tabs, keys,
the palette, and tabs that come back with --continue."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tuichat.demo.replies import Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.tool_approval import ApprovalScreen
from tuichat.ui.widgets.chat_message import AssistantMessage
from tuichat.ui.widgets.tab_bar import TabBar

from .conftest import AppFactory, loopback_app
from .pilot_helpers import finish_turn, press_while_streaming, send, wait_until


def bar(app: TuichatApp) -> str:
    screen = next(s for s in app.screen_stack if isinstance(s, ChatScreen))
    return screen.query_one(TabBar).text()


def chat(app: TuichatApp) -> ChatScreen:
    return next(s for s in app.screen_stack if isinstance(s, ChatScreen))


async def new_tab(pilot: Pilot[None]) -> None:
    await press_while_streaming(pilot, "ctrl+t")
    await pilot.pause()


async def test_an_answer_streams_on_in_a_hidden_tab_while_another_is_used(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow("slow " * 200, tokens_per_second=40), Scripted(text="Quick answer."))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "the long one")
        first = chat(app)
        await wait_until(pilot, lambda: "slow slow" in first.query_one(AssistantMessage).body.text)
        assert not chat(app).query_one(TabBar).display  # one tab: no bar
        await new_tab(pilot)
        second = chat(app)
        assert second is not first and second.session is not first.session
        assert " 1 the long one …" in bar(app)  # streaming, not shown
        assert " 2 new │" in bar(app)  # the new tab is idle: another tab's answer is not its
        await send(pilot, "quick")
        await wait_until(pilot, lambda: bool(second.query(AssistantMessage)))
        await wait_until(
            pilot, lambda: "Quick answer." in second.query_one(AssistantMessage).body.text
        )
        # The first answer went on arriving while its tab was hidden, and now says so.
        await wait_until(pilot, lambda: "●" in bar(app), timeout=20)
        answer = first.query_one(AssistantMessage)
        assert answer.body.text == "slow " * 200 and answer.ended
        await press_while_streaming(pilot, "ctrl+pageup")
        await pilot.pause()
        assert chat(app) is first and "●" not in bar(app)  # seen now
        assert [m["content"] for m in first.session.messages] == ["the long one", "slow " * 200]
        assert [m["content"] for m in second.session.messages] == ["quick", "Quick answer."]


async def test_a_hidden_tab_asks_for_approval_when_it_is_shown(
    make_app: AppFactory, server: ChatServer
) -> None:
    call = ToolCall("calculate", {"expression": "6*7"}, id="c1")
    # The call's arguments stream slowly: the user has moved to another tab by the time it
    # is complete and asks for approval.
    server.enqueue(
        Scripted(text="Computing.", tool_calls=[call], tokens_per_second=3),
        Scripted(text="It is 42."),
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        first = chat(app)
        first.session.conversation.policy = lambda name: "ask"
        await new_tab(pilot)
        await press_while_streaming(pilot, "ctrl+pageup")
        await wait_until(pilot, lambda: chat(app) is first)
        await send(pilot, "compute")
        await press_while_streaming(pilot, "ctrl+pagedown")
        await wait_until(pilot, lambda: chat(app) is not first)
        await wait_until(pilot, lambda: " ?" in bar(app))
        assert not isinstance(app.screen, ApprovalScreen)  # not over the tab shown
        await press_while_streaming(pilot, "ctrl+pageup")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await press_while_streaming(pilot, "y")
        await wait_until(pilot, lambda: len(first.session.messages) == 4)
        assert first.session.messages[2]["content"] == "42"  # the tool ran after approval
        await wait_until(pilot, lambda: "42" in first.query(AssistantMessage).last().body.text)


async def test_the_tab_keys_are_in_the_palette_and_close_keeps_the_others(
    make_app: AppFactory, server: ChatServer
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "New tab" in titles
        await new_tab(pilot)
        await new_tab(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("New tab", "Close tab", "Next tab", "Previous tab"):
            assert title in titles
        assert len(app.tabs.tabs) == 3 and bar(app).count("│") == 3
        third = app.tabs.current
        await press_while_streaming(pilot, "alt+w")
        await pilot.pause()
        assert len(app.tabs.tabs) == 2 and app.tabs.current is not third
        await press_while_streaming(pilot, "alt+w")
        await press_while_streaming(pilot, "alt+w")  # the last tab stays
        await pilot.pause()
        assert len(app.tabs.tabs) == 1


async def test_continue_brings_back_the_open_tabs(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="First."), Scripted(text="Second."), Scripted(text="Third."))
    app = loopback_app(server, db=db)
    async with app.run_test(size=(100, 30)) as pilot:
        for prompt in ("one", "two", "three"):
            if prompt != "one":
                await new_tab(pilot)
            await send(pilot, prompt)
            await finish_turn(pilot)
        await press_while_streaming(pilot, "ctrl+pageup")  # "two" is shown when quitting
        await pilot.pause()
    with HistoryStore(db) as store:
        ids, active = store.open_tabs()
        titles = {s.id: s.title for s in store.list_conversations()}
    assert [titles[i] for i in ids] == ["one", "two", "three"] and titles[active or 0] == "two"

    again = loopback_app(server, db=db, resume="last")
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: len(again.tabs.tabs) == 3)
        await pilot.pause()
        assert [tab.session.conversation_id for tab in again.tabs.tabs] == ids
        assert again.session.conversation_id == active  # the tab shown then is shown
        assert chat(again).query_one(AssistantMessage).body.text == "Second."
        assert " 2 two " in bar(again)


async def test_a_saved_conversation_opens_in_a_new_tab_from_the_list(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as store:
        saved = store.create_conversation(model="m")
        store.add_message(saved, {"role": "user", "content": "kept for later"})
        store.add_message(saved, {"role": "assistant", "content": "Here it is."})
    app = loopback_app(server, db=db)
    async with app.run_test(size=(100, 30)) as pilot:
        first = chat(app)
        await pilot.press("f4")
        await pilot.pause()
        await press_while_streaming(pilot, "ctrl+j")  # what Alt+Enter sends
        await wait_until(pilot, lambda: len(app.tabs.tabs) == 2)
        await pilot.pause()
        assert chat(app) is not first and app.session.conversation_id == saved
        assert chat(app).query_one(AssistantMessage).body.text == "Here it is."


async def test_ten_tabs_one_streaming_unseen_while_another_is_used(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow("slow " * 400, tokens_per_second=40), Scripted(text="Quick answer."))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        first = chat(app)
        await send(pilot, "the long one")
        for _ in range(9):
            await new_tab(pilot)
        assert len(app.tabs.tabs) == 10 and chat(app) is not first
        assert first.busy, "the first tab's answer goes on while nine others open"
        last = chat(app)
        await send(pilot, "quick")
        await wait_until(
            pilot, lambda: "Quick answer." in last.query(AssistantMessage).last().body.text
        )
        await wait_until(pilot, lambda: not first.busy, timeout=30)
        assert "●" in bar(app)  # the first tab says it has an answer not seen yet
        answer = first.query(AssistantMessage).last()
        assert answer.body.text == "slow " * 400 and answer.ended
