"""`tuichat export ID --turn N --format turn`: one saved answer's wire as a turn file."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tuichat.commands import history
from tuichat.core.events import RawChunk
from tuichat.core.turn_file import parse_turn
from tuichat.demo.replies import Scripted, ToolCall
from tuichat.demo.server import ChatServer
from tuichat.storage.store import HistoryStore

from .test_ask import KEY, ask_inline


def export(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = history.run(["export", *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def tool_turn(server: ChatServer, db: Path) -> None:
    server.enqueue(
        Scripted(tool_calls=[ToolCall("calculate", {"expression": "6*7"}, id="call_1")]),
        Scripted(text="It is **42**."),
    )
    code, out, _ = ask_inline(server, db, "what is 6*7?")
    assert code == 0 and "42" in out


def test_each_answer_of_a_turn_exports_as_its_own_file(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    tool_turn(server, db)
    code, first, err = export("last", "--turn", "1", "--db", str(db))
    assert code == 0 and err == ""
    turn = parse_turn(first.encode())
    assert turn.prompt == "what is 6*7?" and turn.status == 200 and not turn.reconstructed
    assert b'"name":"calculate"' in turn.body and KEY not in first
    # The default is the last answer; -o FILE.turn.json picks the format by itself.
    target = tmp_path / "answer.turn.json"
    assert export("1", "--db", str(db), "-o", str(target)) == (0, "", "")
    last = parse_turn(target.read_bytes())
    assert b"42" in last.body
    assert json.loads(target.read_text())["request"]["body"]["messages"][-1]["role"] == "tool"
    assert export("1", "--turn", "last", "--db", str(db))[1] == target.read_text()


def test_wrong_answers_and_options_say_so(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    tool_turn(server, db)
    code, _, err = export("last", "--turn", "3", "--db", str(db))
    assert code == 1 and "has 2 answers, not 3" in err
    code, _, err = export("last", "--turn", "0", "--db", str(db))
    assert code == 2 and "--turn must be 1, 2, ... or `last`" in err
    code, _, err = export("last", "--turn", "1", "--format", "md", "--db", str(db))
    assert code == 2 and "--turn goes with --format turn" in err


def test_an_answer_saved_by_an_older_tuichat_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        conversation = store.create_conversation()
        store.add_message(conversation, {"role": "user", "content": "q"})
        answer = store.start_answer(conversation)
        chunk = '{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}'
        store.finish_answer(
            answer,
            {"role": "assistant", "content": "a", "finish_reason": "stop"},
            raw_chunks=[RawChunk(chunk, 0.1), RawChunk("[DONE]", 0.2)],
        )
        other = store.start_answer(conversation)
        store.finish_answer(other, {"role": "assistant", "content": "b"})
    code, out, _ = export("last", "--turn", "1", "--db", str(db))
    assert code == 0 and parse_turn(out.encode()).reconstructed
    assert parse_turn(out.encode()).body == f"data: {chunk}\n\ndata: [DONE]\n\n".encode()
    code, _, err = export("last", "--turn", "2", "--db", str(db))
    assert code == 1 and "no raw chunks were saved for answer 2" in err
