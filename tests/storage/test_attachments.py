"""Attachments in the history: files stored once by content hash (images and text files), the
messages as sent after reopening, exports, search in the files, the recall of what was typed,
and a version-5 file (text files inside the prompts' text) brought to version 6."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest

from tuichat.config.settings import AttachmentSettings, Settings
from tuichat.demo.server import ChatServer
from tuichat.session.attachments import Attachment, collect, user_message
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession
from tuichat.storage import attachment_store, migrations
from tuichat.storage.db import schema_version
from tuichat.storage.export import export_conversation
from tuichat.storage.migrations import current_version
from tuichat.storage.rows import Message
from tuichat.storage.store import HistoryStore

from ..session.test_attachments import tiny_png


def saving_session(server: ChatServer, db: Path) -> ChatSession:
    options = SessionOptions(
        base_url=server.base_url, model="m", max_retries=0, tools=False, history=True, db=db
    )
    return build_session(Settings(), options, {})


async def saved_chat(
    server: ChatServer, tmp_path: Path, prompts: list[str]
) -> tuple[Path, ChatSession]:
    """The prompts sent (their `@path`s from `tmp_path`) and saved in a new history."""
    db = tmp_path / "history.sqlite3"
    session = saving_session(server, db)
    await session.open_history()
    try:
        for text in prompts:
            async for _ in session.send(text, collect(text, tmp_path, AttachmentSettings())):
                pass
    finally:
        await session.aclose()
    return db, session


async def chat_with_files(server: ChatServer, tmp_path: Path) -> tuple[Path, ChatSession]:
    (tmp_path / "recipe.txt").write_text("Whisk the zabaglione slowly.\n")
    (tmp_path / "cake.png").write_bytes(tiny_png(32, 24))
    return await saved_chat(
        server, tmp_path, ["bake @recipe.txt like @cake.png", "and again @cake.png"]
    )


async def test_an_image_sent_twice_is_stored_once_and_reopens_as_sent(
    server: ChatServer, tmp_path: Path
) -> None:
    db, session = await chat_with_files(server, tmp_path)
    assert schema_version(db) == current_version()
    with sqlite3.connect(db) as raw:
        stored = raw.execute("SELECT mime, size FROM attachments ORDER BY mime").fetchall()
        assert stored == [("image/png", 33), ("text/plain", 29)]
        extras = [row[0] for row in raw.execute("SELECT extra FROM messages WHERE role='user'")]
    encoded = base64.b64encode(tiny_png(32, 24)).decode()
    assert all(encoded not in extra for extra in extras)
    store = HistoryStore(db)
    try:
        [summary] = store.list_conversations()
        assert store.load_messages(summary.id) == session.messages
        assert store.recent_prompts() == ["and again @cake.png", "bake @recipe.txt like @cake.png"]
        hits = store.search("zabaglione")
        first_prompt = store.message_rows(summary.id)[0]
        assert first_prompt.message["typed"] == "bake @recipe.txt like @cake.png"
        assert [hit.message_id for hit in hits if hit.role == "user"] == [first_prompt.id]
        markdown = export_conversation(store, summary.id, "md")
        as_json = json.loads(export_conversation(store, summary.id, "json"))
    finally:
        store.close()
    assert "recipe.txt\n```text\nWhisk the zabaglione slowly.\n```" in markdown
    assert "*Image attached: `cake.png` (image/png, 32×24)*" in markdown
    assert as_json["messages"][0]["content"] == server.requests[0]["messages"][0]["content"]


RECIPE = "Whisk the zabaglione slowly.\n"
NOTES = "Mascarpone, no new line at the end"


def write_files(tmp_path: Path) -> None:
    (tmp_path / "recipe.txt").write_text(RECIPE)
    (tmp_path / "notes.md").write_text(NOTES)
    (tmp_path / "cake.png").write_bytes(tiny_png(32, 24))


def user_rows(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as raw:
        return raw.execute(
            "SELECT content, extra FROM messages WHERE role = 'user' ORDER BY id"
        ).fetchall()


def fts_is_sound(db: Path) -> None:
    """The search index matches what it indexes (FTS5 checks every row against the view)."""
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")


async def test_a_text_file_sent_in_many_prompts_is_stored_once_and_reopens_byte_for_byte(
    server: ChatServer, tmp_path: Path
) -> None:
    write_files(tmp_path)
    prompts = ["read @recipe.txt", "again @recipe.txt and @notes.md", "and @recipe.txt @cake.png"]
    db, _ = await saved_chat(server, tmp_path, prompts)
    sent = [request["messages"][-1] for request in server.requests]
    with sqlite3.connect(db) as raw:
        stored = raw.execute("SELECT mime, size FROM attachments ORDER BY size").fetchall()
    assert stored == [("text/plain", 29), ("image/png", 33), ("text/plain", 34)]
    rows = user_rows(db)
    assert [content for content, _ in rows] == prompts  # the files are out of the text
    assert all("zabaglione" not in (extra or "") for _, extra in rows)
    # Reopened (the files gone from the disk), the conversation sends what it sent.
    for name in ("recipe.txt", "notes.md", "cake.png"):
        (tmp_path / name).unlink()
    again = build_session(
        Settings(),
        SessionOptions(
            base_url=server.base_url, model="m", max_retries=0, tools=False, db=db, resume="last"
        ),
        {},
    )
    await again.open_history()
    try:
        await again.reopen("last")
        async for _ in again.send("thanks"):
            pass
        turn = again.regenerate()
        assert turn is not None
        async for _ in turn:
            pass
    finally:
        await again.aclose()
    for request in server.requests[-2:]:
        prompts_sent = [m for m in request["messages"] if m["role"] == "user"]
        assert prompts_sent[:-1] == sent
        assert json.dumps(prompts_sent[:-1]) == json.dumps(sent)  # the same bytes
    assert sent[1]["content"].endswith("notes.md\n```markdown\n" + NOTES + "\n```")
    fts_is_sound(db)


async def test_search_finds_a_word_of_an_attached_file_in_the_prompt_that_attached_it(
    server: ChatServer, tmp_path: Path
) -> None:
    write_files(tmp_path)
    prompts = ["read @recipe.txt", "what about mascarpone?", "and @notes.md"]
    db, _ = await saved_chat(server, tmp_path, prompts)
    with HistoryStore(db) as store:
        [summary] = store.list_conversations()
        assert summary.title == "read @recipe.txt"  # what was typed, not the file
        prompts = [row for row in store.message_rows(summary.id) if row.message["role"] == "user"]
        [hit] = [h for h in store.search("zabaglione") if h.role == "user"]
        assert (hit.message_id, hit.role) == (prompts[0].id, "user")
        assert "[zabaglione]" in hit.snippet and "recipe.txt" in hit.snippet
        found = [h.message_id for h in store.search("mascarpone") if h.role == "user"]
        assert sorted(found) == [prompts[1].id, prompts[2].id]  # typed, and in a file
        assert [h.message_id for h in store.search("recipe") if h.role == "user"] == [
            prompts[0].id
        ]  # the file's name
        # A prompt edited away is no result; the index follows the edit.
        store.replace_last_answer(summary.id, include_prompt=True)
        assert [h.message_id for h in store.search("mascarpone") if h.role == "user"] == [
            prompts[1].id
        ]
        store.delete(summary.id)
        assert store.search("zabaglione") == store.search("mascarpone") == []
    fts_is_sound(db)


def test_a_prompt_whose_blocks_are_not_as_its_summaries_say_keeps_its_text(
    tmp_path: Path,
) -> None:
    message = user_message("see @a.txt", [Attachment("a.txt", "text", "text/plain", b"alpha\n")])
    message["content"] += " (edited by hand)"
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation(messages=[message])
        assert store.load_messages(cid) == [message]
        assert [h.message_id for h in store.search("alpha")] != []
    assert user_rows(tmp_path / "h.sqlite3")[0][0] == message["content"]
    fts_is_sound(tmp_path / "h.sqlite3")


def answer(text: str) -> Message:
    return {
        "role": "assistant",
        "content": text,
        "reasoning": None,
        "finish_reason": None,
        "usage": None,
    }


def version_5_file(path: Path, messages: list[Message], monkeypatch: pytest.MonkeyPatch) -> int:
    """A file as version 5 wrote it: images stored once, text files inside the prompt's text."""
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
    monkeypatch.setattr(attachment_store, "stash_text_files", lambda connection, message: message)
    with HistoryStore(path) as store:
        conversation_id = store.create_conversation(model="m", messages=messages)
    monkeypatch.undo()
    assert schema_version(path) == 5
    return conversation_id


