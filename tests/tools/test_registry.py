"""The tool registry: schemas generated from signatures and docstrings, registering, enabling."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from tuichat.tools.builtin import BUILTIN_TOOLS
from tuichat.tools.builtin.calc import calculate
from tuichat.tools.builtin.time import get_current_time
from tuichat.tools.registry import Tool, ToolRegistry, default_registry, parse_docstring

# --- schema generation ------------------------------------------------------------------------


def search_notes(
    query: str,
    limit: int,
    threshold: float,
    exact: bool,
    tags: list[str],
    weights: dict[str, int],
    order: Literal["newest", "oldest"],
    folder: str | None,
    page: int = 1,
) -> list[str]:
    """Search the user's notes.

    Longer explanation that is not part of the summary.

    Args:
        query: Words to look for.
        limit (int): At most this many notes,
            counted after filtering.
        threshold: Minimum score.
        exact: Match whole words only.
        tags: Only notes with all these tags.
        weights: Per-field weights.
        order: Sort order.
        folder: Restrict to one folder.
        page: Which page of results.

    Returns:
        Note titles.
    """
    return []


def test_schema_types_enum_and_required() -> None:
    tool = Tool.from_function(search_notes)
    params = tool.parameters
    props = params["properties"]

    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert props["query"]["type"] == "string"
    assert props["limit"]["type"] == "integer"
    assert props["threshold"]["type"] == "number"
    assert props["exact"]["type"] == "boolean"
    assert props["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Only notes with all these tags.",
    }
    assert props["weights"]["type"] == "object"
    assert props["weights"]["additionalProperties"] == {"type": "integer"}
    assert props["order"]["enum"] == ["newest", "oldest"]
    assert props["order"]["type"] == "string"
    assert props["folder"]["type"] == "string"  # `| None` is expressed by not requiring it
    assert props["page"]["default"] == 1
    # `X | None` and defaulted parameters are optional; everything else is required, in order.
    assert params["required"] == [
        "query",
        "limit",
        "threshold",
        "exact",
        "tags",
        "weights",
        "order",
    ]


def test_schema_descriptions_come_from_the_docstring() -> None:
    tool = Tool.from_function(search_notes)
    props = tool.parameters["properties"]

    assert tool.name == "search_notes"
    assert tool.description == "Search the user's notes."
    assert props["query"]["description"] == "Words to look for."
    # A type in parentheses is dropped and continuation lines are joined.
    assert props["limit"]["description"] == "At most this many notes, counted after filtering."
    assert props["page"]["description"] == "Which page of results."
    assert "Note titles" not in json.dumps(tool.parameters)  # `Returns:` is not an argument


def test_schema_is_the_openai_function_shape() -> None:
    tool = Tool.from_function(search_notes, name="notes", source="plugin")

    assert tool.schema() == {
        "type": "function",
        "function": {
            "name": "notes",
            "description": "Search the user's notes.",
            "parameters": tool.parameters,
        },
    }
    assert tool.source == "plugin"
    json.dumps(tool.schema())  # must be sendable as is


def test_schema_for_async_function_without_docstring() -> None:
    async def ping(count: int = 1) -> str:
        return "pong" * count

    tool = Tool.from_function(ping)
    assert tool.description == ""
    assert tool.parameters["required"] == []
    assert tool.parameters["properties"]["count"] == {"type": "integer", "default": 1}


def test_parse_docstring_ends_args_at_next_section() -> None:
    summary, args = parse_docstring(
        """Do a thing
        over two lines.

        Args:
            a: First.
            b: Second,
                continued.

        Raises:
            ValueError: Not an argument.
        """
    )
    assert summary == "Do a thing over two lines."
    assert args == {"a": "First.", "b": "Second, continued."}


def test_unsupported_signatures_fail_at_registration() -> None:
    def takes_object(thing: object) -> None:
        """Take anything."""

    def positional_only(x: int, /) -> None:
        """Positional."""

    def star_args(*values: int) -> None:
        """Variadic."""

    for fn in (takes_object, positional_only, star_args):
        with pytest.raises(TypeError, match=fn.__name__):
            Tool.from_function(fn)
    with pytest.raises(ValueError, match="invalid tool name"):
        Tool.from_function(calculate, name="has space")


# --- registry ---------------------------------------------------------------------------------


def test_registry_register_get_enable() -> None:
    registry = ToolRegistry()
    tool = registry.register(calculate)

    assert registry.get("calculate") is tool
    assert registry.get("missing") is None
    assert "calculate" in registry
    assert "missing" not in registry
    assert len(registry) == 1
    with pytest.raises(ValueError, match="already registered"):
        registry.register(calculate)

    registry.register(get_current_time)
    assert registry.names() == ["calculate", "get_current_time"]
    registry.set_enabled("calculate", False)
    assert [s["function"]["name"] for s in registry.schemas()] == ["get_current_time"]
    assert registry.names() == ["calculate", "get_current_time"]  # still registered
    assert not registry.is_enabled("calculate")
    registry.set_enabled("calculate", True)
    assert [s["function"]["name"] for s in registry.schemas()] == ["calculate", "get_current_time"]
    with pytest.raises(KeyError):
        registry.set_enabled("nope", False)


def test_default_registry_has_builtins_and_is_fresh() -> None:
    first = default_registry()
    assert first.names() == ["get_current_time", "calculate", "convert_units"]
    assert len(first) == len(BUILTIN_TOOLS)
    assert all(tool.source == "builtin" for tool in first)
    first.set_enabled("calculate", False)
    assert default_registry().is_enabled("calculate")  # no state shared between registries
    assert not default_registry(disabled=["calculate", "not-a-tool"]).is_enabled("calculate")
