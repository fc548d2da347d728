"""Tests for the block splitting of streamed Markdown (tuichat.ui.markdown_blocks), no UI."""

from __future__ import annotations

import subprocess
import sys

from tuichat.ui.markdown_blocks import split_tail

TEXT = "# Title\n\nFirst paragraph\nstill first.\n\n- a\n- b\n\n```py\nx = 1\n```\nlast"


def finished_while_streaming(text: str) -> list[tuple[str, str]]:
    """Feed every prefix of `text` as a stream would; return the finished blocks, in order."""
    finished: list[tuple[str, str]] = []
    tail = ""
    for character in text:
        split = split_tail(tail + character)
        finished += split.finished
        tail = split.tail
    return finished + split_tail(tail, final=True).finished


def test_every_prefix_finishes_the_blocks_of_the_whole_text() -> None:
    whole = split_tail(TEXT, final=True).finished
    assert [kind for _source, kind in whole] == [
        "heading",
        "paragraph",
        "bullet_list",
        "fence",
        "paragraph",
    ]
    assert finished_while_streaming(TEXT) == whole


def test_a_list_waits_for_a_complete_line() -> None:
    # "10" alone could still become "10. tenth", which continues the list.
    split = split_tail("1. first\n\n10")
    assert split.finished == []
    assert split_tail("1. first\n\n10. tenth\n\nnext\n").finished == [
        ("1. first\n\n10. tenth\n", "ordered_list")
    ]


def test_a_paragraph_ends_at_a_blank_line_before_the_next_line_is_complete() -> None:
    split = split_tail("one paragraph\n\ntwo")
    assert split.finished == [("one paragraph", "paragraph")]
    assert split.done == "one paragraph\n\n"
    assert split.tail == "two"
    assert [(block.kind, block.start, block.end) for block in split.blocks] == [("paragraph", 0, 1)]
    assert split.lines == ["two"]


def test_an_open_fence_is_never_finished() -> None:
    split = split_tail("```\ncode\n\nmore code\n")
    assert split.finished == []
    assert split.blocks[0].kind == "fence"


def test_imports_neither_textual_nor_rich() -> None:
    code = (
        "import sys, tuichat.ui.markdown_blocks as blocks\n"
        "blocks.split_tail('# a\\n\\nb')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
