"""The word diff of two versions: exact pieces, joined runs, literal content."""

from __future__ import annotations

import itertools

from tuichat.ui.word_diff import DiffPiece, counts, diff_content, pieces, word_diff


def test_pieces_join_back_to_the_text() -> None:
    text = "Hello,  world!\nSecond line — über 2 tabs\tend."
    assert "".join(pieces(text)) == text
    assert pieces("a, b") == ["a", ",", " ", "b"]


def test_a_diff_rebuilds_both_versions_and_joins_runs() -> None:
    old = "The quick brown fox jumps over the lazy dog."
    new = "The quick red fox leaps over the lazy dog today."
    diff = word_diff(old, new)
    assert "".join(p.text for p in diff if p.change != "inserted") == old
    assert "".join(p.text for p in diff if p.change != "deleted") == new
    assert diff[:3] == [
        DiffPiece("same", "The quick "),
        DiffPiece("deleted", "brown"),
        DiffPiece("inserted", "red"),
    ]
    assert counts(diff) == (2, 3)  # brown, jumps / red, leaps, today
    assert all(a.change != b.change for a, b in itertools.pairwise(diff))


def test_the_same_text_is_one_run_and_empty_texts_none() -> None:
    assert word_diff("same words", "same words") == [DiffPiece("same", "same words")]
    assert word_diff("", "") == []
    assert word_diff("", "new") == [DiffPiece("inserted", "new")]


def test_the_content_is_literal_and_styled_by_change() -> None:
    diff = word_diff("[red]old[/red] \x1b[31mtext", "[red]new[/red] text")
    content = diff_content(diff)
    assert str(content) == "[red]oldnew[/red] text"  # no markup read, no escape kept
    styles = {str(content)[s.start : s.end]: str(s.style) for s in content.spans}
    assert "strike" in styles["old"] and "underline" in styles["new"]
