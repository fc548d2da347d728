"""Theme specs (checked TOML, `tuichat.config.theme_files`) -> Textual themes on the app.

Registering puts themes in the app's own registry; Textual's `BUILTIN_THEMES` is never
touched, so a bundled theme named like a Textual one (`nord`) replaces it in this app only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

from tuichat.config.theme_files import COLOUR_FIELDS, TUICHAT_VARIABLES, ThemeSpec


class ThemeConversionError(ValueError):
    """A spec Textual rejects; the message is `FILE: FIELD: problem`."""


def to_textual_theme(spec: ThemeSpec) -> Theme:
    """Build a Textual `Theme`, checking every colour with `Color.parse`.

    Raises:
        ThemeConversionError: a colour Textual cannot parse (the config-side check is a
            regex; this is the authority).
    """
    colours: dict[str, str] = {}
    for name in COLOUR_FIELDS:
        value = getattr(spec, name)
        if value is not None:
            _check(spec, name, value)
            colours[name] = value
    for name in TUICHAT_VARIABLES:
        if name in spec.variables:
            _check(spec, f"variables.{name}", spec.variables[name])
    extra: dict[str, float] = {}
    if spec.luminosity_spread is not None:
        extra["luminosity_spread"] = spec.luminosity_spread
    if spec.text_alpha is not None:
        extra["text_alpha"] = spec.text_alpha
    theme = Theme(
        name=spec.name,
        dark=spec.dark,
        variables=dict(spec.variables),
        **colours,  # type: ignore[arg-type]  # mypy cannot match the keys to the fields
        **extra,  # type: ignore[arg-type]
    )
    try:
        # Textual parses the colours as it will on a switch: fails now, not then. (Deriving
        # every shade with `generate()` as well cost ~0.6 ms a theme at each start-up, and
        # once every colour parses it has nothing left to fail on.)
        theme.to_color_system()
    except (ColorParseError, ValueError) as error:
        raise ThemeConversionError(f"{spec.source or spec.name}: {error}") from None
    return theme


def _check(spec: ThemeSpec, field: str, value: str) -> None:
    try:
        Color.parse(value)
    except ColorParseError as error:
        raise ThemeConversionError(f"{spec.source or spec.name}: {field}: {error}") from None


def register_all(app: App[Any], specs: Mapping[str, ThemeSpec] | Iterable[ThemeSpec]) -> list[str]:
    """Register every theme that converts; report the others.

    Args:
        app: the app (before or after mount).
        specs: from `load_theme_specs()`: a dict by name, or the specs themselves.

    Returns:
        One message per theme that could not be registered (for one notification).
    """
    problems: list[str] = []
    values = specs.values() if isinstance(specs, Mapping) else specs
    for spec in values:
        try:
            app.register_theme(to_textual_theme(spec))
        except ThemeConversionError as error:
            problems.append(str(error))
    return problems


def available_theme_names(specs: Iterable[str]) -> set[str]:
    """Theme names the app will know: Textual's built-in ones plus the loaded specs' names."""
    return set(BUILTIN_THEMES) | set(specs)
