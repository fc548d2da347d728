"""The tree of versions on real SQLite: versions, switching the branch shown, sibling answers,
branch numbers, and a version-3 file brought to version 4."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tuichat.core.events import RawChunk
from tuichat.storage import migrations
from tuichat.storage.db import schema_version
from tuichat.storage.errors import StorageError
from tuichat.storage.store import HistoryStore


def ticking() -> Callable[[], float]:
    """Timestamps a second apart: each write is later than the one before."""
    ticks = itertools.count(1_700_000_000)
    return lambda: float(next(ticks))


def answer(text: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text,
        "reasoning": None,
        "finish_reason": "stop",
        "usage": None,
    }


def prompt(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def contents(store: HistoryStore, conversation_id: int) -> list[str]:
    return [str(m["content"]) for m in store.load_messages(conversation_id)]


def by_text(store: HistoryStore, conversation_id: int) -> dict[str, int]:
    """Each message's id by its text (the texts of these tests are unique)."""
    return {
        str(row.message["content"]): row.id
        for row in store.message_rows(conversation_id, include_replaced=True)
    }


def regenerate(store: HistoryStore, conversation_id: int, text: str) -> int:
    """What the app does on Ctrl+R: the last answer replaced, a new one after the prompt."""
    store.replace_last_answer(conversation_id)
    return store.add_message(conversation_id, answer(text))


def edit(store: HistoryStore, conversation_id: int, text: str, reply: str) -> int:
    """What the app does when the last prompt is edited and sent again."""
    store.replace_last_answer(conversation_id, include_prompt=True)
    new = store.add_message(conversation_id, prompt(text))
    store.add_message(conversation_id, answer(reply))
    return new


def two_turns(store: HistoryStore) -> int:
    cid = store.create_conversation(
        model="m", messages=[{"role": "system", "content": "Be brief."}]
    )
    for text, reply in (("Q1", "A1"), ("Q2", "A2")):
        store.add_message(cid, prompt(text))
        store.add_message(cid, answer(reply), model="m")
    return cid


