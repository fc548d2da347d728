"""The saved conversations in the app: the list, search, regenerate, edit, recall, the window."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Any, TypeVar

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, OptionList

from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.history import ConfirmDelete, ConversationList, SearchScreen
from tuichat.ui.widgets.chat_message import AssistantMessage, UserMessage
from tuichat.ui.widgets.message_list import MAX_MOUNTED
from tuichat.ui.widgets.prompt import PromptInput

from .conftest import loopback_app
from .pilot_helpers import finish_turn, send, shown_text, wait_until

SIZE = (100, 30)


def make_app(
    server: ChatServer, db: Path, resume: int | None = None, system: str | None = None
) -> TuichatApp:
    return loopback_app(server, db=db, resume=resume, system_prompt=system)


def answer(turn: int) -> str:
    """A Markdown answer of about a dozen lines."""
    items = "\n".join(f"- point {i} of answer {turn}" for i in range(4))
    code = f"```python\nprint({turn})\n```"
    return f"## Answer {turn}\n\nSome prose for answer {turn}.\n\n{items}\n\n{code}"


def save_conversation(store: HistoryStore, turns: int, topic: str = "Question") -> int:
    """A saved conversation of `turns` prompts and answers; returns its id."""
    cid = store.create_conversation(model="model-x", provider="test")
    for turn in range(1, turns + 1):
        store.add_message(cid, {"role": "user", "content": f"{topic} {turn}"})
        store.add_message(
            cid,
            {
                "role": "assistant",
                "content": answer(turn),
                "reasoning": None,
                "finish_reason": "stop",
                "usage": None,
            },
            model="model-x",
        )
    return cid


def clock() -> object:
    """Timestamps one second apart, so conversations have a stable order."""
    ticks = itertools.count(1_700_000_000)
    return lambda: float(next(ticks))


S = TypeVar("S", bound=Screen[Any])


def screen_of(app: TuichatApp, kind: type[S]) -> S:
    """The app's current screen, which must be a `kind`."""
    screen = app.screen
    assert isinstance(screen, kind), screen
    return screen


def shown_prompts(screen: ChatScreen) -> list[str]:
    return [shown_text(widget) for widget in screen.query(UserMessage)]


def in_view(screen: ChatScreen, widget: Widget) -> bool:
    region = widget.region
    return bool(region.height) and screen.messages.region.overlaps(region)


async def test_the_list_opens_renames_and_deletes_conversations(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db, clock=clock()) as store:  # type: ignore[arg-type]
        first = save_conversation(store, 2, "Apples")
        second = save_conversation(store, 3, "Pears")
        third = save_conversation(store, 1, "Plums")
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        chat = screen_of(app, ChatScreen)
        await pilot.press("f4")
        listing = screen_of(app, ConversationList)
        await wait_until(pilot, lambda: len(listing.summaries) == 3)
        assert [s.id for s in listing.summaries] == [third, second, first]  # newest first
        options = listing.query_one("#conversations", OptionList)
        assert "Plums 1" in str(options.get_option_at_index(0).prompt)
        assert "model-x" in str(options.get_option_at_index(0).prompt)

        await pilot.press("down", "enter")  # open "Pears"
        await wait_until(pilot, lambda: app.session.conversation_id == second)
        await pilot.pause()
        assert app.screen is chat
        assert shown_prompts(chat) == ["Pears 1", "Pears 2", "Pears 3"]
        assert [m["content"] for m in app.session.messages if m["role"] == "user"] == [
            "Pears 1", "Pears 2", "Pears 3",
        ]  # fmt: skip
        assert chat.query(AssistantMessage).last().body.text == answer(3)

        # Rename "Apples" (the last in the list).
        await pilot.press("f4")
        listing = screen_of(app, ConversationList)
        await wait_until(pilot, lambda: len(listing.summaries) == 3)
        await pilot.press("end", "r")
        field = listing.query_one("#rename-input", Input)
        assert field.display and field.value == "Apples 1"
        field.value = ""
        await pilot.press(*"Fruit notes", "enter")
        await wait_until(pilot, lambda: any(s.title == "Fruit notes" for s in listing.summaries))
        with HistoryStore(db) as store:
            renamed = store.get_conversation(first)
            assert renamed is not None and renamed.title == "Fruit notes"

        # Delete the open conversation: asked first, then it is gone and a new one starts.
        listing.query_one("#conversations", OptionList).highlighted = 1  # "Pears"
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("n")  # keep it after all
        assert app.screen is listing
        await pilot.press("d")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(listing.summaries) == 2)
        assert second not in [s.id for s in listing.summaries]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat
        assert app.session.conversation_id is None
        assert not chat.query(UserMessage) and app.session.messages == []
    with HistoryStore(db) as store:
        assert store.get_conversation(second) is None
        assert store.get_conversation(first) is not None


