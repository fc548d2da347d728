"""The `convert_units` tool: length, mass and temperature conversions with exact factors."""

from __future__ import annotations

import math

# Factors to the dimension's base unit (metre, kilogram). Imperial units use their exact
# international definitions (1 in = 25.4 mm, 1 lb = 0.45359237 kg).
_LENGTH: dict[str, float] = {
    "m": 1.0,
    "km": 1000.0,
    "cm": 0.01,
    "mm": 0.001,
    "um": 1e-6,
    "nm": 1e-9,
    "in": 0.0254,
    "ft": 0.3048,
    "yd": 0.9144,
    "mi": 1609.344,
    "nmi": 1852.0,
}
_MASS: dict[str, float] = {
    "kg": 1.0,
    "g": 0.001,
    "mg": 1e-6,
    "t": 1000.0,
    "oz": 0.028349523125,
    "lb": 0.45359237,
    "st": 6.35029318,
}
_TEMPERATURE = ("C", "F", "K")
_DIMENSIONS: dict[str, str] = {
    **{unit: "length" for unit in _LENGTH},
    **{unit: "mass" for unit in _MASS},
    **{unit: "temperature" for unit in _TEMPERATURE},
}

# Spelled-out names and variants, keyed case-folded, so 'Feet', 'kilometres' and '°F' all work.
_ALIASES: dict[str, str] = {
    **{unit.casefold(): unit for unit in _DIMENSIONS},
    "µm": "um",
    "μm": "um",
    "micrometer": "um",
    "micrometre": "um",
    "micron": "um",
    "nanometer": "nm",
    "nanometre": "nm",
    "millimeter": "mm",
    "millimetre": "mm",
    "centimeter": "cm",
    "centimetre": "cm",
    "meter": "m",
    "metre": "m",
    "kilometer": "km",
    "kilometre": "km",
    "inch": "in",
    "inches": "in",
    "foot": "ft",
    "feet": "ft",
    "yard": "yd",
    "mile": "mi",
    "nautical mile": "nmi",
    "milligram": "mg",
    "gram": "g",
    "kilogram": "kg",
    "kilo": "kg",
    "tonne": "t",
    "metric ton": "t",
    "ounce": "oz",
    "pound": "lb",
    "lbs": "lb",
    "stone": "st",
    "celsius": "C",
    "°c": "C",
    "degc": "C",
    "fahrenheit": "F",
    "°f": "F",
    "degf": "F",
    "kelvin": "K",
}


def _canonical_unit(name: str) -> str:
    """Resolve a unit symbol or name (plural, any case) to its symbol.

    Raises:
        ValueError: If the unit is unknown; the message lists the supported symbols.
    """
    key = " ".join(name.casefold().split())
    for candidate in (key, key.removesuffix("s"), key.removesuffix("es")):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    supported = "; ".join(
        f"{dimension}: {', '.join(u for u, d in _DIMENSIONS.items() if d == dimension)}"
        for dimension in ("length", "mass", "temperature")
    )
    raise ValueError(f"unknown unit {name!r}; supported units are {supported}")


def _to_kelvin(value: float, unit: str) -> float:
    if unit == "C":
        return value + 273.15
    if unit == "F":
        return (value - 32.0) * 5.0 / 9.0 + 273.15
    return value


def _from_kelvin(kelvin: float, unit: str) -> float:
    if unit == "C":
        return kelvin - 273.15
    if unit == "F":
        return (kelvin - 273.15) * 9.0 / 5.0 + 32.0
    return kelvin


def convert_units(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a length, mass or temperature value from one unit to another.

    Supported units: length m, km, cm, mm, um, nm, in, ft, yd, mi, nmi; mass kg, g, mg, t, oz,
    lb, st; temperature C, F, K. Full names such as 'feet' or 'celsius' work too.

    Args:
        value: The amount to convert.
        from_unit: The unit the value is in, e.g. 'km', 'lb' or 'F'.
        to_unit: The unit to convert to, of the same kind (length, mass or temperature).

    Returns:
        The converted value, rounded to 12 significant digits (hiding float noise).

    Raises:
        ValueError: If a unit is unknown, the units measure different things, or a temperature
            is below absolute zero.
    """
    if not math.isfinite(value):
        raise ValueError("the value must be a finite number")
    source, target = _canonical_unit(from_unit), _canonical_unit(to_unit)
    dimension = _DIMENSIONS[source]
    if _DIMENSIONS[target] != dimension:
        raise ValueError(
            f"cannot convert {dimension} ({source}) to {_DIMENSIONS[target]} ({target})"
        )
    if dimension == "temperature":
        kelvin = _to_kelvin(float(value), source)
        # A small tolerance: -459.67 F is exactly absolute zero but not in binary floats.
        if kelvin < -1e-9:
            raise ValueError(f"{value} {source} is below absolute zero")
        result = _from_kelvin(max(kelvin, 0.0), target)
    else:
        factors = _LENGTH if dimension == "length" else _MASS
        result = float(value) * factors[source] / factors[target]
    return float(f"{result:.12g}")
