"""Comparing models: each column a session of its own, one answer kept, the others saved as
its siblings the way regenerating saves them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tuichat.config.load import parse_settings
from tuichat.config.settings import AttachmentSettings, Settings
from tuichat.core.events import TextDelta
from tuichat.demo.replies import HTTPError, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.session.attachments import collect
from tuichat.session.builder import build_session
from tuichat.session.compare import Comparison, column_options
from tuichat.session.compare_targets import Target
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession
from tuichat.storage.rows import StoredMessage
from tuichat.storage.store import HistoryStore

from .test_attachments import tiny_png

PRICES = '[prices."demo-fast"]\ninput = 1.0\noutput = 2.0\n'


def loopback(server: ChatServer, db: Path | None, settings: Settings | None = None) -> ChatSession:
    options = SessionOptions(
        base_url=server.base_url, model="tuichat-demo", max_retries=0, db=db, history=db is not None
    )
    return build_session(settings or Settings(), options, {})


async def run_column(comparison: Comparison, index: int) -> str:
    text = ""
    async for batch in comparison.answer(index):
        text += "".join(event.text for event in batch if isinstance(event, TextDelta))
    return text


def rows(db: Path, conversation_id: int) -> list[StoredMessage]:
    with HistoryStore(db) as store:
        return store.message_rows(conversation_id)


def shape(saved: list[StoredMessage]) -> list[tuple[str, int | None, bool]]:
    """Each row's role, the position of its parent among the rows, and whether it is replaced."""
    positions = {row.id: index for index, row in enumerate(saved)}
    return [
        (row.message["role"], positions.get(row.parent_id or -1), row.replaced) for row in saved
    ]