async def test_search_opens_the_conversation_at_the_message(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as store:
        other = save_conversation(store, 2, "Unrelated")
        target = save_conversation(store, 150)
        rows = store.message_rows(target)
        hit = rows[20]  # the prompt of turn 11: far above the newest messages
        store.add_message(other, {"role": "user", "content": "nothing to see"})
    with sqlite3.connect(db) as connection:  # an old prompt edited in place, found by search
        connection.execute(
            "UPDATE messages SET content = ? WHERE id = ?",
            ("Tell me about zeppelins please", hit.id),
        )
    connection.close()
    app = make_app(server, db, resume=other)
    async with app.run_test(size=SIZE) as pilot:
        chat = screen_of(app, ChatScreen)
        await pilot.press("ctrl+f")
        search = screen_of(app, SearchScreen)
        await pilot.press(*"zeppelin*")
        await wait_until(pilot, lambda: len(search.results) == 1)
        await pilot.pause()
        [result] = search.results
        assert result.message_id == hit.id and result.role == "user"
        option = str(search.query_one("#search-results", OptionList).get_option_at_index(0).prompt)
        assert "zeppelins" in option and "user" in option
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.session.conversation_id == target and app.screen is chat
        )

        def found() -> list[UserMessage]:
            return [
                w
                for w in chat.query(UserMessage)
                if "zeppelins" in shown_text(w) and in_view(chat, w)
            ]

        await wait_until(pilot, lambda: len(found()) == 1)
        await pilot.pause()
        [message] = found()
        assert message.region.y == chat.messages.region.y  # at the top of the view
        assert message.has_class("-found")
        assert len(chat.query(UserMessage)) < 100  # a window, not all 150 prompts
        assert len(app.session.messages) == 300  # but the whole conversation goes on


async def test_regenerate_keeps_the_replaced_answer_in_the_history(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="The first answer."), Scripted(text="A better answer."))
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        chat = await finish_turn(pilot)
        assert chat.query_one(AssistantMessage).body.text == "The first answer."
        await pilot.press("ctrl+r")
        await finish_turn(pilot)
        answers = list(chat.query(AssistantMessage))
        assert [a.body.text for a in answers] == ["A better answer."]
        assert shown_prompts(chat) == ["hello"]
        assert [m["role"] for m in app.session.messages] == ["user", "assistant"]
        assert app.session.messages[-1]["content"] == "A better answer."
        # The model was asked again about the same prompt (no second "hello").
        assert [m["content"] for m in server.requests[-1]["messages"]] == ["hello"]
        cid = app.session.conversation_id
        kept = list(app.session.messages)
    assert cid is not None
    with HistoryStore(db) as store:
        assert store.load_messages(cid) == kept
        rows = store.message_rows(cid)
        assert [(r.message["content"], r.replaced) for r in rows] == [
            ("hello", False), ("The first answer.", True), ("A better answer.", False),
        ]  # fmt: skip


async def test_edit_the_last_prompt_and_send_it_again(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="One."), Scripted(text="Two."), Scripted(text="Two, again."))
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")
        await finish_turn(pilot)
        await send(pilot, "secnd")
        chat = await finish_turn(pilot)
        prompt = chat.query_one(PromptInput)
        await pilot.press("ctrl+e")
        assert prompt.text == "secnd" and chat.editing
        await pilot.press("left", "left", "o")  # fix the typo: "second"
        assert prompt.text == "second"
        await pilot.press("enter")
        await finish_turn(pilot)
        assert not chat.editing
        # (The edited prompt also says which of its versions it is: tests/ui/test_branches.py.)
        assert [text.splitlines()[0] for text in shown_prompts(chat)] == ["first", "second"]
        assert [a.body.text for a in chat.query(AssistantMessage)] == ["One.", "Two, again."]
        assert [m["content"] for m in server.requests[-1]["messages"]] == [
            "first",
            "One.",
            "second",
        ]
        cid = app.session.conversation_id
        kept = list(app.session.messages)
        # With text in the prompt, ctrl+e is the prompt's own "end of line".
        await pilot.press(*"abc", "home", "ctrl+e", "d")
        assert prompt.text == "abcd" and not chat.editing
    assert cid is not None
    with HistoryStore(db) as store:
        assert store.load_messages(cid) == kept
        replaced = [r.message["content"] for r in store.message_rows(cid) if r.replaced]
        assert replaced == ["secnd", "Two."]


