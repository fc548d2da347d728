"""What of a conversation is sent, on real SQLite: messages left out and put back, summaries
in place of some, on the branches through them, in old files and in exports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.storage.test_branches import answer, by_text, prompt, regenerate, ticking, two_turns
from tuichat.storage import migrations
from tuichat.storage.db import schema_version
from tuichat.storage.export import export_conversation
from tuichat.storage.store import HistoryStore


def texts(store: HistoryStore, conversation_id: int) -> list[tuple[str, bool]]:
    """Each message of the branch shown: its text and whether it is left out."""
    return [
        (str(m["content"]), bool(m.get("left_out"))) for m in store.load_messages(conversation_id)
    ]


def summarise_the_first_turn(
    store: HistoryStore, cid: int, content: str
) -> tuple[dict[str, int], int]:
    """A summary of Q1 and A1 (what the Context screen saves): the ids by text, its id."""
    ids = by_text(store, cid)
    summary_id = store.add_summary(
        cid,
        ids["A1"],
        messages=[ids["Q1"], ids["A1"]],
        count=2,
        content=content,
        model="m",
        usage={"prompt_tokens": 30, "completion_tokens": 9},
    )
    return ids, summary_id


def test_a_left_out_message_stays_left_out_until_it_is_put_back(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        ids = by_text(store, cid)
        store.set_left_out([ids["Q1"], ids["A1"]], left_out=True)
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        assert texts(store, cid) == [
            ("Be brief.", False),
            ("Q1", True),
            ("A1", True),
            ("Q2", False),
            ("A2", False),
        ]
        rows = {row.id: row for row in store.message_rows(cid, include_replaced=False)}
        when = rows[ids["A1"]].left_out_at
        assert when is not None and rows[ids["Q2"]].left_out_at is None
        store.set_left_out([ids["A1"]], left_out=True)  # again: it keeps when it was
        again = {row.id: row for row in store.message_rows(cid, include_replaced=False)}
        assert again[ids["A1"]].left_out_at == when
        store.set_left_out([ids["Q1"]], left_out=False)
        assert texts(store, cid)[1:3] == [("Q1", False), ("A1", True)]


def test_a_summary_follows_the_last_message_it_summarises_and_leaves_them_out(
    tmp_path: Path,
) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = two_turns(store)
        content = "[Summary of 2 earlier messages]\n\nQ1 was asked; A1 answered it."
        ids, summary_id = summarise_the_first_turn(store, cid, content)
        rows = store.message_rows(cid, include_replaced=False)
    assert [(row.message["content"], row.is_summary) for row in rows] == [
        ("Be brief.", False),
        ("Q1", False),
        ("A1", False),
        ("[Summary of 2 earlier messages]\n\nQ1 was asked; A1 answered it.", True),
        ("Q2", False),
        ("A2", False),
    ]
    summary = rows[3]
    assert summary.id == summary_id
    assert summary.message["role"] == "user"
    assert summary.message["summary"] == {
        "id": summary_id,
        "count": 2,
        "messages": [ids["Q1"], ids["A1"]],
        "summaries": [],
        "model": "m",
    }
    assert [bool(row.message.get("left_out")) for row in rows] == [
        False, True, True, False, False, False,
    ]  # fmt: skip
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.set_left_out([], [summary_id], left_out=True)
        assert store.message_rows(cid, include_replaced=False)[3].message["left_out"] is True


def test_a_summary_is_on_the_branches_through_its_messages_only(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=ticking()) as store:
        cid = store.create_conversation(model="m")
        q1 = store.add_message(cid, prompt("Q1"))
        a1 = store.add_message(cid, answer("A1"))
        store.add_summary(cid, a1, messages=[q1, a1], count=2, content="S")
        store.add_message(cid, prompt("Q2"))
        assert [m["content"] for m in store.load_messages(cid)] == ["Q1", "A1", "S", "Q2"]
        regenerate(store, cid, "A2")  # Q2's answer: the summary stays above it
        assert [m["content"] for m in store.load_messages(cid)] == ["Q1", "A1", "S", "Q2", "A2"]
        # Another version of A1: that branch does not go through it, nor its summary.
        store.replace_last_answer(cid)
        other = store.add_sibling_answer(cid, [answer("A1 again")], prompt_id=q1, show=True)
        assert [m["content"] for m in store.load_messages(cid)] == ["Q1", "A1 again"]
        assert [row.message["content"] for row in store.branch_rows(cid, a1)] == [
            "Q1", "A1", "S", "Q2", "A2",
        ]  # fmt: skip
        assert [row.message["content"] for row in store.branch_rows(cid, other[0])] == [
            "Q1",
            "A1 again",
        ]


def test_a_version_5_file_opens_with_nothing_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
        with HistoryStore(path, clock=ticking()) as store:
            cid = two_turns(store)
    assert schema_version(path) == 5
    with sqlite3.connect(path) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(messages)")}
    assert "left_out" not in columns
    with HistoryStore(path) as store:
        assert texts(store, cid) == [
            ("Be brief.", False),
            ("Q1", False),
            ("A1", False),
            ("Q2", False),
            ("A2", False),
        ]
        assert store.summaries(cid) == []
        ids = by_text(store, cid)
        store.set_left_out([ids["Q1"]], left_out=True)
        assert texts(store, cid)[1] == ("Q1", True)
    assert schema_version(path) == migrations.current_version()


def saved_with_a_summary(path: Path) -> int:
    """Q1/A1 summarised, Q2 left out, A2 sent."""
    with HistoryStore(path, clock=ticking()) as store:
        cid = two_turns(store)
        content = "[Summary of 2 earlier messages of this conversation]\n\nThey said Q1, A1."
        ids, _ = summarise_the_first_turn(store, cid, content)
        store.set_left_out([ids["Q2"]], left_out=True)
    return cid


def test_markdown_says_what_is_left_out_and_what_summarises_it(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    cid = saved_with_a_summary(path)
    with HistoryStore(path) as store:
        text = export_conversation(store, cid, "md")
    assert "## User *(left out of what is sent)*\n\nQ1" in text
    assert "## Assistant *(left out of what is sent)*\n\nA1" in text
    assert (
        "## Summary of 2 messages\n\n*Written by m, sent in place of the messages it "
        "summarises (left out above).*\n\nThey said Q1, A1." in text
    )
    assert "## User *(left out of what is sent)*\n\nQ2" in text
    assert "## Assistant\n\nA2" in text


def test_json_keeps_the_flags_and_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    cid = saved_with_a_summary(path)
    with HistoryStore(path) as store:
        document = json.loads(export_conversation(store, cid, "json"))
        ids = by_text(store, cid)
    assert [m["content"][:12] for m in document["messages"]] == [
        "Be brief.", "Q1", "A1", "[Summary of ", "Q2", "A2",
    ]  # fmt: skip
    assert document["messages"][3] == {
        "role": "user",
        "content": "[Summary of 2 earlier messages of this conversation]\n\nThey said Q1, A1.",
    }
    flags = [entry.get("left_out", False) for entry in document["tuichat"]]
    assert flags == [False, True, True, False, True, False]
    assert document["tuichat"][3]["summary"]["messages"] == [ids["Q1"], ids["A1"]]
    assert document["tuichat"][3]["summary"]["count"] == 2
