"""The tools tuichat ships with: safe, read-only, no network, stdlib only.

Each is a plain typed function with a Google-style docstring; `tuichat.tools.registry` derives
the schema the model sees from exactly that, so the docstrings here are written for the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuichat.tools.builtin.calc import calculate
from tuichat.tools.builtin.time import get_current_time
from tuichat.tools.builtin.units import convert_units

# In the order they are offered to the model.
BUILTIN_TOOLS: tuple[Callable[..., Any], ...] = (get_current_time, calculate, convert_units)

__all__ = ["BUILTIN_TOOLS", "calculate", "convert_units", "get_current_time"]