async def test_up_recalls_earlier_prompts_on_an_empty_prompt(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db, clock=clock()) as store:  # type: ignore[arg-type]
        cid = store.create_conversation()
        store.add_message(cid, {"role": "user", "content": "saved older"})
        store.add_message(cid, {"role": "user", "content": "saved two\nlines"})
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        chat = screen_of(app, ChatScreen)
        prompt = chat.query_one(PromptInput)
        await wait_until(pilot, lambda: len(prompt.recall) == 2)
        await send(pilot, "this session")
        await finish_turn(pilot)
        assert prompt.text == ""
        await pilot.press("up")
        assert prompt.text == "this session"
        await pilot.press("up")
        assert prompt.text == "saved two\nlines"
        await pilot.press("up")  # the cursor is on the last line: it moves up, no recall
        assert prompt.text == "saved two\nlines" and prompt.cursor_location[0] == 0
        await pilot.press("up")  # now on the first line: the older prompt
        assert prompt.text == "saved older"
        await pilot.press("up")  # the oldest: stays
        assert prompt.text == "saved older"
        await pilot.press("down")
        assert prompt.text == "saved two\nlines"
        await pilot.press("down", "down")
        assert prompt.text == "" and not prompt.browsing
        # Typed text is never replaced: Up moves the cursor as usual.
        await pilot.press(*"draft", "ctrl+j", *"more")
        await pilot.press("up")
        assert prompt.text == "draft\nmore" and prompt.cursor_location[0] == 0
        await pilot.press("up")
        assert prompt.text == "draft\nmore"


async def test_a_long_conversation_mounts_a_window_of_it(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as store:
        cid = save_conversation(store, 250)  # 500 messages
    app = make_app(server, db, resume=cid)
    async with app.run_test(size=SIZE) as pilot:
        chat = screen_of(app, ChatScreen)
        messages = chat.messages
        await pilot.pause()

        def mounted() -> int:
            return len(chat.query(UserMessage)) + len(chat.query(AssistantMessage))

        assert len(app.session.messages) == 500
        assert 0 < mounted() < 100
        last = chat.query(AssistantMessage).last()
        assert last.body.text == answer(250) and in_view(chat, last)
        assert "Question 1" not in shown_prompts(chat)

        await pilot.press("home")  # the prompt is empty: the very start of the conversation
        await wait_until(pilot, lambda: "Question 1" in shown_prompts(chat))
        await pilot.pause()
        first = chat.query(UserMessage).first()
        assert shown_text(first) == "Question 1" and in_view(chat, first)
        assert mounted() < 100

        # Reading on: later entries are mounted as the view nears the window's bottom, and
        # the earliest unmounted, so the window stays bounded.
        for _ in range(25):
            end = messages.end
            messages.scroll_end(animate=False)
            await wait_until(pilot, lambda end=end: messages.end > end)  # type: ignore[misc]
        await pilot.pause()
        assert messages.start > 0 and not first.is_attached
        assert mounted() == messages.mounted_count <= MAX_MOUNTED

        await pilot.press("end")
        await wait_until(pilot, lambda: messages.at_end)
        await pilot.pause()
        last = chat.query(AssistantMessage).last()
        assert last.body.text == answer(250) and in_view(chat, last)
        assert messages.scroll_y == messages.max_scroll_y
        assert mounted() < 100


async def test_earlier_entries_are_mounted_above_without_moving_the_view(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as store:
        cid = save_conversation(store, 250)
    app = make_app(server, db, resume=cid)
    async with app.run_test(size=SIZE) as pilot:
        chat = screen_of(app, ChatScreen)
        messages = chat.messages
        await pilot.pause()
        start = messages.start
        target = messages.entries[start + 1].widget
        assert target is not None
        top = target.virtual_region.y
        messages.scroll_to(y=top, animate=False)  # near the window's top: it grows upwards
        await wait_until(pilot, lambda: messages.start < start)
        await pilot.pause()
        await pilot.pause()
        assert target.region.y == messages.region.y  # still at the top of the view
        assert messages.scroll_y > top  # the offset grew by the height of what was added
        assert [e.widget for e in messages.entries[messages.start : start]] == list(
            messages.children
        )[: start - messages.start]


async def test_new_conversation_keeps_only_the_system_prompt(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    app = make_app(server, db, system="Be brief.")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        chat = await finish_turn(pilot)
        first = app.session.conversation_id
        assert first is not None and chat.query(AssistantMessage)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.session.conversation_id is None
        assert app.session.messages == [{"role": "system", "content": "Be brief."}]
        assert not chat.query(AssistantMessage) and not chat.query(UserMessage)
        await send(pilot, "again")
        await finish_turn(pilot)
        assert app.session.conversation_id not in (None, first)
        assert [m["role"] for m in server.requests[-1]["messages"]] == ["system", "user"]


def test_every_chat_binding_has_its_action_as_id() -> None:
    ids = [binding.id for binding in ChatScreen.BINDINGS]  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids)
    for binding in ChatScreen.BINDINGS:
        action = binding.action.removeprefix("app.")  # type: ignore[union-attr]
        if "(" not in action:  # an action with arguments has an id of its own
            assert binding.id == action, binding  # type: ignore[union-attr]
