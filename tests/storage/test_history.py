"""The history store: exact round trips of real turns, listing, branches, search, the worker
thread."""

from __future__ import annotations

import asyncio
import functools
import threading
from pathlib import Path
from typing import Any

import pytest

from tuichat.core.client import ChatClient
from tuichat.core.events import RawChunk, RequestSent
from tuichat.core.provider import Provider
from tuichat.demo.replies import DropAfter, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.session.conversation import Conversation
from tuichat.session.recorder import TurnRecorder
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.rows import make_title
from tuichat.storage.store import HistoryStore
from tuichat.tools.registry import default_registry

SECRET_KEY = "sk-test-0123456789abcdefSECRETkey"


def make_conversation(server: ChatServer, **kwargs: Any) -> Conversation:
    provider = Provider(
        base_url=server.base_url, model="m", api_key=SECRET_KEY, max_retries=0, timeout=10
    )
    return Conversation(ChatClient(provider), default_registry(), **kwargs)


async def recorded_turn(
    history: AsyncHistory, conversation: Conversation, conversation_id: int, text: str
) -> tuple[TurnRecorder, list[RawChunk]]:
    """Run one turn through a recorder, as the app does."""
    recorder = TurnRecorder(
        history, conversation_id, conversation.messages, model="m", provider="test"
    )
    raw: list[RawChunk] = []
    recorder.start_turn(text)
    try:
        async for batch in conversation.send(text):
            recorder.observe(batch)
            raw += [event for event in batch if isinstance(event, RawChunk)]
    finally:
        recorder.end()
    assert await recorder.flush() is None
    return recorder, raw


