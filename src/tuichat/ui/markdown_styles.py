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
    """A Rich colour for a theme value (`#rrggbbaa` is laid over the background).

    An ANSI theme's colours (`ansi_red`, `ansi_default`) stay the terminal's own: Rich's
    `color(1)`, `default`. Textual writes them as `ansi_red`, which Rich cannot read.
    """
    try:
        color = Color.parse(value or fallback)
    except Exception:
        color = Color.parse(fallback)
    if color.ansi is None and color.a < 1:
        if background.ansi is not None:
            return "default"  # laid over the terminal's own background
        color = background + color
    if color.ansi is not None:
        return "default" if color.ansi < 0 else f"color({color.ansi})"
    return color.hex


def markdown_theme(variables: Mapping[str, str]) -> RichTheme:
    """Rich's Markdown styles for a Textual theme's variables (`App.theme_variables`)."""
    background = Color.parse(variables.get("background") or "#000000")
    theme_foreground = variables.get("foreground") or "#e0e0e0"

    def color(name: str, fallback: str = theme_foreground) -> str:
        return _solid(variables.get(name), background, fallback)

    foreground = color("foreground")

    surface = color("surface", variables.get("background") or "#000000")
    accent = color("text-accent", variables.get("accent") or theme_foreground)
    theme_primary = variables.get("text-primary") or variables.get("primary") or theme_foreground
    primary = color("text-primary", theme_primary)
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
        "markdown.h1.border": color("markdown-h1-color", theme_primary),
        "markdown.kbd": f"bold {accent}",
    }
    for level in range(1, 7):
        text_style = variables.get(f"markdown-h{level}-text-style") or "bold"
        if text_style == "none":  # Textual's "no style"; Rich reads "none" alone only
            text_style = ""
        style = f"{text_style} {color(f'markdown-h{level}-color', theme_primary)}".strip()
        back = variables.get(f"markdown-h{level}-background")
        if back and back not in ("transparent", "initial"):
            style += f" on {_solid(back, background, '#000000')}"
        styles[f"markdown.h{level}"] = style
    styles["markdown.h7"] = f"italic {muted}"
    return RichTheme(styles, inherit=True)
