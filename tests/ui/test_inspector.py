"""The inspector as a protocol debugger: the list of a turn's rows, the selected one whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Input, Tree

from tuichat.core.turn_file import parse_turn
from tuichat.demo.replies import Flood, Scripted, Slow, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.ui.widgets.chunk_detail import ChunkDetail
from tuichat.ui.widgets.chunk_list import ChunkList
from tuichat.ui.widgets.inspector import Inspector

from .conftest import AppFactory
from .pilot_helpers import (
    answer_receiving,
    finish_turn,
    press_while_streaming,
    send,
    shown_text,
    wait_until,
)


def rows_in_view(chunks: ChunkList) -> list[str]:
    """The list's lines as the terminal shows them."""
    return [chunks.render_line(y).text for y in range(chunks.size.height)]


def detail_text(inspector: Inspector) -> str:
    return shown_text(inspector.query_one("#chunk-detail-text"))


async def open_panel(pilot, app) -> Inspector:  # type: ignore[no-untyped-def]
    await pilot.press("f2")
    await pilot.pause()
    await pilot.pause()
    return app.screen.query_one(Inspector)


async def test_f2_selects_the_newest_chunk_and_shows_it_whole(
    make_app: AppFactory, server: ChatServer
) -> None:
    app = make_app(api_key_env="TEST_KEY", environ={"TEST_KEY": "sk-secret-test-key-42"})
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        inspector = await open_panel(pilot, app)
        chunks = inspector.chunk_list
        assert chunks.has_focus, "the panel takes the keys"
        last = chunks.turn.rows[-1]
        assert chunks.selected == len(chunks.turn.rows) - 1 and last.reading is not None
        assert last.reading.kind == "done"
        view = rows_in_view(chunks)
        assert any("[DONE]" in line for line in view), "the selected row is in view"
        assert "chunk" in detail_text(inspector) and "[DONE]" in detail_text(inspector)
        # Up to the finish chunk: its JSON whole, the finish marked, and the answer after it.
        await pilot.press("up", "up")  # past the usage chunk
        await pilot.pause()
        text = detail_text(inspector)
        assert '"finish_reason": "stop"' in text and "▌" in text
        assert "the answer after it" in text and "finish stop" in text
        header = shown_text(inspector.query_one("#inspector-header"))
        assert "ttfc" in header and "/s" in header and "rate " in header
        # Home: the request, pretty-printed, the key redacted.
        await pilot.press("home")
        await pilot.pause()
        text = detail_text(inspector)
        assert text.startswith("request") and '"model": "tuichat-demo"' in text
        assert "sk-secret-test-key-42" not in text and "[redacted]" in text
        # z: the whole screen, the list and the chunk side by side, the timing in words.
        await pilot.press("z")
        await pilot.pause()
        assert not app.screen.query_one("#messages").display
        detail = inspector.query_one(ChunkDetail)
        assert detail.region.x >= chunks.region.right and detail.region.y == chunks.region.y
        header = shown_text(inspector.query_one("#inspector-header"))
        assert "first chunk" in header and "gap median" in header
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.query_one("#messages").display
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#prompt").has_focus


async def test_every_row_of_a_turn_in_order_with_columns_aligned(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Scripted(text="안녕하세요 여러분, 반갑습니다. " * 4))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hi")
        await finish_turn(pilot)
        inspector = await open_panel(pilot, app)
        chunks = inspector.chunk_list
        await pilot.press("home")
        await pilot.pause()
        view = rows_in_view(chunks)
        assert view[0].startswith("── request 1: POST")
        assert view[1].startswith("── response 200 OK text/event-stream")
        chunk_rows = [line for line in view[2:] if line.strip()]
        width = chunks.size.width
        assert all(cell_len(line) == width for line in view), "cut to the panel by cells"
        kinds = {line[: line.index(" text ") + 1] for line in chunk_rows if " text " in line}
        columns = {cell_len(prefix) for prefix in kinds}
        assert len(columns) == 1, "the kind column starts at one cell for every row"
        assert any("안녕" in line for line in chunk_rows)


async def test_the_selection_follows_the_stream_until_moved(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Slow("word " * 300, tokens_per_second=150))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "hello")
        await answer_receiving(pilot, "word " * 20)
        await press_while_streaming(pilot, "f2")
        inspector = app.screen.query_one(Inspector)
        chunks = inspector.chunk_list
        await wait_until(pilot, lambda: len(chunks.turn.rows) > 60)
        await wait_until(pilot, lambda: chunks.selected == len(chunks.turn.rows) - 1)
        await press_while_streaming(pilot, "up")
        await wait_until(pilot, lambda: not chunks.follow)  # the press was handled
        held = chunks.selected
        await wait_until(pilot, lambda: len(chunks.turn.rows) > (held or 0) + 30)
        assert chunks.selected == held and not chunks.follow
        await finish_turn(pilot)
        await pilot.press("end")
        await pilot.pause()
        assert chunks.follow and chunks.selected == len(chunks.turn.rows) - 1
        # Stacked at 80x24: the list above, the chunk below, both on screen.
        detail = inspector.query_one(ChunkDetail)
        assert detail.region.y >= chunks.region.bottom and detail.region.height >= 3


