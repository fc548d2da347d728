"""A word diff of two texts (two versions of an answer), and how it is shown.

Both texts (terminal controls removed first, as everywhere model text is shown) are cut into
words, runs of spaces and single marks; `difflib` matches the pieces, and the result rebuilds
either text exactly (the old one from what is kept and deleted, the new one from what is kept
and inserted). The shown diff is `Content` built from the pieces, so model text is never read
as markup.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from textual.content import Content

from tuichat.core.text import strip_control

Change = Literal["same", "deleted", "inserted"]
_PIECES = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)

DELETED_STYLE = "strike $text-error"
INSERTED_STYLE = "underline $text-success"


@dataclass(frozen=True, slots=True)
class DiffPiece:
    """A run of the diff: text both versions have, or only the old one, or only the new."""

    change: Change
    text: str


def pieces(text: str) -> list[str]:
    """The words, runs of white space and marks of a text, in order (they join to it)."""
    return _PIECES.findall(text)


def word_diff(old: str, new: str) -> list[DiffPiece]:
    """What changed from `old` to `new`, word by word; runs of one kind are joined.

    A replaced run is its deletion, then its insertion.
    """
    before, after = pieces(strip_control(old)), pieces(strip_control(new))
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    out: list[DiffPiece] = []

    def add(change: Change, parts: list[str]) -> None:
        text = "".join(parts)
        if not text:
            return
        if out and out[-1].change == change:
            out[-1] = DiffPiece(change, out[-1].text + text)
        else:
            out.append(DiffPiece(change, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", before[i1:i2])
        else:
            add("deleted", before[i1:i2])
            add("inserted", after[j1:j2])
    return out


def counts(diff: list[DiffPiece]) -> tuple[int, int]:
    """How many words were deleted and inserted."""
    deleted = sum(len(re.findall(r"\w+", p.text)) for p in diff if p.change == "deleted")
    inserted = sum(len(re.findall(r"\w+", p.text)) for p in diff if p.change == "inserted")
    return deleted, inserted


def diff_content(diff: list[DiffPiece]) -> Content:
    """The diff as content: deletions struck through, insertions underlined, in theme colours;
    every piece literal."""
    styles = {"same": "", "deleted": DELETED_STYLE, "inserted": INSERTED_STYLE}
    return Content.assemble(*((p.text, styles[p.change]) for p in diff))
