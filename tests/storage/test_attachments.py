"""Attachments in the history: images stored once by content hash, the messages as sent
after reopening, exports, search, and the recall of what was typed."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

from tuichat.config.settings import AttachmentSettings, Settings
from tuichat.demo.server import ChatServer
from tuichat.session.attachments import collect
from tuichat.session.builder import build_session
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession
from tuichat.storage.db import schema_version
from tuichat.storage.export import export_conversation
from tuichat.storage.migrations import current_version
from tuichat.storage.store import HistoryStore

from ..session.test_attachments import tiny_png


def saving_session(server: ChatServer, db: Path) -> ChatSession:
    options = SessionOptions(
        base_url=server.base_url, model="m", max_retries=0, tools=False, history=True, db=db
    )
    return build_session(Settings(), options, {})


async def chat_with_files(server: ChatServer, tmp_path: Path) -> tuple[Path, ChatSession]:
    (tmp_path / "recipe.txt").write_text("Whisk the zabaglione slowly.\n")
    (tmp_path / "cake.png").write_bytes(tiny_png(32, 24))
    db = tmp_path / "history.sqlite3"
    session = saving_session(server, db)
    await session.open_history()
    try:
        for text in ("bake @recipe.txt like @cake.png", "and again @cake.png"):
            async for _ in session.send(text, collect(text, tmp_path, AttachmentSettings())):
                pass
    finally:
        await session.aclose()
    return db, session


async def test_an_image_sent_twice_is_stored_once_and_reopens_as_sent(
    server: ChatServer, tmp_path: Path
) -> None:
    db, session = await chat_with_files(server, tmp_path)
    assert schema_version(db) == current_version()
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*), sum(size) FROM attachments").fetchone() == (1, 33)
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
