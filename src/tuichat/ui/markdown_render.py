"""A block of Markdown as Rich renders it, without a new parser for every block.

The streaming view renders its unfinished tail every frame; Rich would build a `MarkdownIt`
for each `Markdown` it makes. ``rich.markdown`` (with ``markdown-it-py`` and Pygments) is
imported on the first answer, not at start-up (``tuichat.ui.warmup`` imports it in a thread).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

_rich_parser: MarkdownIt | None = None
_markdown_templates: dict[str, Markdown] = {}


def make_markdown(source: str, code_theme: str) -> Markdown:
    """Build a ``rich.markdown.Markdown`` without building a parser for it.

    Rich creates a new ``MarkdownIt`` for every ``Markdown`` (about 0.5 ms, as much as
    rendering a short paragraph), and the tail is rendered every frame. So a template
    built by Rich is copied and given the source parsed by one shared parser, set up
    exactly as Rich sets up its own. If Rich's internals change, Rich builds it.

    ``rich.markdown`` (with ``markdown-it-py`` and Pygments) is imported here, when the
    first answer is rendered, rather than at start-up.

    Args:
        source: Markdown source.
        code_theme: Pygments theme for code blocks.

    Returns:
        A renderable.
    """
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

    global _rich_parser
    template = _markdown_templates.get(code_theme)
    if template is None:
        template = Markdown("", code_theme=code_theme, hyperlinks=False)
        _markdown_templates[code_theme] = template
    if not hasattr(template, "parsed") or not hasattr(template, "markup"):
        return Markdown(source, code_theme=code_theme, hyperlinks=False)
    if _rich_parser is None:
        # The same configuration as rich.markdown.Markdown.__init__.
        _rich_parser = MarkdownIt().enable("strikethrough").enable("table")
    markdown = copy.copy(template)
    markdown.markup = source
    markdown.parsed = _rich_parser.parse(source)
    return markdown
