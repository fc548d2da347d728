"""The demo model's long answer: an essay composed from hand-written sentences.

The sentences live in package data (`tuichat/demo/texts/essay_*.txt`), one per item: "# "
starts a section (its heading), "+ " is a paragraph's opening sentence (one paragraph per
opening, never reused), "- " a body sentence that paragraphs of the section draw from,
"= " the essay's last paragraph, and an indented line continues the item above. They are
read and parsed on the first long answer, not at import.
"""

from __future__ import annotations

import functools
import random
import zlib
from typing import TypeAlias

from tuichat.demo.texts import read_text

__all__ = ["long_text"]

_Section: TypeAlias = tuple[str, tuple[str, ...], tuple[str, ...]]
_Essay: TypeAlias = tuple[tuple[_Section, ...], str]


def _parse_items(source: str) -> list[tuple[str, str]]:
    """Parse an essay text into `(marker, sentence)` items.

    The essays' sentences are one per item: "# " starts a section (its heading), "+ " is a
    paragraph's opening sentence (one paragraph per opening, never reused), "- " a body
    sentence that paragraphs of the section draw from, "= " the essay's last paragraph, and
    an indented line continues the item above.
    """
    items: list[tuple[str, str]] = []
    for line in source.splitlines():
        if line.startswith("  ") and items:
            marker, text = items[-1]
            items[-1] = (marker, f"{text} {line.strip()}")
        elif line.strip():
            marker, _, text = line.partition(" ")
            items.append((marker, text.strip()))
    return items


def _parse_essay(source: str) -> _Essay:
    """Parse an essay text block into `(heading, openings, bodies)` sections and an ending."""
    sections: list[tuple[str, list[str], list[str]]] = []
    ending = ""
    for marker, text in _parse_items(source):
        if marker == "#":
            sections.append((text, [], []))
        elif marker == "+":
            sections[-1][1].append(text)
        elif marker == "=":
            ending = text
        else:
            sections[-1][2].append(text)
    return tuple((heading, tuple(op), tuple(body)) for heading, op, body in sections), ending


@functools.cache
def _essay(korean: bool) -> _Essay:
    return _parse_essay(read_text("essay_ko.txt" if korean else "essay_en.txt"))


@functools.cache
def _essay_closers() -> tuple[str, ...]:
    """One of these ends each English paragraph, each used once, so paragraphs do not all end
    alike."""
    return tuple(text for _, text in _parse_items(read_text("essay_en_closers.txt")))


def long_text(prompt: str = "", *, korean: bool = False, paragraphs: int = 30) -> str:
    """Compose a long essay deterministically (same prompt, same essay).

    The essay has a title, section headings, up to `paragraphs` paragraphs and a closing
    paragraph. Each paragraph is a hand-written opening sentence followed by body sentences
    drawn (seeded by the prompt) from its section's pool, none of them used twice, so it
    reads like prose rather than filler: about 2,500 words in English, 20 shorter
    paragraphs in Korean.

    Args:
        prompt: Seeds the choice and order of body sentences.
        korean: Write the essay in Korean.
        paragraphs: Maximum number of paragraphs, besides the closing one.

    Returns:
        The Markdown text.
    """
    rng = random.Random(zlib.crc32(prompt.encode("utf-8")))
    sections, ending = _essay(korean)
    if korean:
        title = "# 터미널, 스트림, 그리고 인내에 관하여"
        intro = "*tuichat 데모 모델이 쓴 긴 글입니다. 스크롤과 스트리밍을 확인해 보세요.*"
        closers: list[str] = []
    else:
        title = "# On Terminals, Streams and Patience"
        intro = (
            "*A long answer from the tuichat demo model, to watch streaming, rendering and "
            "scrolling at work.*"
        )
        closers = list(_essay_closers())
        rng.shuffle(closers)
    parts = [title, intro]
    per_section = -(-paragraphs // len(sections))  # ceiling division
    written = 0
    for heading, openings, bodies in sections:
        if written >= paragraphs:
            break
        parts.append(f"## {heading}")
        count = min(per_section, len(openings), paragraphs - written)
        # As many body sentences per paragraph as the pool allows without reusing one.
        per_paragraph = max(1, min(3, len(bodies) // max(1, count)))
        order = list(bodies)
        rng.shuffle(order)
        for i in range(count):
            chosen = order[i * per_paragraph : (i + 1) * per_paragraph]
            sentences = [openings[i], *chosen]
            if written < len(closers):
                sentences.append(closers[written])
            parts.append(" ".join(sentences))
            written += 1
    if ending:
        parts.append(ending)
    return "\n\n".join(parts) + "\n"
