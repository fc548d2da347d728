"""Cutting text into token-like deltas, as a model streams them, and the benchmark prose.

`split_tokens` paces every scripted answer; `flood_tokens` is the Markdown prose of a
`Flood` reply, many small chunks as fast as possible.
"""

from __future__ import annotations

import re

__all__ = ["flood_tokens", "split_tokens"]

_WORD_RE = re.compile(r"\s*\S+|\s+")
_ASCII_PIECE = 5  # long ASCII words are cut into pieces of this many characters
_WIDE_PIECE = 2  # Hangul and other non-ASCII words: about one token per syllable pair


def split_tokens(text: str) -> list[str]:
    """Split text into small token-like deltas, like a model streams them.

    Each piece is a word with its leading whitespace; long words are cut further (Korean
    and other non-ASCII words into 2-character pieces) so streaming looks realistic and
    multi-byte text arrives in many deltas. `"".join(split_tokens(t)) == t` always holds.

    Args:
        text: The text to split.

    Returns:
        The deltas, in order.
    """
    out: list[str] = []
    for match in _WORD_RE.finditer(text):
        piece = match.group()
        word = piece.lstrip()
        lead = piece[: len(piece) - len(word)]
        size = _ASCII_PIECE if word.isascii() else _WIDE_PIECE
        if len(word) <= size + 1:
            out.append(piece)
            continue
        parts = [word[i : i + size] for i in range(0, len(word), size)]
        parts[0] = lead + parts[0]
        out.extend(parts)
    return out


_FLOOD_SENTENCES = (
    "The stream keeps arriving in small pieces and the reader keeps up with it.",
    "Every token is a tiny promise that more text is on its way.",
    "A good client renders finished blocks once and only redraws the growing tail.",
    "Terminals are fast when nobody asks them to repaint the whole screen.",
    "This paragraph exists to measure throughput, not to win a prize for prose.",
    "Short words travel quickly, and long answers are made of many short words.",
)
_FLOOD_WORDS: tuple[str, ...] = tuple(
    word for sentence in _FLOOD_SENTENCES for word in sentence.split()
)


def flood_tokens(n_chunks: int, words_per_chunk: int = 1, paragraph_every: int = 40) -> list[str]:
    """Return `n_chunks` content deltas of Markdown prose for a benchmark flood.

    Args:
        n_chunks: Number of deltas.
        words_per_chunk: Words per delta (each with its leading space).
        paragraph_every: Start a new paragraph (blank line) every this many deltas.

    Returns:
        The deltas; their concatenation is readable Markdown paragraphs.
    """
    words = _FLOOD_WORDS
    n_words = len(words)
    out: list[str] = []
    w = 0
    per = max(1, words_per_chunk)
    every = max(1, paragraph_every)
    for i in range(n_chunks):
        chunk_words = [words[(w + k) % n_words] for k in range(per)]
        w += per
        if i == 0:
            out.append(" ".join(chunk_words))
        elif i % every == 0:
            out.append("\n\n" + " ".join(chunk_words))
        else:
            out.append(" " + " ".join(chunk_words))
    return out
