"""Where a streamed Markdown text splits into blocks that no further text can change.

`StreamingMarkdown` renders each finished top-level block once and only the unfinished
tail again and again. This module decides what is finished; it renders nothing and needs
neither Textual nor Rich, only ``markdown-it-py``, configured like Rich's own Markdown
parser, for the block structure (imported on first use: it is needed when the first answer
arrives, not at start-up).

CommonMark decides block structure line by line, so a block is finished once the next
block starts on a complete line; some end sooner (see `count_finished`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = [
    "CONTAINER_KINDS",
    "TailSplit",
    "TopBlock",
    "count_finished",
    "is_open_fence",
    "needs_separator",
    "split_tail",
    "top_level_blocks",
]

# Kinds of top-level block that nothing after them can extend once another block
# has started: their end is marked by their own lines.
SELF_CLOSED_KINDS = frozenset({"heading", "hr", "fence"})
# Kinds of top-level block that end at a blank line and cannot be continued after it.
BLANK_CLOSED_KINDS = frozenset({"paragraph", "table", "blockquote", "html_block"})
# Blocks that Rich renders when they close, after their children have set its
# "new line" flag: Rich always puts a blank line before them (even first in the
# document or after a rule), and renders them on their own with a leading blank line.
CONTAINER_KINDS = frozenset({"bullet_list", "ordered_list", "blockquote", "table"})

_block_parser: MarkdownIt | None = None


def block_parser() -> MarkdownIt:
    """The parser used to find block boundaries (shared, created on first use).

    Same block rules as Rich's Markdown parser (commonmark + tables), with the inline
    pass disabled: only the block structure is needed here, and Rich parses each block
    again for rendering.
    """
    global _block_parser
    if _block_parser is None:
        from markdown_it import MarkdownIt

        _block_parser = (
            MarkdownIt("commonmark").enable(["strikethrough", "table"]).disable("inline")
        )
    return _block_parser


@dataclass(slots=True)
class TopBlock:
    """A top-level block found by the block parser (line numbers relative to the tail)."""

    kind: str
    """Token type without ``_open`` (``paragraph``, ``bullet_list``, ``fence``, ...)."""
    start: int
    """First line."""
    end: int
    """Line after the last line."""
    token: Token
    """The opening token (for fences: ``info``, ``markup`` and ``content``)."""


def top_level_blocks(tokens: list[Token]) -> list[TopBlock]:
    """Extract the top-level blocks from a markdown-it token stream.

    Args:
        tokens: Tokens from ``MarkdownIt.parse``.

    Returns:
        The blocks in source order.
    """
    blocks: list[TopBlock] = []
    for token in tokens:
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            kind = token.type.removesuffix("_open")
            blocks.append(TopBlock(kind, token.map[0], token.map[1], token))
    return blocks


def count_finished(blocks: list[TopBlock], lines: list[str]) -> int:
    """Count the leading blocks of the tail that no further text can change.

    A block is finished when the next block starts on a complete line (CommonMark
    decides block structure line by line, so a complete line that starts a new block
    closes the previous one for good). Some blocks are finished earlier, while the
    next block's first line is still partial: headings, rules and closed fences end
    with their own line, and paragraphs, tables and quotes cannot be continued after a
    blank line. Lists and indented code can (``1. a`` / blank / ``10. b`` is one list,
    while the partial ``10`` alone would be a paragraph), so they wait for a complete
    line.

    Args:
        blocks: The top-level blocks of the tail.
        lines: The tail split on ``\\n``; the last item is the partial line.

    Returns:
        How many leading blocks are finished (never the last one).
    """
    complete_lines = len(lines) - 1
    finished = 0
    for index in range(len(blocks) - 1):
        block, following = blocks[index], blocks[index + 1]
        if (
            following.start < complete_lines
            or block.kind in SELF_CLOSED_KINDS
            or (block.kind in BLANK_CLOSED_KINDS and not lines[following.start - 1].strip())
        ):
            finished = index + 1
        else:
            break
    return finished


def needs_separator(previous: str | None, kind: str) -> bool:
    """Whether Rich puts a blank line between two top-level blocks.

    Rich separates blocks with a blank line except after a horizontal rule (which
    renders its own blank line), but container blocks always get one. Unlike Rich,
    nothing goes before the first block, so a message never starts with a blank line.

    Args:
        previous: Kind of the previous block that rendered lines, or None if first.
        kind: Kind of the block.

    Returns:
        True if a blank line goes before the block.
    """
    return previous is not None and (previous != "hr" or kind in CONTAINER_KINDS)


def is_open_fence(block: TopBlock, lines: list[str]) -> bool:
    """Whether a fenced code block has no closing fence yet.

    Args:
        block: A block of kind ``fence``.
        lines: The lines the block's line numbers refer to.

    Returns:
        True if the fence is still open (it runs to the end of the text).
    """
    if block.end - block.start < 2:
        return True
    last = lines[block.end - 1]
    stripped = last.lstrip(" ")
    if len(last) - len(stripped) > 3:
        return True
    marker = block.token.markup
    body = stripped.rstrip(" \t")
    return not (len(body) >= len(marker) and body == marker[0] * len(body))


@dataclass(slots=True)
class TailSplit:
    """The unfinished text of a stream, split into what is finished and what is not."""

    finished: list[tuple[str, str]]
    """(source, kind) of each leading block that no further text can change, in order."""
    done: str
    """The text those blocks take (with the blank lines after them)."""
    tail: str
    """The rest of the text, from the first unfinished block on."""
    blocks: list[TopBlock]
    """The unfinished blocks, line numbers relative to `lines`."""
    lines: list[str]
    """`tail` split on ``\\n``."""


def split_tail(text: str, final: bool = False) -> TailSplit:
    """Parse the unfinished text of a stream and split off the blocks that are finished.

    Args:
        text: The text after the last finished block.
        final: The stream has ended: every block is finished.

    Returns:
        The finished blocks and what is left.
    """
    lines = text.split("\n")
    blocks = top_level_blocks(block_parser().parse(text))
    count = len(blocks) if final else count_finished(blocks, lines)
    if not count:
        return TailSplit([], "", text, blocks, lines)
    finished = [("\n".join(lines[block.start : block.end]), block.kind) for block in blocks[:count]]
    # Cut where the first unfinished block starts (or at the end of the text).
    cut_line = blocks[count].start if count < len(blocks) else len(lines)
    offset = min(len(text), sum(len(line) + 1 for line in lines[:cut_line]))
    rest = [
        TopBlock(block.kind, block.start - cut_line, block.end - cut_line, block.token)
        for block in blocks[count:]
    ]
    return TailSplit(finished, text[:offset], text[offset:], rest, lines[cut_line:])


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks of a Markdown text, in order."""
    blocks: list[str] = []
    lines: list[str] | None = None
    fence = ""
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if lines is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            lines = []
        elif lines is not None and stripped.startswith(fence):
            blocks.append("\n".join(lines))
            lines = None
        elif lines is not None:
            lines.append(line)
    return blocks