def test_a_regenerated_answer_and_an_edited_prompt_are_versions(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        regenerate(store, cid, "A2 again")
        edit(store, cid, "Q2 edited", "A2 for the edit")
        ids = by_text(store, cid)
        tree = store.branch_tree(cid)
        assert tree.versions(ids["A2"]) == [ids["A2"], ids["A2 again"]]
        assert tree.versions(ids["Q2"]) == [ids["Q2"], ids["Q2 edited"]]
        assert tree.versions(ids["A1"]) == [ids["A1"]]
        assert [tree.nodes[i].preview for i in tree.shown] == [
            "Be brief.", "Q1", "A1", "Q2 edited", "A2 for the edit",
        ]  # fmt: skip
        # Three branches, in the tree's order: Q2 > A2, Q2 > A2 again, Q2 edited > ...
        assert [(b.number, b.leaf, b.shown) for b in tree.branches()] == [
            (1, ids["A2"], False),
            (2, ids["A2 again"], False),
            (3, ids["A2 for the edit"], True),
        ]
        assert store.get_conversation(cid).branch_count == 3  # type: ignore[union-attr]


def test_switching_shows_the_branch_and_the_next_message_follows_it(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        regenerate(store, cid, "A2 again")
        ids = by_text(store, cid)
        shown = store.switch_branch(cid, ids["A2"])
        assert [store.branch_tree(cid).nodes[i].preview for i in shown] == [
            "Be brief.", "Q1", "A1", "Q2", "A2",
        ]  # fmt: skip
        assert contents(store, cid) == ["Be brief.", "Q1", "A1", "Q2", "A2"]
        # The next prompt continues the branch shown: after the first A2.
        q3 = store.add_message(cid, prompt("Q3"))
        assert store.message_rows(cid)[-1].parent_id == ids["A2"]
        assert contents(store, cid)[-2:] == ["A2", "Q3"]
        # Stepping to the other version of A2 and back: Q3 comes back with its A2.
        store.switch_branch(cid, ids["A2 again"])
        assert contents(store, cid)[-2:] == ["Q2", "A2 again"]
        store.switch_branch(cid, ids["A2"])
        assert contents(store, cid)[-2:] == ["A2", "Q3"]
        assert store.branch_tree(cid).shown[-1] == q3


def test_stepping_back_to_a_version_follows_what_was_shown_with_it_last(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        regenerate(store, cid, "A2 again")
        regenerate(store, cid, "A2 third")
        ids = by_text(store, cid)
        store.switch_branch(cid, ids["A2 again"])
        edit(store, cid, "Q2 edited", "A2 for the edit")  # Q2 (with A2 again) left at once
        store.switch_branch(cid, by_text(store, cid)["Q2"])
        assert contents(store, cid)[-2:] == ["Q2", "A2 again"]  # not the newest, A2 third


def test_continuing_from_a_message_ends_the_conversation_there(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        ids = by_text(store, cid)
        assert store.switch_branch(cid, ids["A1"], to_leaf=False)[-1] == ids["A1"]
        assert contents(store, cid) == ["Be brief.", "Q1", "A1"]
        store.add_message(cid, prompt("Q2 other"))
        tree = store.branch_tree(cid)
        assert tree.versions(ids["Q2"]) == [ids["Q2"], by_text(store, cid)["Q2 other"]]
        assert len(tree.branches()) == 2


def test_branch_rows_reads_a_branch_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path, clock=ticking()) as store:
        cid = two_turns(store)
        regenerate(store, cid, "A2 again")
        ids = by_text(store, cid)
    with HistoryStore(path, readonly=True) as store:
        rows = store.branch_rows(cid, ids["A2"])
        assert [r.message["content"] for r in rows][-1] == "A2"
        assert contents(store, cid)[-1] == "A2 again"
        with pytest.raises(StorageError) as caught:
            store.branch_rows(cid, 9999)
        assert caught.value.kind == "missing"
        with pytest.raises(StorageError) as refused:
            store.switch_branch(cid, ids["A2"])
        assert refused.value.kind == "readonly"


def test_a_sibling_answer_is_kept_beside_the_one_shown(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        ids = by_text(store, cid)
        raw = [RawChunk('{"choices": []}', 0.5)]
        other = store.add_sibling_answer(
            cid, [answer("A2 from model b")], model="b", provider="p", raw_chunks=[raw]
        )
        assert contents(store, cid)[-1] == "A2"  # the answer shown stays
        tree = store.branch_tree(cid)
        assert tree.versions(ids["A2"]) == [ids["A2"], other[0]]
        assert tree.nodes[other[0]].model == "b"
        assert store.load_raw_chunks(other[0]) == raw
        shown = store.add_sibling_answer(cid, [answer("A2 from model c")], show=True)
        assert contents(store, cid)[-2:] == ["Q2", "A2 from model c"]
        assert store.branch_tree(cid).shown[-1] == shown[0]
        # To an earlier prompt, by its id.
        first = store.add_sibling_answer(cid, [answer("A1 too")], prompt_id=ids["Q1"])
        assert store.branch_tree(cid).versions(ids["A1"]) == [ids["A1"], first[0]]
        with pytest.raises(ValueError):
            store.add_sibling_answer(cid, [prompt("not an answer")])
        empty = store.create_conversation()
        with pytest.raises(StorageError) as caught:
            store.add_sibling_answer(empty, [answer("to nothing")])
        assert caught.value.kind == "missing"


def test_switching_to_a_message_of_another_conversation_is_refused(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        first, second = two_turns(store), two_turns(store)
        other = by_text(store, second)["A1"]
        with pytest.raises(StorageError) as caught:
            store.switch_branch(first, other)
        assert caught.value.kind == "missing"
        assert contents(store, first)[-1] == "A2"


def test_a_long_conversation_is_one_branch_and_walks_without_recursion(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        cid = store.create_conversation()
        for turn in range(1500):  # deeper than Python's recursion limit
            store.add_message(cid, prompt(f"Q{turn}"))
        tree = store.branch_tree(cid)
        assert len(tree.branches()) == 1 and len(tree.branches()[0].path) == 1500
        assert tree.latest_leaf(tree.shown[0]) == tree.shown[-1]


# --- version 3 files ------------------------------------------------------------------------


def version_3_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, int]]:
    """A file written by the tuichat of schema version 3, with a regenerated answer."""
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:3])
        with HistoryStore(path, clock=ticking()) as store:
            cid = two_turns(store)
            regenerate(store, cid, "A2 again")
    # Read as they are in the file: today's reads know only today's columns.
    with sqlite3.connect(path) as connection:
        ids = {
            str(text): int(i) for text, i in connection.execute("SELECT content, id FROM messages")
        }
    assert schema_version(path) == 3
    return cid, ids


def indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {row[0] for row in rows}


def test_a_version_3_file_keeps_its_versions_at_version_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.sqlite3"
    cid, ids = version_3_file(path, monkeypatch)
    assert "messages_parent" not in indexes(path)
    with HistoryStore(path) as store:
        assert contents(store, cid)[-1] == "A2 again"
        assert store.branch_tree(cid).versions(ids["A2"]) == [ids["A2"], ids["A2 again"]]
        assert store.list_conversations()[0].branch_count == 2
        store.switch_branch(cid, ids["A2"])
        assert contents(store, cid)[-1] == "A2"
    assert schema_version(path) == migrations.current_version()  # v4 (the index) and after
    assert "messages_parent" in indexes(path)
    with sqlite3.connect(path) as connection:  # the children of a message: by the index
        plan = connection.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM messages WHERE parent_id = ?", (1,)
        ).fetchall()
    assert "messages_parent" in " ".join(str(step) for step in plan)


_OPENER = """
import sys
from tuichat.storage.store import HistoryStore
print("ready", flush=True)
sys.stdin.readline()
with HistoryStore(sys.argv[1]) as store:
    print(store.list_conversations()[0].branch_count)
"""


def test_processes_opening_a_version_3_file_at_once_all_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.sqlite3"
    version_3_file(path, monkeypatch)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [process.communicate(timeout=60) for process in processes]
    assert [(p.returncode, out, err) for p, (out, err) in zip(processes, results, strict=True)] == [
        (0, "2\n", "")
    ] * 6
    assert schema_version(path) == migrations.current_version()