def test_a_version_5_file_moves_its_text_files_out_of_the_prompts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = Attachment("recipe.txt", "text", "text/plain", RECIPE.encode())
    notes = Attachment("notes.md", "text", "text/plain", NOTES.encode())
    cake = Attachment("cake.png", "image", "image/png", tiny_png(32, 24))
    hand_made = user_message("see @recipe.txt", [recipe])
    hand_made["content"] = hand_made["content"].replace("slowly", "gently")  # not its hash
    messages = [
        {"role": "user", "content": "hello there"},
        answer("Hi!"),
        user_message("bake @recipe.txt like @cake.png", [recipe, cake]),
        answer("Done."),
        user_message("and @recipe.txt @notes.md", [recipe, notes]),
        hand_made,
    ]
    path = tmp_path / "history.sqlite3"
    cid = version_5_file(path, messages, monkeypatch)
    before = user_rows(path)
    assert all("zabaglione" in (content or "") for content, _ in before[1:])
    with HistoryStore(path) as store:  # opening it migrates it
        assert store.load_messages(cid) == messages
        prompts = [row for row in store.message_rows(cid) if row.message["role"] == "user"]
        found = {h.message_id for h in store.search("zabaglione")}
        assert found == {prompts[1].id, prompts[2].id, prompts[3].id}
        assert [h.message_id for h in store.search("mascarpone")] == [prompts[2].id]
        markdown = export_conversation(store, cid, "md")
        # Written after the migration: stored the same way.
        store.add_message(cid, user_message("once more @notes.md", [notes]))
        assert len(store.search("mascarpone")) == 2
    assert schema_version(path) == current_version()
    after = user_rows(path)
    assert [content for content, _ in after] == [
        "hello there",
        "bake @recipe.txt like @cake.png",
        "and @recipe.txt @notes.md",
        hand_made["content"],  # kept as it was
        "once more @notes.md",
    ]
    assert after[0] == before[0]  # no attachments: not touched
    with sqlite3.connect(path) as raw:
        stored = raw.execute("SELECT mime, size FROM attachments ORDER BY size").fetchall()
    assert stored == [("text/plain", 29), ("image/png", 33), ("text/plain", 34)]
    assert "recipe.txt\n```text\n" + RECIPE + "```" in markdown
    fts_is_sound(path)
