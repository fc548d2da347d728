"""Attachments in the app: `@path` in the prompt, chips in the conversation, refusals that
keep the prompt, a server that refuses images, a reopened conversation's chips, and the
versions of an edited prompt with files."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot

from tuichat.demo.replies import HTTPError, Scripted
from tuichat.demo.server import ChatServer
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.screens.file_picker import FilePicker, VisibleTree
from tuichat.ui.widgets.attachment_chip import AttachedPrompt, AttachmentChip
from tuichat.ui.widgets.chat_message import AssistantMessage, UserMessage

from ..session.test_attachments import tiny_png
from .conftest import AppFactory
from .pilot_helpers import Notices, finish_turn, press_while_streaming, shown_text, wait_until


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory `@path` is relative to."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


async def submit(pilot: Pilot[None], text: str) -> ChatScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    screen.prompt.load_text(text)
    await press_while_streaming(pilot, "enter")
    return screen


async def test_a_prompt_shows_its_files_as_chips_that_open_to_a_preview(
    make_app: AppFactory, server: ChatServer, workdir: Path
) -> None:
    (workdir / "notes.txt").write_text("line one\nline two\n")
    (workdir / "shot.png").write_bytes(tiny_png(640, 480))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "look at @notes.txt and @shot.png")
        screen = await finish_turn(pilot)
        assert shown_text(screen.query_one(UserMessage)) == "look at @notes.txt and @shot.png"
        chips = list(screen.query(AttachmentChip))
        assert [chip.title for chip in chips] == [
            "notes.txt · 18 B · text, 2 lines",
            "shot.png · 33 B · PNG image 640×480",
        ]
        assert all(chip.collapsed for chip in chips)
        await pilot.click(chips[0].query_one("CollapsibleTitle"))
        await pilot.pause()
        assert not chips[0].collapsed
        assert shown_text(chips[0].query_one(".chip-preview")) == "line one\nline two"
        assert screen.prompt.text == ""


async def test_a_binary_file_is_refused_and_the_prompt_stays(
    make_app: AppFactory, server: ChatServer, workdir: Path
) -> None:
    (workdir / "tool.bin").write_bytes(b"\x00\x01binary")
    notices = Notices()
    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        screen = await submit(pilot, "what is @tool.bin")
        await finish_turn(pilot)
        assert screen.prompt.text == "what is @tool.bin"
        assert not screen.query(UserMessage)
        assert any(m.startswith("tool.bin is not a text file") for m in notices.messages)
    assert server.requests == []


async def test_a_server_that_refuses_images_says_so_and_gives_the_prompt_back(
    make_app: AppFactory, server: ChatServer, workdir: Path
) -> None:
    (workdir / "cat.png").write_bytes(tiny_png())
    server.enqueue(HTTPError(400, "this model does not take images"), Scripted(text="A cat?"))
    notices = Notices()
    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        screen = await submit(pilot, "what is @cat.png")
        await finish_turn(pilot)
        await pilot.pause()
        refused = [m for m in notices.messages if m.startswith("The server refused")]
        assert len(refused) == 1
        assert "cat.png" in refused[0] and "this model does not take images" in refused[0]
        assert screen.prompt.text == "what is @cat.png" and screen.editing
        # Taking the image out and sending again replaces the refused prompt.
        screen.prompt.load_text("what is a cat")
        await press_while_streaming(pilot, "enter")
        await finish_turn(pilot)
        assert server.requests[-1]["messages"] == [{"role": "user", "content": "what is a cat"}]


async def test_a_reopened_conversation_shows_its_chips(
    make_app: AppFactory, server: ChatServer, workdir: Path, tmp_path: Path
) -> None:
    (workdir / "todo.md").write_text("- milk\n")
    db = tmp_path / "history.sqlite3"
    app = make_app(db=db)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "sort @todo.md")
        await finish_turn(pilot)
    (workdir / "todo.md").unlink()  # what was sent is in the history, not read again
    again = make_app(db=db, resume="last")
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = again.screen
        assert shown_text(screen.query_one(UserMessage)) == "sort @todo.md"
        assert [chip.title for chip in screen.query(AttachmentChip)] == [
            "todo.md · 7 B · text, 1 line"
        ]
        await pilot.press("ctrl+r")  # regenerate sends the file again
        await finish_turn(pilot)
        assert "- milk" in server.requests[-1]["messages"][-1]["content"]


async def test_tab_completes_an_at_path(
    make_app: AppFactory, server: ChatServer, workdir: Path
) -> None:
    (workdir / "notes.txt").write_text("n")
    (workdir / "my docs").mkdir()
    (workdir / "my docs" / "plan.md").write_text("p")
    (workdir / "report-2024.txt").write_text("r")
    (workdir / "report-2025.txt").write_text("r")
    notices = Notices()
    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=notices) as pilot:
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await pilot.press(*"read @no", "tab")
        assert screen.prompt.text == "read @notes.txt"
        await pilot.press(*" and @my", "tab")
        assert screen.prompt.text == 'read @notes.txt and @"my docs/"'
        await pilot.press("tab")  # inside the directory now: its one file
        assert screen.prompt.text == 'read @notes.txt and @"my docs/plan.md"'
        await pilot.press(*" @rep", "tab")
        assert screen.prompt.text.endswith(" @report-202")
        assert "report-2024.txt  report-2025.txt" in notices.messages
        assert screen.prompt.has_focus  # Tab completed; it did not move the focus


async def test_alt_a_picks_a_file_in_a_tree_and_writes_its_at_path(
    make_app: AppFactory, server: ChatServer, workdir: Path
) -> None:
    (workdir / "only file.txt").write_text("o")
    (workdir / ".hidden").write_text("h")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        await pilot.press(*"see")
        # As a terminal sends it (ESC a): a key that also carries the character "a", which
        # the prompt would type were the binding not checked first.
        app.post_message(events.Key("alt+a", "a"))
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, FilePicker)
        tree = picker.query_one(VisibleTree)
        await wait_until(pilot, lambda: len(tree.root.children) > 0)
        assert [str(node.label) for node in tree.root.children] == ["only file.txt"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen is chat
        assert chat.prompt.text == 'see @"only file.txt" '


def mark_under(prompt: AttachedPrompt) -> str:
    return shown_text(prompt.versions_view) if prompt.versions_view.display else ""


async def marks_read(pilot: Pilot[None]) -> None:
    """Wait until the turn or the step is done and the marks were read again."""
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()


async def test_an_edited_prompt_with_files_shows_and_steps_its_versions(
    make_app: AppFactory, server: ChatServer, workdir: Path, tmp_path: Path
) -> None:
    (workdir / "notes.txt").write_text("line one\n")
    server.enqueue(Scripted(text="One."), Scripted(text="Two."), Scripted(text="Three."))
    app = make_app(db=tmp_path / "history.sqlite3")
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "read @notes.txt")
        chat = await finish_turn(pilot)
        await marks_read(pilot)
        assert mark_under(chat.query_one(AttachedPrompt)) == ""  # no other version yet
        await pilot.press("ctrl+e", *" twice", "enter")
        await finish_turn(pilot)
        await marks_read(pilot)
        prompt = chat.query_one(AttachedPrompt)
        assert shown_text(prompt.query_one(UserMessage)) == "read @notes.txt twice"
        assert mark_under(prompt) == "< 2/2 >  ctrl+←/→ versions"
        await pilot.press("ctrl+left")
        await marks_read(pilot)
        prompt = chat.query_one(AttachedPrompt)
        assert shown_text(prompt.query_one(UserMessage)) == "read @notes.txt"
        assert mark_under(prompt) == "< 1/2 >  ctrl+←/→ versions"
        assert [c.title for c in prompt.query(AttachmentChip)] == ["notes.txt · 9 B · text, 1 line"]
        assert chat.query_one(AssistantMessage).body.text == "One."  # its answer follows
        await pilot.click(prompt.versions_view, offset=(6, 0))  # ">"
        await marks_read(pilot)
        prompt = chat.query_one(AttachedPrompt)
        assert shown_text(prompt.query_one(UserMessage)) == "read @notes.txt twice"
        assert chat.query_one(AssistantMessage).body.text == "Two."
        await submit(pilot, "and then?")
        await finish_turn(pilot)
    # The model got the branch shown, its file as it was sent.
    first = server.requests[1]["messages"][0]
    assert server.requests[-1]["messages"][0] == first
    assert first["content"].startswith("read @notes.txt twice\n\nnotes.txt\n")
