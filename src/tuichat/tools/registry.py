"""Tools the model may call: their JSON schemas and the registry the client offers them from.

A tool is a plain typed Python function with a Google-style docstring. `Tool.from_function`
derives the OpenAI function schema from the signature (types, defaults, `Literal` enums) and the
docstring (summary, `Args:` descriptions), so a tool's documentation and its schema cannot drift
apart. The registry keeps tools in registration order and lets the user switch single tools off
without unregistering them.

Stdlib only: this package must stay importable without the UI stack.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

JSONSchema = dict[str, Any]

# OpenAI (and most compatible servers) reject function names outside this pattern.
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_SCALAR_TYPES: dict[object, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}

# Google-style section headers; the first one ends the summary, `Args:` and its synonyms hold the
# parameter descriptions.
_ARGS_HEADERS = frozenset({"args", "arguments", "parameters", "params"})
_SECTION_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_ARG_LINE = re.compile(r"^\*{0,2}(?P<name>\w+)\s*(?:\([^)]*\))?\s*:\s*(?P<desc>.*)$")


@dataclass
class Tool:
    """A function the model may call.

    Attributes:
        name: The name the model calls the tool by (`[A-Za-z0-9_-]{1,64}`).
        description: What the tool does, for the model.
        parameters: The JSON schema (an `object` schema) of the keyword arguments.
        function: The Python callable; sync functions run in a worker thread, async ones are
            awaited (see `tuichat.tools.executor`).
        source: Where the tool comes from (`"builtin"`, a plugin name, ...), for display.
    """

    name: str
    description: str
    parameters: JSONSchema
    function: Callable[..., Any]
    source: str = "builtin"

    def __post_init__(self) -> None:
        if not _NAME_PATTERN.match(self.name):
            raise ValueError(
                f"invalid tool name {self.name!r}: use 1-64 letters, digits, '_' or '-'"
            )

    @classmethod
    def from_function(
        cls, fn: Callable[..., Any], name: str | None = None, source: str = "builtin"
    ) -> Tool:
        """Build a tool from a typed function and its Google-style docstring.

        Supported annotations: `str`, `int`, `float`, `bool`, `list[X]`, `dict[str, X]`,
        `Literal[...]` (an `enum`), `X | None`, `Any` or none at all (any JSON value). A parameter
        with a default, or typed `X | None`, is not required.

        Args:
            fn: The function (sync or async).
            name: The tool's name; defaults to the function's `__name__`.
            source: Where the tool comes from, see `Tool.source`.

        Returns:
            The tool.

        Raises:
            TypeError: If a parameter cannot be passed by keyword or its type has no JSON
                schema equivalent (better to fail at registration than when the model calls it).
        """
        tool_name = name if name is not None else getattr(fn, "__name__", None)
        if not tool_name:
            raise TypeError(f"cannot infer a tool name for {fn!r}; pass name=")
        summary, arg_docs = parse_docstring(inspect.getdoc(fn))
        # eval_str resolves annotations written under `from __future__ import annotations`.
        try:
            signature = inspect.signature(fn, eval_str=True)
        except NameError as exc:
            raise TypeError(f"tool {tool_name!r}: cannot resolve an annotation: {exc}") from None
        properties: dict[str, JSONSchema] = {}
        required: list[str] = []
        for param in signature.parameters.values():
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                continue  # extra keywords are not advertised; the schema stays closed
            if param.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL):
                raise TypeError(
                    f"tool {tool_name!r}: parameter {param.name!r} cannot be passed by keyword"
                )
            try:
                prop, nullable = annotation_schema(param.annotation)
            except TypeError as exc:
                raise TypeError(f"tool {tool_name!r}, parameter {param.name!r}: {exc}") from None
            if param.name in arg_docs:
                prop = {**prop, "description": arg_docs[param.name]}
            if param.default is not inspect.Parameter.empty:
                default = param.default
                if default is None or isinstance(default, (str, int, float, bool)):
                    prop["default"] = default
            elif not nullable:
                required.append(param.name)
            properties[param.name] = prop
        parameters: JSONSchema = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        return cls(
            name=tool_name,
            description=summary,
            parameters=parameters,
            function=fn,
            source=source,
        )

    def schema(self) -> JSONSchema:
        """Return the tool in the shape the Chat Completions `tools=` list expects."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def annotation_schema(annotation: Any) -> tuple[JSONSchema, bool]:
    """Translate a type annotation into a JSON schema.

    Args:
        annotation: A (resolved) annotation; `inspect.Parameter.empty` means unannotated.

    Returns:
        The schema, and whether the annotation admits `None` (such a parameter is optional).

    Raises:
        TypeError: If the annotation has no JSON schema equivalent.
    """
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}, False
    if annotation is None or annotation is type(None):
        return {"type": "null"}, True
    if annotation in _SCALAR_TYPES:
        return {"type": _SCALAR_TYPES[annotation]}, False

    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        values = list(args)
        for value in values:
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise TypeError(f"Literal value {value!r} is not a JSON scalar")
        literal_schema: JSONSchema = {"enum": values}
        kinds = {_SCALAR_TYPES.get(type(value)) for value in values}
        if len(kinds) == 1 and None not in kinds:
            literal_schema = {"type": kinds.pop(), "enum": values}
        return literal_schema, None in values
    if origin is typing.Union or origin is types.UnionType:
        members = [arg for arg in args if arg is not type(None)]
        nullable = len(members) < len(args)
        schemas = [annotation_schema(member)[0] for member in members]
        if len(schemas) == 1:
            return schemas[0], nullable
        return {"anyOf": schemas}, nullable
    if annotation in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset):
        array: JSONSchema = {"type": "array"}
        # tuple[int, ...] and list[int] both describe homogeneous arrays; fixed-size tuples are
        # described by their first element type, close enough for a model to fill in.
        item_args = [arg for arg in args if arg is not Ellipsis]
        if item_args:
            items, _ = annotation_schema(item_args[0])
            if items:
                array["items"] = items
        return array, False
    if annotation is dict or origin is dict:
        obj: JSONSchema = {"type": "object"}
        if len(args) == 2:
            if args[0] is not str:
                raise TypeError("JSON object keys are strings; use dict[str, X]")
            values_schema, _ = annotation_schema(args[1])
            if values_schema:
                obj["additionalProperties"] = values_schema
        return obj, False
    raise TypeError(f"unsupported annotation {annotation!r}")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its summary and its `Args:` descriptions.

    Args:
        doc: The docstring, cleaned (`inspect.getdoc`) or raw.

    Returns:
        The summary (first paragraph, joined into one line) and a mapping from parameter name to
        its description (continuation lines joined).
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()

    summary_lines: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION_HEADER.match(line):
            break
        summary_lines.append(line.strip())
    summary = " ".join(summary_lines)

    arg_docs: dict[str, str] = {}
    in_args = False
    entry_indent: int | None = None
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        header = _SECTION_HEADER.match(line)
        if header and indent == 0:
            in_args = header.group(1).strip().lower() in _ARGS_HEADERS
            entry_indent, current = None, None
            continue
        if not in_args:
            continue
        if not stripped:
            continue
        if indent == 0:
            # Unindented prose after the section ends it.
            in_args, current = False, None
            continue
        if entry_indent is None:
            entry_indent = indent
        match = _ARG_LINE.match(stripped)
        if indent <= entry_indent and match:
            current = match.group("name")
            arg_docs[current] = match.group("desc").strip()
        elif current is not None:
            arg_docs[current] = f"{arg_docs[current]} {stripped}".strip()
    return summary, arg_docs


