"""Branches in the app: stepping through the versions of a regenerated answer and of an
edited prompt, the tree of branches, the word diff, and `--continue` on the branch shown."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from tuichat.demo.replies import Scripted
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore
from tuichat.ui.app import TuichatApp
from tuichat.ui.screens.branches import BranchScreen, BranchTreeView, NodeInfo
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.history import ConversationList
from tuichat.ui.screens.version_diff import VersionDiff
from tuichat.ui.widgets.chat_message import AssistantMessage, UserMessage
from tuichat.ui.widgets.prompt import PromptInput

from .conftest import loopback_app
from .pilot_helpers import Notices, finish_turn, send, shown_text, wait_until

SIZE = (100, 34)


def make_app(server: ChatServer, db: Path, **options: object) -> TuichatApp:
    return loopback_app(server, db=db, **options)


def answers(chat: ChatScreen) -> list[str]:
    return [answer.body.text for answer in chat.query(AssistantMessage)]


def prompts(chat: ChatScreen) -> list[str]:
    return [prompt.text for prompt in chat.query(UserMessage)]


def mark_of(widget: AssistantMessage | UserMessage) -> str:
    """The version mark under a message, as shown ("" when it has none)."""
    if isinstance(widget, AssistantMessage):
        return shown_text(widget.versions_view) if widget.versions_view.display else ""
    lines = shown_text(widget).splitlines()
    return lines[-1] if widget.versions is not None else ""


def sent(server: ChatServer) -> list[str]:
    """The contents of the messages of the last request the model got."""
    return [str(m["content"]) for m in server.requests[-1]["messages"]]


async def versions_refreshed(pilot: Pilot[None], chat: ChatScreen) -> None:
    """Wait until a step is done and the marks were read again from the history."""
    await pilot.pause()
    await chat.app.workers.wait_for_complete()
    await pilot.pause()
    await chat.app.workers.wait_for_complete()


async def regenerated(pilot: Pilot[None]) -> ChatScreen:
    """hello -> the first reply queued, then Ctrl+R -> the second."""
    await send(pilot, "hello")
    await finish_turn(pilot)
    await pilot.press("ctrl+r")
    chat = await finish_turn(pilot)
    await versions_refreshed(pilot, chat)
    return chat


def tree_infos(screen: BranchScreen) -> list[NodeInfo]:
    """What each node of the branch tree shows, top to bottom."""
    infos: list[NodeInfo] = []
    stack = list(reversed(screen.query_one(BranchTreeView).root.children))
    while stack:
        node = stack.pop()
        if node.data is not None:
            infos.append(node.data)
        stack.extend(reversed(node.children))
    return infos


async def test_stepping_through_regenerated_answers_and_continuing_from_an_older_one(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(
        Scripted(text="First answer."),
        Scripted(text="Second answer."),
        Scripted(text="Going on from the first."),
    )
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        answer = chat.query_one(AssistantMessage)
        assert answers(chat) == ["Second answer."]
        assert mark_of(answer).startswith("< 2/2 >")
        await pilot.press("ctrl+left")  # the prompt is empty: the keys step the versions
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["First answer."]
        assert mark_of(chat.query_one(AssistantMessage)).startswith("< 1/2 >")
        assert [m["content"] for m in app.session.messages] == ["hello", "First answer."]
        await pilot.press("ctrl+right")
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["Second answer."]
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        # The next prompt continues the version shown: the model gets the first answer.
        await send(pilot, "go on")
        await finish_turn(pilot)
        assert sent(server) == ["hello", "First answer.", "go on"]
        assert answers(chat) == ["First answer.", "Going on from the first."]
        cid = app.session.conversation_id
        kept = list(app.session.messages)
        # Stepping to the other answer drops what followed the first; back, it is there.
        await versions_refreshed(pilot, chat)
        await pilot.press("ctrl+right")
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["Second answer."] and prompts(chat) == ["hello"]
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        assert prompts(chat) == ["hello", "go on"]
        assert answers(chat) == ["First answer.", "Going on from the first."]
    assert cid is not None
    with HistoryStore(db) as store:  # the history holds exactly what was shown last
        assert store.load_messages(cid) == kept


async def test_with_text_in_the_prompt_ctrl_left_moves_by_words(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="First answer."), Scripted(text="Second answer."))
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        await pilot.press(*"two words", "ctrl+left", "X")
        assert chat.query_one(PromptInput).text == "two Xwords"
        assert answers(chat) == ["Second answer."]  # no step


async def test_an_edited_prompt_steps_back_with_its_answer_and_the_model_gets_that_branch(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(
        Scripted(text="One."),
        Scripted(text="Two."),
        Scripted(text="Two, again."),
        Scripted(text="Three."),
    )
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")
        await finish_turn(pilot)
        await send(pilot, "secnd")
        chat = await finish_turn(pilot)
        await pilot.press("ctrl+e", "left", "left", "o", "enter")  # "second"
        await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        assert prompts(chat) == ["first", "second"]
        edited = chat.query(UserMessage).last()
        assert mark_of(edited).startswith("< 2/2 >")
        assert mark_of(chat.query(AssistantMessage).last()) == ""  # one answer to it
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        assert prompts(chat) == ["first", "secnd"]
        assert answers(chat) == ["One.", "Two."]  # the conversation below follows
        assert mark_of(chat.query(UserMessage).last()).startswith("< 1/2 >")
        await send(pilot, "third")
        await finish_turn(pilot)
        assert sent(server) == ["first", "One.", "secnd", "Two.", "third"]
        cid = app.session.conversation_id
        kept = list(app.session.messages)
    assert cid is not None
    with HistoryStore(db) as store:
        assert store.load_messages(cid) == kept


async def test_a_click_on_the_arrows_of_a_mark_steps_the_versions(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="First answer."), Scripted(text="Second answer."))
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        mark = chat.query_one(AssistantMessage).versions_view
        await pilot.click(mark, offset=(0, 0))  # "<"
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["First answer."]
        mark = chat.query_one(AssistantMessage).versions_view
        assert shown_text(mark).startswith("< 1/2 >")
        await pilot.click(mark, offset=(6, 0))  # ">"
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["Second answer."]


async def test_ctrl_up_and_down_select_which_message_the_keys_step(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(
        Scripted(text="A1."),
        Scripted(text="A1 again."),
        Scripted(text="A2."),
        Scripted(text="A2 again."),
    )
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await regenerated(pilot)
        await send(pilot, "more")
        await finish_turn(pilot)
        await pilot.press("ctrl+r")
        chat = await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        first, second = chat.query(AssistantMessage)
        assert "ctrl+" in mark_of(second) and "ctrl+" not in mark_of(first)  # the last
        await pilot.press("ctrl+up")
        assert "ctrl+" in mark_of(first) and "ctrl+" not in mark_of(second)
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["A1."]  # the first answer stepped; what followed it went
        assert prompts(chat) == ["hello"]


async def test_the_branch_tree_opens_a_branch_and_continues_from_a_message(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(
        Scripted(text="First answer."),
        Scripted(text="Second answer."),
        Scripted(text="After the first answer."),
    )
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        await pilot.press("f8")
        screen = app.screen
        assert isinstance(screen, BranchScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = screen.query_one(BranchTreeView)
        infos = tree_infos(screen)
        assert [(i.role, i.preview, i.place, i.branch, i.shown) for i in infos] == [
            ("user", "hello", None, None, True),
            ("assistant", "First answer.", (1, 2), 1, False),
            ("assistant", "Second answer.", (2, 2), 2, True),
        ]
        assert view.cursor_node is not None and view.cursor_node.data == infos[2]
        rendered = view.render_label(view.cursor_node, view.rich_style, view.rich_style).plain
        assert "2/2" in rendered and "branch 2 · shown" in rendered
        await pilot.press("up", "enter")  # open branch 1
        await versions_refreshed(pilot, chat)
        assert app.screen is chat
        assert answers(chat) == ["First answer."]
        # "c" on the prompt: the conversation ends there; the next prompt goes on from it.
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("up", "c")
        await versions_refreshed(pilot, chat)
        assert answers(chat) == [] and prompts(chat) == ["hello"]
        await pilot.press("ctrl+r")  # an answer to it: a third version
        await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        assert sent(server) == ["hello"]
        assert mark_of(chat.query_one(AssistantMessage)).startswith("< 3/3 >")


async def test_the_conversation_list_counts_branches_and_opens_the_tree(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(Scripted(text="First answer."), Scripted(text="Second answer."))
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        await chat.new_conversation()
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        listing = app.screen
        assert isinstance(listing, ConversationList)
        option = listing.options.get_option_at_index(0)
        assert "2 branches" in str(option.prompt)
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tree = app.screen
        assert isinstance(tree, BranchScreen)
        assert [(i.preview, i.branch) for i in tree_infos(tree)][1:] == [
            ("First answer.", 1),
            ("Second answer.", 2),
        ]
        await pilot.press("up", "enter")  # branch 1 of that conversation, opened here
        await versions_refreshed(pilot, chat)
        assert app.screen is chat
        assert answers(chat) == ["First answer."]
        assert mark_of(chat.query_one(AssistantMessage)).startswith("< 1/2 >")


async def test_two_answers_compare_as_a_word_diff_shown_literally(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(
        Scripted(text="The cat sat on [bold]the[/bold] mat."),
        Scripted(text="The dog sat on [bold]the[/bold] red mat."),
    )
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        await pilot.press("alt+d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        diff = app.screen
        assert isinstance(diff, VersionDiff)
        text = diff.query_one("#diff-text", Static)
        content = text.visual
        plain = str(content)
        assert "The catdog sat on [bold]the[/bold] red mat." in plain  # literal, not markup
        styled = {plain[s.start : s.end]: str(s.style) for s in content.spans}  # type: ignore[attr-defined]
        assert "strike" in styled["cat"] and "underline" in styled["dog"]
        assert "underline" in styled["red "]
        title = str(diff.query_one("#diff-title", Static).visual)
        assert "version 1" in title and "version 2" in title and "shown" in title
        await pilot.press("escape")
        assert app.screen is chat
        # The mark's "diff" opens it too.
        mark = chat.query_one(AssistantMessage).versions_view
        await pilot.click(mark, offset=(len("< 2/2 >  "), 0))
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, VersionDiff)


async def test_continue_reopens_the_branch_shown_last(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(
        Scripted(text="First answer."),
        Scripted(text="Second answer."),
        Scripted(text="Continued."),
    )
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["First answer."]
    again = make_app(server, db, resume="last")
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(again.screen.query(AssistantMessage)))
        chat = again.screen
        assert isinstance(chat, ChatScreen)
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["First answer."]
        assert mark_of(chat.query_one(AssistantMessage)).startswith("< 1/2 >")
        await send(pilot, "and then?")
        await finish_turn(pilot)
        assert sent(server) == ["hello", "First answer.", "and then?"]


async def test_stepping_needs_a_message_with_versions(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(Scripted(text="Only answer."))
    notices = Notices()
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE, message_hook=notices) as pilot:
        await send(pilot, "hello")
        chat = await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        assert mark_of(chat.query_one(AssistantMessage)) == ""
        await pilot.press("ctrl+left")
        await pilot.pause()
        assert any("other versions" in message for message in notices.messages)
        assert answers(chat) == ["Only answer."]


async def test_an_answer_kept_beside_the_one_shown_is_a_version_to_step_to(
    server: ChatServer, tmp_path: Path
) -> None:
    """What Compare does with the answers not kept: `ChatSession.add_sibling_answer`."""
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="From the model used."), Scripted(text="Next."))
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        chat = await finish_turn(pilot)
        other = {
            "role": "assistant",
            "content": "From another model.",
            "reasoning": None,
            "finish_reason": "stop",
            "usage": None,
        }
        ids = await app.session.add_sibling_answer([other], model="model-b")
        assert len(ids) == 1
        assert [m["content"] for m in app.session.messages] == ["hello", "From the model used."]
        chat.refresh_versions()
        await versions_refreshed(pilot, chat)
        assert mark_of(chat.query_one(AssistantMessage)).startswith("< 1/2 >")
        await pilot.press("ctrl+right")
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["From another model."]
        await send(pilot, "go on")
        await finish_turn(pilot)
        assert sent(server) == ["hello", "From another model.", "go on"]


def long_answer(label: str) -> str:
    lines = "\n".join(f"- line {i} of the {label} answer" for i in range(12))
    return f"The {label} answer.\n\n{lines}"


async def test_stepping_keeps_the_message_where_it_was_on_screen(
    server: ChatServer, tmp_path: Path
) -> None:
    server.enqueue(
        Scripted(text=long_answer("first")),
        Scripted(text=long_answer("second")),
        Scripted(text=long_answer("third")),
        Scripted(text=long_answer("fourth")),
    )
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "one")
        await finish_turn(pilot)
        await send(pilot, "two")
        await finish_turn(pilot)
        await send(pilot, "three")
        await finish_turn(pilot)
        await pilot.press("ctrl+r")
        chat = await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        last = chat.query(AssistantMessage).last()
        assert chat.messages.max_scroll_y > 0  # the conversation is longer than the view
        row = last.region.y
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        await pilot.pause()
        shown = chat.query(AssistantMessage).last()
        assert shown is not last and shown.body.text.startswith("The third answer.")
        assert shown.region.y == row


async def test_a_session_that_does_not_save_does_not_step_away_from_unsaved_turns(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(
        Scripted(text="First answer."), Scripted(text="Second answer."), Scripted(text="Unsaved.")
    )
    app = make_app(server, db)
    async with app.run_test(size=SIZE) as pilot:
        await regenerated(pilot)
    notices = Notices()
    again = make_app(server, db, resume="last", save=False)
    async with again.run_test(size=SIZE, message_hook=notices) as pilot:
        await wait_until(pilot, lambda: bool(again.screen.query(AssistantMessage)))
        await send(pilot, "not saved")
        chat = await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        await pilot.press("ctrl+left")
        await versions_refreshed(pilot, chat)
        assert any("would lose it" in message for message in notices.messages)
        assert answers(chat) == ["Second answer.", "Unsaved."]
        assert len(again.session.messages) == 4


async def test_the_diff_moves_between_pairs_of_versions(server: ChatServer, tmp_path: Path) -> None:
    server.enqueue(Scripted(text="one"), Scripted(text="two"), Scripted(text="three"))
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        chat = await regenerated(pilot)
        await pilot.press("ctrl+r")
        await finish_turn(pilot)
        await versions_refreshed(pilot, chat)
        await pilot.press("alt+d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        diff = app.screen
        assert isinstance(diff, VersionDiff)

        def shown() -> tuple[str, str]:
            title = str(diff.query_one("#diff-title", Static).visual)
            return title.split("  of the")[0], str(diff.query_one("#diff-text", Static).visual)

        title, text = shown()
        assert title.startswith("Compare version 2") and "→ version 3" in title
        assert text.endswith("twothree")
        await pilot.press("left")
        await app.workers.wait_for_complete()
        await pilot.pause()
        title, text = shown()
        assert title.startswith("Compare version 1") and text.endswith("onetwo")
        await pilot.press("left")  # there is no pair before the first
        await app.workers.wait_for_complete()
        assert shown()[0].startswith("Compare version 1")


async def test_stepping_to_a_longer_version_keeps_its_mark_in_view(
    server: ChatServer, tmp_path: Path
) -> None:
    long = "\n\n".join(f"Paragraph {n} of the long answer." for n in range(30))
    server.enqueue(Scripted(text="Short."), Scripted(text=long))
    app = make_app(server, tmp_path / "history.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await regenerated(pilot)
        await pilot.press("ctrl+left")  # to the short one, at the bottom of the view
        await versions_refreshed(pilot, chat)
        assert answers(chat) == ["Short."]
        budget = str(chat.prompt.border_subtitle)  # what the next request sends: it
        await pilot.press("ctrl+right")  # the long one: its mark is far below its top
        await versions_refreshed(pilot, chat)
        await pilot.pause()
        assert str(chat.prompt.border_subtitle) != budget  # counts the version shown now
        shown = chat.query(AssistantMessage).last()
        assert shown.body.text == long
        mark = shown.versions_view
        assert mark.region.height and chat.messages.region.contains_region(mark.region)
        assert mark_of(shown).startswith("< 2/2 >")