async def test_filter_search_and_copy(make_app: AppFactory, server: ChatServer) -> None:
    server.enqueue(
        Scripted(tool_calls=[ToolCall("get_current_time", {"timezone": "UTC"}, id="c1")]),
        Scripted(text="It is noon."),
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "time?")
        await finish_turn(pilot)
        inspector = await open_panel(pilot, app)
        chunks = inspector.chunk_list
        assert len(chunks.turn.readers) == 2, "the tool round's answer and the last one"
        await pilot.press("f")  # the first kind present: text
        await pilot.pause()
        assert chunks.kind_filter == "text"
        await pilot.press("f")  # then tool calls
        await pilot.pause()
        assert chunks.kind_filter == "tool"
        shown = [chunks.turn.rows[n] for n in chunks.shown]
        assert shown and all(row.reading and "tool" in row.reading.kinds for row in shown)
        header = shown_text(inspector.query_one("#inspector-header"))
        assert f"{len(shown)} tool of" in header
        await pilot.press("F")
        await pilot.press("F")
        await pilot.pause()
        assert chunks.kind_filter is None
        await pilot.press("slash")
        await pilot.pause()
        line = inspector.query_one("#inspector-input", Input)
        assert line.has_focus
        await pilot.press(*"noon", "enter")
        await pilot.pause()
        selected = chunks.selected
        assert selected is not None
        assert "noon" in chunks.turn.rows[selected].raw_text()
        assert chunks.has_focus
        await pilot.press("c")
        assert app.clipboard == chunks.turn.rows[selected].raw_text()
        await pilot.press("u")
        assert app.clipboard.startswith("curl -N ") and "$OPENAI_API_KEY" in app.clipboard


async def test_save_the_answer_as_a_turn_file(
    make_app: AppFactory, server: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        inspector = await open_panel(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        line = inspector.query_one("#inspector-input", Input)
        assert line.value.endswith(".turn.json")
        line.value = "saved.turn.json"
        await pilot.press("enter")
        await pilot.pause()
    turn = parse_turn((tmp_path / "saved.turn.json").read_bytes())
    assert turn.head is not None and turn.head.status == 200
    body = b"".join(read.data for read in turn.reads)
    assert body.rstrip().endswith(b"data: [DONE]")


async def test_a_whole_completion_is_a_tree_that_folds(
    make_app: AppFactory, server: ChatServer
) -> None:
    app = make_app(stream=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        inspector = await open_panel(pilot, app)
        chunks = inspector.chunk_list
        row = chunks.turn.rows[chunks.selected or 0]
        assert row.reading is not None and row.reading.kind == "whole"
        tree = inspector.query_one(Tree)
        labels = [str(node.label) for node in tree.root.children]
        assert '"object": "chat.completion"' in labels
        choices = next(node for node in tree.root.children if "choices" in str(node.label))
        assert choices.is_expanded
        choices.collapse()
        assert not choices.is_expanded
        assert "the answer" in shown_text(inspector.query(".whole-part").last())


async def test_twenty_thousand_chunks_are_all_reachable(
    make_app: AppFactory, server: ChatServer
) -> None:
    server.enqueue(Flood(n_chunks=20_000))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "flood")
        await finish_turn(pilot)
        inspector = await open_panel(pilot, app)
        chunks = inspector.chunk_list
        readings = [row.reading for row in chunks.turn.rows if row.reading is not None]
        assert len(readings) >= 20_000
        await pilot.press("home")
        await pilot.press("pagedown")
        await pilot.pause()
        assert chunks.cursor == chunks.size.height - 1
        await pilot.press("end")
        await pilot.pause()
        view = rows_in_view(chunks)
        assert any("[DONE]" in line for line in view)
        assert len(view) == chunks.size.height  # only the rows in view are drawn


async def test_a_saved_answer_reads_as_the_live_one_did(
    make_app: AppFactory, server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    server.enqueue(Scripted(text="Saved words, read again."))
    app = make_app(db=db)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await finish_turn(pilot)
        live = app.screen.query_one(Inspector).raw_texts()
    again = make_app(db=db, resume="last")
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        inspector = await open_panel(pilot, again)
        await again.workers.wait_for_complete()
        await pilot.pause()
        assert inspector.saved_title is not None and "(saved)" in inspector.saved_title
        assert inspector.raw_texts() == live, "the request, head and every chunk were kept"
        chunks = inspector.chunk_list
        assert chunks.selected == len(chunks.turn.rows) - 1
        kinds = [row.reading.kind if row.reading else None for row in chunks.turn.rows]
        finish = kinds.index("finish")
        await pilot.press(*["up"] * (len(chunks.turn.rows) - 1 - finish))
        await pilot.pause()
        text = detail_text(inspector)
        assert '"finish_reason": "stop"' in text
        assert f"text {len('Saved words, read again.')} characters" in text
        assert "Saved words, read again." in text
