"""Theme files: TOML -> checked `ThemeSpec`s, without Textual (`tuichat.ui.themes` turns a
spec into a `textual.theme.Theme`).

A theme file sets Textual's theme colours at the top level and tuichat's own colours (and
any other Textual design variable) under `[variables]`:

    name = "nord"            # optional: the file name without .toml
    dark = true
    primary = "#88C0D0"
    background = "#2E3440"
    ...
    [variables]
    user-message = "#81A1C1"

Bundled themes ship in the package (`tuichat/themes/`); a user's `<config dir>/themes/*.toml`
override bundled ones of the same name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tuichat.config.paths import user_themes_dir

if TYPE_CHECKING:  # importlib.resources imports zipfile: not at start-up
    from importlib.resources.abc import Traversable

TUICHAT_VARIABLES = (
    "user-message",
    "assistant-message",
    "tool-call",
    "reasoning",
    "inspector-background",
)
"""tuichat's own colour variables; a theme may set each under `[variables]`."""

COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)
"""Textual `Theme` fields that hold a colour. Only `primary` is required."""

_OTHER_FIELDS = ("name", "dark", "luminosity_spread", "text_alpha", "variables")

_NUMBER = r"\s*-?\d+\.?\d*\s*"
_PERCENT = r"\s*-?\d+\.?\d*%\s*"
_COLOUR_PATTERN = re.compile(
    rf"""
    \#(?:[0-9a-fA-F]{{3}}|[0-9a-fA-F]{{4}}|[0-9a-fA-F]{{6}}|[0-9a-fA-F]{{8}})
    | rgb\({_NUMBER},{_NUMBER},{_NUMBER}\)
    | rgba\({_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}\)
    | hsl\({_NUMBER},{_PERCENT},{_PERCENT}\)
    | hsla\({_NUMBER},{_PERCENT},{_PERCENT},{_NUMBER}\)
    """,
    re.VERBOSE,
)
# The colour names Textual's CSS knows (lower case, as Textual matches them).
_ANSI = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
COLOUR_NAMES = frozenset(
    """
    transparent black silver gray white maroon red purple fuchsia green lime olive yellow
    navy blue teal aqua orange aliceblue antiquewhite aquamarine azure beige bisque
    blanchedalmond blueviolet brown burlywood cadetblue chartreuse chocolate coral
    cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen
    darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon
    darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink
    deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen gainsboro
    ghostwhite gold goldenrod greenyellow grey honeydew hotpink indianred indigo ivory khaki
    lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
    lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
    lightskyblue lightslategray lightslategrey lightsteelblue lightyellow limegreen linen
    magenta mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
    mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream
    mistyrose moccasin navajowhite oldlace olivedrab orangered orchid palegoldenrod
    palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue
    rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna skyblue
    slateblue slategray slategrey snow springgreen steelblue tan thistle tomato turquoise
    violet wheat whitesmoke yellowgreen rebeccapurple
    """.split()
    + [f"ansi_{name}" for name in _ANSI]
    + [f"ansi_bright_{name}" for name in _ANSI]
    + ["ansi_default"]
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_VARIABLE = re.compile(r"[a-z][a-z0-9-]*")


def is_colour(text: str) -> bool:
    """Whether Textual can parse `text` as a colour: `#rgb`, `#rrggbb` (with optional alpha),
    `rgb(...)`, `rgba(...)`, `hsl(...)`, `hsla(...)` or a CSS/ANSI colour name."""
    return text in COLOUR_NAMES or _COLOUR_PATTERN.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class ThemeSpec:
    """A checked theme file: Textual's `Theme` fields plus design variables."""

    name: str
    """The name to choose it by (`theme = "NAME"`)."""

    primary: str
    """The main accent colour: focus borders, highlights."""

    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    dark: bool = True
    """Whether it is a dark theme (Textual derives shades differently)."""

    luminosity_spread: float | None = None
    text_alpha: float | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Design variables: tuichat's (`user-message`, ...) and any of Textual's."""

    source: str = ""
    """The file it came from, for messages."""


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message is `FILE: FIELD: problem`."""


def parse_theme(text: str, file_name: str) -> ThemeSpec:
    """Check one theme file's text.

    Args:
        text: the TOML text.
        file_name: its name, e.g. `nord.toml` (the default theme name is its stem).

    Raises:
        ThemeFileError: the first problem found.
    """

    def fail(where: str, problem: str) -> ThemeFileError:
        return ThemeFileError(f"{file_name}: {where}: {problem}")

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(f"{file_name}: not valid TOML: {error}") from None

    unknown = sorted(set(document) - set(COLOUR_FIELDS) - set(_OTHER_FIELDS))
    if unknown:
        raise fail(
            unknown[0],
            f"unknown field (theme fields: {', '.join(COLOUR_FIELDS + _OTHER_FIELDS)})",
        )
    name = document.get("name", file_name.removesuffix(".toml"))
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise fail("name", f"{name!r} is not a theme name (letters, digits, '-', '_', '.')")
    if "primary" not in document:
        raise fail(
            "primary", 'missing; every theme needs a primary colour, e.g. primary = "#5f9fff"'
        )
    colours: dict[str, str] = {}
    for key in COLOUR_FIELDS:
        if key in document:
            colours[key] = _colour(document[key], lambda problem, key=key: fail(key, problem))
    dark = document.get("dark", True)
    if not isinstance(dark, bool):
        raise fail("dark", f"{dark!r} must be true or false")
    numbers: dict[str, float] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in document:
            value = document[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise fail(key, f"{value!r} must be a number from 0 to 1")
            numbers[key] = float(value)
    variables = document.get("variables", {})
    if not isinstance(variables, dict):
        raise fail("variables", "must be a table: [variables] with name = value lines below it")
    checked: dict[str, str] = {}
    for variable, value in variables.items():
        where = f"variables.{variable}"
        if not _VARIABLE.fullmatch(variable):
            raise fail(where, "variable names are lower case letters, digits and '-'")
        if variable in TUICHAT_VARIABLES:
            checked[variable] = _colour(value, lambda problem, where=where: fail(where, problem))
        elif not isinstance(value, str) or not value.strip():
            raise fail(where, f"{value!r} must be non-empty text")
        else:
            checked[variable] = value
    return ThemeSpec(
        name=name,
        dark=dark,
        variables=MappingProxyType(checked),
        source=file_name,
        **colours,  # type: ignore[arg-type]  # mypy cannot match the keys to the fields
        **numbers,  # type: ignore[arg-type]
    )


def _colour(value: Any, fail: Any) -> str:
    if not isinstance(value, str):
        raise fail(f'{value!r} is not a colour (write it in quotes, e.g. "#5f9fff")')
    colour = str(value).strip()
    if not is_colour(colour):
        raise fail(
            f"{colour!r} is not a colour (use #rrggbb, rgb(r, g, b), hsl(...) or a colour name)"
        )
    return colour


def load_theme_specs(dirs: Iterable[Traversable]) -> tuple[dict[str, ThemeSpec], list[str]]:
    """Load every `*.toml` theme in the directories, later directories overriding earlier.

    Args:
        dirs: e.g. `theme_dirs()`: the bundled themes, then the user's. Missing ones are
            skipped silently.

    Returns:
        The themes by name, and one message per file that could not be used (the file is
        skipped, the others load), e.g. `nord.toml: primary: 'not-a-colour' is not a colour`.
    """
    specs: dict[str, ThemeSpec] = {}
    problems: list[str] = []
    for directory in dirs:
        seen: dict[str, str] = {}
        for entry in _toml_files(directory):
            try:
                spec = parse_theme(entry.read_text(encoding="utf-8"), entry.name)
            except ThemeFileError as error:
                problems.append(str(error))
                continue
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{entry.name}: cannot read the file ({error})")
                continue
            if spec.name in seen:
                problems.append(
                    f"{entry.name}: name: {spec.name!r} is also the name in {seen[spec.name]}; "
                    f"{entry.name} is used"
                )
            seen[spec.name] = entry.name
            specs[spec.name] = spec
    return specs, problems


def _toml_files(directory: Traversable) -> list[Traversable]:
    try:
        entries = [entry for entry in directory.iterdir() if entry.name.endswith(".toml")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return []
    return sorted((entry for entry in entries if entry.is_file()), key=lambda entry: entry.name)


def bundled_themes_dir() -> Traversable:
    """The themes shipped with tuichat.

    In an installed wheel they are package data (`tuichat/themes/`, put there by hatch's
    force-include); in an editable install or a source checkout, the repo's top-level
    `themes/` directory.
    """
    packaged = Path(__file__).resolve().parents[1] / "themes"
    if _toml_files(packaged):
        return packaged
    return Path(__file__).resolve().parents[3] / "themes"


def theme_dirs() -> list[Traversable]:
    """Where themes are looked for, lowest priority first: bundled, then the user's."""
    return [bundled_themes_dir(), user_themes_dir()]


def load_all_theme_specs() -> tuple[dict[str, ThemeSpec], list[str]]:
    """`load_theme_specs(theme_dirs())`: bundled themes overridden by the user's."""
    return load_theme_specs(theme_dirs())