class ToolRegistry:
    """The tools the model may call, in registration order, each enabled or disabled.

    Disabled tools stay registered (the UI can list and re-enable them) but are not offered in
    `schemas()` and the executor refuses to run them.
    """

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        """Create a registry, registering `tools` (tools or functions) in order."""
        self._tools: dict[str, Tool] = {}
        self._disabled: set[str] = set()
        for item in tools:
            self.register(item)

    def register(
        self,
        fn_or_tool: Tool | Callable[..., Any],
        *,
        name: str | None = None,
        source: str = "builtin",
        replace: bool = False,
    ) -> Tool:
        """Add a tool.

        Args:
            fn_or_tool: A ready `Tool`, or a function to build one from (`Tool.from_function`).
            name: The name to register a function under (ignored for a `Tool`).
            source: Where a function comes from (ignored for a `Tool`).
            replace: Replace a tool of the same name instead of raising.

        Returns:
            The registered tool.

        Raises:
            ValueError: If a tool of that name exists and `replace` is false: silently shadowing
                a tool would make the model call something other than what the user expects.
        """
        if isinstance(fn_or_tool, Tool):
            tool = fn_or_tool
        else:
            tool = Tool.from_function(fn_or_tool, name=name, source=source)
        if tool.name in self._tools and not replace:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool
        return tool

    def unregister(self, name: str) -> None:
        """Remove a tool; unknown names are ignored."""
        self._tools.pop(name, None)
        self._disabled.discard(name)

    def get(self, name: str) -> Tool | None:
        """Return the tool called `name` (enabled or not), or None."""
        return self._tools.get(name)

    def names(self) -> list[str]:
        """Return all registered tool names, enabled or not, in registration order."""
        return list(self._tools)

    def enabled_names(self) -> list[str]:
        """Return the names of the enabled tools, in registration order."""
        return [name for name in self._tools if name not in self._disabled]

    def is_enabled(self, name: str) -> bool:
        """Return whether `name` is registered and enabled."""
        return name in self._tools and name not in self._disabled

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a registered tool.

        Raises:
            KeyError: If no tool is called `name` (a typo should not pass silently).
        """
        if name not in self._tools:
            raise KeyError(f"unknown tool {name!r}")
        if enabled:
            self._disabled.discard(name)
        else:
            self._disabled.add(name)

    def schemas(self) -> list[JSONSchema]:
        """Return the enabled tools' schemas, for the request's `tools=` parameter."""
        return [tool.schema() for name, tool in self._tools.items() if name not in self._disabled]

    def tools(self) -> list[Tool]:
        """Return all registered tools, enabled or not, in registration order."""
        return list(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        # A snapshot, so registering while iterating does not break the loop.
        return iter(list(self._tools.values()))


def default_registry(disabled: Iterable[str] = ()) -> ToolRegistry:
    """Return a new registry holding the built-in tools.

    A fresh registry each call, so enabling or disabling tools in one session (or test) never
    leaks into another.

    Args:
        disabled: Names of built-in tools to start disabled (e.g. from the user's config);
            unknown names are ignored so an outdated config does not break start-up.
    """
    # Imported here, not at module level: the built-ins are plain functions that do not need
    # the registry, and keeping the dependency one-way avoids an import cycle.
    from tuichat.tools.builtin import BUILTIN_TOOLS

    registry = ToolRegistry(BUILTIN_TOOLS)
    for name in disabled:
        if name in registry:
            registry.set_enabled(name, False)
    return registry