async def test_the_kept_answer_continues_the_conversation_and_the_other_is_its_sibling(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    main = loopback(server, db)
    await main.open_history()
    server.enqueue(Scripted(text="First answer."))
    async for _ in main.send("before"):
        pass
    comparison = await Comparison.open(
        main, [Target(None, "demo-fast"), Target(None, "model-b")], "which?"
    )
    try:
        # One after the other here, so that each gets its queued reply (the UI test runs
        # them at once).
        server.enqueue(Scripted(text="Answer of A."), Scripted(text="Answer of B."))
        assert await run_column(comparison, 0) == "Answer of A."
        assert await run_column(comparison, 1) == "Answer of B."
        a, b = comparison.columns
        host = server.base_url.split("/")[2]
        assert (a.label, b.label) == (f"{host} · demo-fast", f"{host} · model-b")
        kept = await comparison.keep(1)
    finally:
        await comparison.aclose()
        await main.aclose()
    # Each column asked its own model, with the conversation so far as context.
    assert [r["model"] for r in server.requests] == ["tuichat-demo", "demo-fast", "model-b"]
    contexts = [[m["content"] for m in r["messages"]] for r in server.requests[1:]]
    assert contexts == [["before", "First answer.", "which?"]] * 2
    assert [m["content"] for m in main.messages] == [
        "before",
        "First answer.",
        "which?",
        "Answer of B.",
    ]
    assert kept == b.answers and kept[0].message is main.messages[-1]
    saved = rows(db, main.conversation_id or 0)
    assert [(r.message["content"], r.replaced, r.model) for r in saved] == [
        ("before", False, None),
        ("First answer.", False, "tuichat-demo"),
        ("which?", False, None),
        ("Answer of A.", True, "demo-fast"),
        ("Answer of B.", False, "model-b"),
    ]
    assert kept[0].message_ids == [saved[-1].id]  # the main screen inspects it by this id
    with HistoryStore(db) as store:  # each answer keeps its raw chunks
        for row in saved[3:]:
            assert store.load_raw_chunks(row.id)


async def test_the_history_of_a_kept_comparison_is_the_history_of_a_regenerated_answer(
    server: ChatServer, tmp_path: Path
) -> None:
    regenerated_db, compared_db = tmp_path / "regenerated.sqlite3", tmp_path / "compared.sqlite3"
    # Regenerating twice: three answers to one prompt, the last one live...
    session = loopback(server, regenerated_db)
    await session.open_history()
    async for _ in session.send("q"):
        pass
    for _ in range(2):
        turn = session.regenerate()
        assert turn is not None
        async for _ in turn:
            pass
    await session.aclose()
    # ... and three columns, the last one kept (so in the same order).
    main = loopback(server, compared_db)
    await main.open_history()
    targets = [Target(None, "a"), Target(None, "b"), Target(None, "c")]
    comparison = await Comparison.open(main, targets, "q")
    try:
        for index in range(3):
            await run_column(comparison, index)
        await comparison.keep(2)
    finally:
        await comparison.aclose()
        await main.aclose()
    expected = shape(rows(regenerated_db, session.conversation_id or 0))
    assert expected == [
        ("user", None, False),
        ("assistant", 0, True),
        ("assistant", 0, True),
        ("assistant", 0, False),
    ]
    assert shape(rows(compared_db, main.conversation_id or 0)) == expected


async def test_keeping_none_saves_every_answer_and_the_conversation_goes_on_without_them(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    main = loopback(server, db)
    await main.open_history()
    async for _ in main.send("before"):
        pass
    before = list(main.messages)
    comparison = await Comparison.open(main, [Target(None, "a"), Target(None, "b")], "which?")
    try:
        server.enqueue(Slow("slow " * 100, tokens_per_second=50), Scripted(text="B."))
        arrived: list[str] = []

        async def first_column() -> None:
            async for batch in comparison.answer(0):
                arrived.extend(e.text for e in batch if isinstance(e, TextDelta))

        task = asyncio.create_task(first_column())
        while "slow" not in "".join(arrived):
            await asyncio.sleep(0.01)
        task.cancel()  # stopped mid-answer: what arrived is kept, marked cancelled
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await run_column(comparison, 1) == "B."
        assert await comparison.keep(None) == []
    finally:
        await comparison.aclose()
        await main.aclose()
    assert main.messages == before
    saved = rows(db, main.conversation_id or 0)
    assert [(r.message["role"], r.replaced) for r in saved] == [
        ("user", False),
        ("assistant", False),
        ("user", True),  # the compared prompt: a branch beside the conversation's end
        ("assistant", True),
        ("assistant", True),
    ]
    assert saved[3].status == "cancelled" and saved[4].message["content"] == "B."
    with HistoryStore(db) as store:
        assert [m["content"] for m in store.load_messages(main.conversation_id or 0)] == [
            "before",
            before[1]["content"],
        ]


async def test_each_column_has_its_stats_and_its_cost(server: ChatServer) -> None:
    main = loopback(server, None, parse_settings(PRICES))
    comparison = await Comparison.open(
        main, [Target(None, "demo-fast"), Target(None, "model-b")], "hello"
    )
    try:
        running = comparison.columns[0].stats()
        assert not running.exact and running.time_to_first_token is None
        await asyncio.gather(run_column(comparison, 0), run_column(comparison, 1))
        priced, unpriced = (column.stats() for column in comparison.columns)
    finally:
        await comparison.aclose()
        await main.aclose()
    answer = comparison.columns[0].messages[0]
    usage = answer["usage"]
    assert priced.exact and not priced.running
    assert (priced.prompt_tokens, priced.completion_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert priced.time_to_first_token == answer["timing"]["time_to_first_token"]
    assert priced.cost == pytest.approx(
        (usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 2.0) / 1_000_000
    )
    assert priced.tokens_per_second is not None and priced.tokens_per_second > 0
    assert unpriced.cost is None and "no price" in unpriced.parts()
    line = " · ".join(priced.parts())
    assert line.startswith("TTFT ") and " tok/s · " in line and line.endswith(f"${priced.cost:.4f}")
    assert f"{usage['prompt_tokens']:,} → {usage['completion_tokens']:,} tokens" in line
    assert priced.as_json()["usage"]["total_tokens"] == usage["total_tokens"]


async def test_columns_run_the_conversations_tools_with_its_policies(server: ChatServer) -> None:
    main = loopback(server, None, parse_settings('[tools.policy]\ncalculate = "never"\n'))
    comparison = await Comparison.open(main, [Target(None, "a"), Target(None, "b")], "time?")
    try:
        for column in comparison.columns:
            assert column.session.tools is main.tools  # one registry, not one per column
        server.enqueue(
            Scripted(tool_calls=[ToolCall("get_current_time", {"timezone": "UTC"}, id="t1")]),
            Scripted(text="It is now."),
            Scripted(tool_calls=[ToolCall("calculate", {"expression": "1+1"}, id="c1")]),
            Scripted(text="Not allowed."),
        )
        await run_column(comparison, 0)
        await run_column(comparison, 1)
        first, second = (column.messages for column in comparison.columns)
    finally:
        await comparison.aclose()
        await main.aclose()
    assert [m["role"] for m in first] == ["assistant", "tool", "assistant"]
    assert first[1]["status"] == "done"
    assert second[1]["status"] == "not_allowed"  # the conversation's policy holds in a column


async def test_a_target_asks_its_profile_or_the_conversations(server: ChatServer) -> None:
    main = loopback(server, None)
    try:
        same = column_options(main, Target(None, "other-model"))
        assert (same.base_url, same.model, same.profile) == (server.base_url, "other-model", None)
        assert column_options(main, Target(None, None)).model == "tuichat-demo"
        ollama = column_options(main, Target("ollama", None))
        assert (ollama.profile, ollama.base_url, ollama.model, ollama.demo) == (
            "ollama",
            None,
            None,
            False,
        )
        demo = column_options(main, Target("demo", "demo-slow"))
        assert (demo.demo, demo.model) == (True, "demo-slow")
        for options in (same, ollama, demo):
            assert not options.history and not options.tools and options.compare == ()
    finally:
        await main.aclose()


async def test_every_column_sends_the_prompts_files_and_a_refusal_stays_in_its_column(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "recipe.txt").write_text("Whisk slowly.\n")
    (tmp_path / "cake.png").write_bytes(tiny_png(32, 24))
    text = "bake @recipe.txt like @cake.png"
    files = collect(text, tmp_path, AttachmentSettings())
    db = tmp_path / "history.sqlite3"
    with ChatServer(default_reply=HTTPError(400, "this model takes no images")) as picky:
        settings = parse_settings(
            f'[profiles.picky]\nbase_url = "{picky.base_url}"\nmodel = "text-only"\n'
            "max_retries = 0\n"
        )
        # What one model is sent for this prompt: every column is to be sent the same.
        alone_session = loopback(server, None)
        try:
            async for _ in alone_session.send(text, files):
                pass
        finally:
            await alone_session.aclose()
        alone = server.requests[-1]["messages"][-1]
        main = loopback(server, db, settings)
        await main.open_history()
        comparison = await Comparison.open(
            main, [Target(None, "demo-fast"), Target("picky", None)], text, files
        )
        try:
            assert await run_column(comparison, 0)
            await run_column(comparison, 1)
            taker, refuser = comparison.columns
            assert taker.refused_images() is None
            refusal = refuser.refused_images()
            assert refusal is not None
            assert "cake.png" in refusal and "this model takes no images" in refusal
            await comparison.keep(0)
        finally:
            await comparison.aclose()
            await main.aclose()
        [asked_picky] = picky.requests
    assert server.requests[-1]["messages"] == [alone]
    assert asked_picky["messages"] == [alone]
    assert alone["content"][0]["text"] == f"{text}\n\nrecipe.txt\n```text\nWhisk slowly.\n```"
    assert alone["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    # The prompt is saved with its files, as a prompt sent to one model is.
    saved = rows(db, main.conversation_id or 0)
    assert saved[0].message == main.messages[0]
    assert {k: saved[0].message[k] for k in ("role", "content")} == alone
    assert [r.model for r in saved[1:]] == ["text-only", "demo-fast"]