async def test_a_tool_using_turn_reloads_exactly(server: ChatServer, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    server.enqueue(
        Scripted(
            reasoning="The user wants two clocks.",
            tool_calls=[
                ToolCall("get_current_time", {"timezone": "Asia/Seoul"}, id="call_a"),
                ToolCall("get_current_time", {"timezone": "America/New_York"}, id="call_b"),
            ],
        ),
        Scripted(text="In Seoul it is late; in **New York** it is early."),
    )
    conversation = make_conversation(server, system_prompt="Be brief.")
    history = await AsyncHistory.open(path)
    conversation_id = await history.create_conversation(
        model="m", provider="test", messages=conversation.messages
    )
    _, raw = await recorded_turn(
        history, conversation, conversation_id, "time in Seoul and New York?"
    )
    await conversation.client.aclose()

    loaded = await history.load_messages(conversation_id)
    assert [m["role"] for m in loaded] == [
        "system",
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
    ]
    assert loaded == conversation.messages
    assert loaded[2]["tool_calls"][1]["function"]["arguments"] == '{"timezone": "America/New_York"}'
    assert (
        loaded[2]["reasoning"] == "The user wants two clocks."
        and loaded[2]["usage"]["total_tokens"] > 0
    )
    reloaded = Conversation(conversation.client, messages=loaded)
    assert reloaded.wire_messages() == conversation.wire_messages()

    # The raw chunks of both answers were kept, compressed, exactly as they arrived.
    rows = await history.message_rows(conversation_id)
    answers = [row for row in rows if row.message["role"] == "assistant"]
    stored = [await history.load_raw_chunks(row.id) for row in answers]
    chunks = [r for r in stored[0] + stored[1] if isinstance(r, RawChunk)]
    assert chunks == [RawChunk(c.data, round(c.offset, 6), c.whole_response) for c in raw]
    assert chunks[-1].data == "[DONE]"
    # Each answer starts with the request that asked for it, as the inspector showed it.
    requests = [r for r in stored[0] + stored[1] if isinstance(r, RequestSent)]
    assert [type(answer[0]) for answer in stored] == [RequestSent, RequestSent]
    assert [len(r.request["body"]["messages"]) for r in requests] == [2, 5]
    assert all(row.status == "complete" and row.model == "m" for row in answers)
    await history.aclose()

    with HistoryStore(path) as store:  # a new process sees the same
        assert store.load_messages(conversation_id) == conversation.messages
        assert store.system_prompt(conversation_id) == "Be brief."


async def test_failed_and_cancelled_answers_reload_as_they_were_kept(
    server: ChatServer, tmp_path: Path
) -> None:
    conversation = make_conversation(server)
    history = await AsyncHistory.open(tmp_path / "h.sqlite3")
    conversation_id = await history.create_conversation(messages=conversation.messages)

    server.enqueue(DropAfter(text="partial words before the drop", after=3))
    await recorded_turn(history, conversation, conversation_id, "first")
    assert conversation.messages[-1]["error"]["kind"] == "connection"

    server.enqueue(Slow("one two three four five six seven eight nine ten", tokens_per_second=20))
    recorder = TurnRecorder(history, conversation_id, conversation.messages)
    recorder.start_turn("second")
    seen: list[str] = []

    async def consume() -> None:
        try:
            async for batch in conversation.send("second"):
                recorder.observe(batch)
                seen.extend(
                    getattr(e, "text", "") for e in batch if type(e).__name__ == "TextDelta"
                )
        finally:
            recorder.end()

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await recorder.flush() is None
    await conversation.client.aclose()

    assert conversation.messages[-1]["cancelled"] is True
    assert await history.load_messages(conversation_id) == conversation.messages
    statuses = [row.status for row in await history.message_rows(conversation_id)]
    assert statuses == ["complete", "failed", "complete", "cancelled"]
    await history.aclose()


async def test_the_api_key_is_nowhere_in_the_database_files(
    server: ChatServer, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    conversation = make_conversation(server)
    history = await AsyncHistory.open(path)
    conversation_id = await history.create_conversation(messages=conversation.messages)
    await recorded_turn(history, conversation, conversation_id, "what time is it in Seoul?")
    await conversation.client.aclose()
    assert server.request_headers[0]["authorization"] == f"Bearer {SECRET_KEY}"  # it was used
    files = sorted(tmp_path.glob("history.sqlite3*"))
    assert path in files
    for file in files:  # the database and, while open, its WAL
        assert SECRET_KEY.encode() not in file.read_bytes()
        assert b"SECRETkey" not in file.read_bytes()
    await history.aclose()
    assert SECRET_KEY.encode() not in path.read_bytes()
    # Nor inside the compressed raw records (the saved request included).
    import sqlite3
    import zlib

    with sqlite3.connect(path) as db:
        blobs = [zlib.decompress(row[0]) for row in db.execute("SELECT data FROM raw_chunks")]
    assert blobs and all(b"SECRETkey" not in blob for blob in blobs)
    assert any(b'"request"' in blob and b"redacted" in blob for blob in blobs)


def test_list_titles_rename_counts_and_newest_first(tmp_path: Path) -> None:
    now = [1000.0]
    store = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: now[0])
    first = store.create_conversation(model="a", messages=[{"role": "system", "content": "sys"}])
    store.add_message(
        first, {"role": "user", "content": "  Explain\n\nthe  TCP handshake " + "x" * 200}
    )
    now[0] += 10
    second = store.create_conversation(model="b")
    store.add_message(second, {"role": "user", "content": "hello"})
    store.add_message(
        second, {"role": "assistant", "content": "hi", "finish_reason": "stop"}, model="b2"
    )
    listed = store.list_conversations()
    assert [c.id for c in listed] == [second, first]
    assert listed[0].title == "hello" and listed[0].message_count == 2 and listed[0].model == "b2"
    title = listed[1].title
    assert (
        title.startswith("Explain the TCP handshake x") and title.endswith("…") and len(title) == 80
    )
    assert listed[1].message_count == 1  # the system prompt is not counted

    now[0] += 10
    store.add_message(first, {"role": "user", "content": "and UDP?"})
    assert store.last_conversation_id() == first  # the most recently updated
    store.rename(first, "  Networking   notes ")
    renamed = store.get_conversation(first)
    assert renamed is not None and renamed.title == "Networking notes" and renamed.renamed
    store.rename(first, None)
    assert store.get_conversation(first).title.startswith("Explain")  # type: ignore[union-attr]
    assert store.list_conversations(limit=1)[0].id == first
    assert store.get_conversation(12345) is None
    assert make_title("") == "New conversation"
    store.close()


def test_delete_removes_messages_chunks_and_search_entries(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    keep = store.create_conversation()
    store.add_message(keep, {"role": "user", "content": "platypus facts"})
    gone = store.create_conversation()
    store.add_message(gone, {"role": "user", "content": "platypus recipes"})
    answer = store.start_answer(gone)
    store.finish_answer(
        answer,
        {"role": "assistant", "content": "No.", "finish_reason": "stop"},
        raw_chunks=[RawChunk('{"choices":[]}', 0.1), RawChunk("[DONE]", 0.2)],
    )
    assert len(store.load_raw_chunks(answer)) == 2
    assert {r.conversation_id for r in store.search("platypus")} == {keep, gone}
    assert store.delete(gone) is True
    assert store.delete(gone) is False
    assert [r.conversation_id for r in store.search("platypus")] == [keep]
    assert store.load_messages(gone) == [] and store.load_raw_chunks(answer) == []
    assert [c.id for c in store.list_conversations()] == [keep]
    store.close()


def test_recent_prompts_are_newest_first_without_repeats(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    one, two = store.create_conversation(), store.create_conversation()
    for conversation_id, text in [(one, "a"), (two, "b"), (one, "c"), (two, "a")]:
        store.add_message(conversation_id, {"role": "user", "content": text})
        store.add_message(conversation_id, {"role": "assistant", "content": "ok"})
    assert store.recent_prompts() == ["a", "c", "b"]
    assert store.recent_prompts(limit=2) == ["a", "c"]
    store.close()


def test_regenerate_keeps_the_replaced_answer_as_a_branch(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conversation_id = store.create_conversation()
    prompt = store.add_message(conversation_id, {"role": "user", "content": "time?"})
    calls = [{"id": "c1", "type": "function", "function": {"name": "clock", "arguments": "{}"}}]
    store.add_message(conversation_id, {"role": "assistant", "content": None, "tool_calls": calls})
    store.add_message(conversation_id, {"role": "tool", "tool_call_id": "c1", "content": "12:00"})
    store.add_message(conversation_id, {"role": "assistant", "content": "It is noon."})

    replaced = store.replace_last_answer(conversation_id)
    assert len(replaced) == 3
    assert [m["role"] for m in store.load_messages(conversation_id)] == ["user"]
    new = store.add_message(conversation_id, {"role": "assistant", "content": "Noon."})
    rows = store.message_rows(conversation_id)
    assert [(r.message.get("content"), r.replaced) for r in rows] == [
        ("time?", False),
        (None, True),
        ("12:00", True),
        ("It is noon.", True),
        ("Noon.", False),
    ]
    assert rows[-1].id == new and rows[-1].parent_id == prompt == rows[1].parent_id
    assert [m["content"] for m in store.load_messages(conversation_id)] == ["time?", "Noon."]
    assert store.search("noon")[0].message_id == new  # replaced answers are not results

    # Editing the prompt replaces the prompt too.
    assert store.replace_last_answer(conversation_id, include_prompt=True) == [prompt, new]
    assert store.load_messages(conversation_id) == []
    assert len(store.load_messages(conversation_id, include_replaced=True)) == 5
    assert store.replace_last_answer(conversation_id) == []
    store.close()


def test_an_answer_interrupted_mid_stream_reloads_as_a_truncated_partial(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path)
    conversation_id = store.create_conversation()
    store.add_message(conversation_id, {"role": "user", "content": "write"})
    answer = store.start_answer(conversation_id, model="m")
    store.checkpoint_answer(answer, "Once upon a", "thinking")
    store.close()  # the process died here

    with HistoryStore(path) as store:
        row = store.message_rows(conversation_id)[-1]
        assert row.status == "streaming"
        message = row.message
        assert message["content"] == "Once upon a" and message["reasoning"] == "thinking"
        assert message["error"]["kind"] == "truncated"
        # The next request keeps the partial text as context, like any kept partial.
        reloaded = Conversation(None, messages=store.load_messages(conversation_id))  # type: ignore[arg-type]
        assert reloaded.wire_messages()[-1] == {"role": "assistant", "content": "Once upon a"}
        # A finished answer is never overwritten by a late checkpoint.
        store.finish_answer(answer, {"role": "assistant", "content": "Once upon a time."})
        store.checkpoint_answer(answer, "Once", None)
        assert store.load_messages(conversation_id)[-1]["content"] == "Once upon a time."


def test_unusual_message_keys_and_content_parts_round_trip(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conversation_id = store.create_conversation()
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": "look at this"}], "name": "ann"},
        {
            "role": "assistant",
            "content": "ok",
            "reasoning": None,
            "finish_reason": "stop",
            "usage": None,
            "timing": {"time_to_first_token": None, "duration": 0.5},
            "refusal": None,
            "custom": {"nested": [1, 2]},
        },
    ]
    for message in messages:
        store.add_message(conversation_id, message)
    assert store.load_messages(conversation_id) == messages
    assert store.search("look")[0].snippet == "[look] at this"
    store.close()


def test_search_snippets_and_unsafe_queries(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conversation_id = store.create_conversation()
    store.add_message(
        conversation_id, {"role": "user", "content": "How do I configure the nginx reverse proxy?"}
    )
    text = (
        "To configure nginx as a reverse proxy, add a location block. " + "Filler words here. " * 30
    )
    answer = store.add_message(conversation_id, {"role": "assistant", "content": text})
    store.add_message(
        conversation_id, {"role": "user", "content": 'Say "hello world" (quoted) AND more'}
    )

    results = store.search("reverse proxy")
    assert {r.role for r in results} == {"user", "assistant"}
    best = next(r for r in results if r.message_id == answer)
    assert "[reverse] [proxy]" in best.snippet and len(best.snippet) < len(text)
    assert (
        best.title == "How do I configure the nginx reverse proxy?"
        and best.conversation_id == conversation_id
    )
    # FTS syntax works: phrases, prefixes.
    assert [r.message_id for r in store.search('"nginx as a"')] == [answer]
    assert len(store.search("config*")) == 2
    assert store.search("reverse proxy", markers=("<b>", "</b>"))[0].snippet.count("<b>") == 2
    # Text that is not valid FTS syntax is searched as words, never an error.
    unsafe = ['"hello world', "hello:world", "NOT", "AND", "(quoted", "a OR", "*", "-x", "'"]
    for query in unsafe:
        store.search(query)
    assert len(store.search('"hello world')) == 1
    assert len(store.search("hello:world")) == 1
    assert store.search("   ") == []
    store.close()


async def test_async_history_runs_every_call_in_one_worker_thread(tmp_path: Path) -> None:
    history = await AsyncHistory.open(tmp_path / "h.sqlite3")
    threads = await asyncio.gather(
        *[history.run(lambda store: threading.get_ident()) for _ in range(20)]
    )
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()
    # Calls run in the order they were made.
    order: list[int] = []
    futures = [
        history.submit(functools.partial(lambda i, store: order.append(i), i)) for i in range(50)
    ]
    await asyncio.gather(*futures)
    assert order == list(range(50))
    conversation_id = await history.create_conversation(model="m")
    await history.add_message(conversation_id, {"role": "user", "content": "hi"})
    await history.rename(conversation_id, "Greeting")
    assert (await history.list_conversations())[0].title == "Greeting"
    assert await history.recent_prompts() == ["hi"]
    assert await history.last_conversation_id() == conversation_id
    assert (await history.search("hi"))[0].message_id > 0
    assert (await history.get_conversation(conversation_id)) is not None
    assert await history.replace_last_answer(conversation_id) == []
    assert await history.delete(conversation_id) is True
    await history.aclose()
    await history.aclose()  # idempotent
    with pytest.raises(RuntimeError):
        history.submit(lambda store: None)


def test_titles_never_carry_terminal_controls(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        first = store.create_conversation()
        store.add_message(
            first, {"role": "user", "content": "esc \x1b[31mRED\x1b[0m and \x1b]0;PWNED\x07 end"}
        )
        second = store.create_conversation()
        store.add_message(second, {"role": "user", "content": "hello"})
        store.rename(second, "renamed \x1b]0;title\x07 too")
        titles = {summary.id: summary.title for summary in store.list_conversations()}
        assert titles == {first: "esc RED and end", second: "renamed too"}
        assert [r.title for r in store.search("esc")] == ["esc RED and end"]


def test_the_title_follows_an_edited_first_prompt_unless_renamed(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conversation_id = store.create_conversation(messages=[{"role": "system", "content": "sys"}])
    store.add_message(conversation_id, {"role": "user", "content": "capital of Frnace?"})
    store.add_message(conversation_id, {"role": "assistant", "content": "Did you mean France?"})
    # Ctrl+E: the first prompt is edited and sent again; the old one stays, marked replaced.
    assert len(store.replace_last_answer(conversation_id, include_prompt=True)) == 2
    store.add_message(conversation_id, {"role": "user", "content": "capital of France?"})
    store.add_message(conversation_id, {"role": "assistant", "content": "Paris."})

    def title() -> str:
        summary = store.get_conversation(conversation_id)
        assert summary is not None
        return summary.title

    assert title() == "capital of France?"
    assert store.list_conversations()[0].title == "capital of France?"
    assert [r.title for r in store.search("Paris")] == ["capital of France?"]
    assert [row.replaced for row in store.message_rows(conversation_id)] == [
        False, True, True, False, False,
    ]  # fmt: skip

    # Editing a later prompt leaves the title to the first one.
    store.add_message(conversation_id, {"role": "user", "content": "and of Spian?"})
    store.replace_last_answer(conversation_id, include_prompt=True)
    store.add_message(conversation_id, {"role": "user", "content": "and of Spain?"})
    assert title() == "capital of France?"

    store.rename(conversation_id, "Capitals")
    assert title() == "Capitals"  # a name the user gave stays
    store.rename(conversation_id, None)
    assert title() == "capital of France?"
    store.close()


def test_the_open_tabs_are_kept_in_order_with_the_one_shown(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert store.open_tabs() == ([], None)
        a, b, c = (store.create_conversation() for _ in range(3))
        store.set_open_tabs([c, a, 999, b], active=a)  # 999: not saved, left out
        assert store.open_tabs() == ([c, a, b], a)
        store.delete(a)  # a deleted conversation leaves its tab
        assert store.open_tabs() == ([c, b], None)
        store.set_open_tabs([b], active=b)
    with HistoryStore(tmp_path / "h.sqlite3") as store:  # and the next run sees them
        assert store.open_tabs() == ([b], b)
