"""The styles of rendered Markdown, from the app's theme, as Textual's own Markdown widget has.

Answers are rendered by Rich, whose default Markdown styles are fixed colours (magenta
headings and quotes, cyan tables): they ignore the theme and read as errors on some. Here
every `markdown.*` style comes from the theme's variables (`markdown-h1-color`,
`text-accent`, `foreground-muted`, ...), in every bundled theme, light and dark.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.theme import Theme as RichTheme
from textual.color import Color


def _solid(value: str | None, background: Color, fallback: str) -> str:
    """A Rich colour for a theme value (`#rrggbbaa` is laid over the background)."""
    try:
        color = Color.parse(value or fallback)
    except Exception:
        color = Color.parse(fallback)
    if color.a < 1:
        color = background + color
    return color.hex


def markdown_theme(variables: Mapping[str, str]) -> RichTheme:
    """Rich's Markdown styles for a Textual theme's variables (`App.theme_variables`)."""
    background = Color.parse(variables.get("background") or "#000000")
    foreground = variables.get("foreground") or "#e0e0e0"

    def color(name: str, fallback: str = foreground) -> str:
        return _solid(variables.get(name), background, fallback)

    surface = color("surface", variables.get("background") or "#000000")
    accent = color("text-accent", variables.get("accent") or foreground)
    primary = color("text-primary", variables.get("primary") or foreground)
    muted = color("foreground-muted")
    styles = {
        "markdown.block_quote": f"italic {muted}",
        "markdown.link": f"underline {accent}",
        "markdown.link_url": f"underline {accent}",
        "markdown.code": f"bold {accent} on {surface}",
        "markdown.code_block": f"{foreground} on {surface}",
        "markdown.hr": muted,
        "markdown.list": "none",
        "markdown.item.bullet": f"bold {primary}",
        "markdown.item.number": f"bold {primary}",
        "markdown.table.border": muted,
        "markdown.table.header": f"bold {primary}",
        "markdown.h1.border": color("markdown-h1-color", primary),
        "markdown.kbd": f"bold {accent}",
    }
    for level in range(1, 7):
        text_style = variables.get(f"markdown-h{level}-text-style") or "bold"
        style = f"{text_style} {color(f'markdown-h{level}-color', primary)}"
        back = variables.get(f"markdown-h{level}-background")
        if back and back not in ("transparent", "initial"):
            style += f" on {_solid(back, background, '#000000')}"
        styles[f"markdown.h{level}"] = style
    styles["markdown.h7"] = f"italic {muted}"
    return RichTheme(styles, inherit=True)
