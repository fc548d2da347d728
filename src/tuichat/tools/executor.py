"""Run the tool calls a model asked for, turning every failure into a result it can read.

The model's arguments are untrusted text: invalid JSON, wrong types, made-up tools and tools
that fail are all normal. None of that may crash the chat or the tool loop, so
`run_tool_call` never raises for them; it returns an error outcome whose content tells the model
what went wrong ("Error: ..."), so it can correct itself in the next round. The one thing that
does propagate is cancellation: when the user stops the answer, the tools must stop too.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tuichat.core.tooling import ToolStatus
from tuichat.tools.registry import JSONSchema, Tool, ToolRegistry, annotation_schema

ERROR_PREFIX = "Error: "

call_output: ContextVar[list[str] | None] = ContextVar("call_output", default=None)
"""Where what the running call printed is collected (see `tuichat.tools.sources`): set per
call, and seen by its worker thread too, since `asyncio.to_thread` copies the context."""
# How much of a bad argument text to echo back; enough to see the mistake, not a flood.
_PREVIEW_CHARS = 200

_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_TYPE_NOUNS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


# What the model reads when a call did not run.
DENIED_RESULT = "Denied by the user: do not retry this call unless asked to."
CANCELLED_RESULT = "Cancelled by the user."
_NOT_ALLOWED_RESULT = "Not run: tool '{name}' is not allowed (policy 'never')."


def not_allowed_result(name: str) -> str:
    """The result of a call refused by the `never` policy."""
    return _NOT_ALLOWED_RESULT.format(name=name)


def needs_approval_result(name: str) -> str:
    """The result of a call whose policy is `ask` where no one can be asked (`tuichat ask`)."""
    return (
        f"Not run: tool '{name}' needs the user's approval (policy 'ask'), which cannot be "
        "given here."
    )


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of one tool call, as it goes back to the model.

    Attributes:
        content: The tool's result (a string as returned, anything else as JSON), or
            `"Error: ..."` explaining what went wrong.
        is_error: Whether the call failed.
        duration: Seconds from the start of the call to its result.
        status: How the call ended (see `ToolStatus`).
        output: What the tool printed (captured, never on the terminal); empty if nothing.
    """

    content: str
    is_error: bool
    duration: float
    status: ToolStatus = "done"
    output: str = ""


class ToolCallError(Exception):
    """A failure to report to the model; the message becomes the outcome's content."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


async def run_tool_call(
    registry: ToolRegistry,
    name: str,
    arguments_text: str,
    *,
    timeout: float | None,
) -> ToolOutcome:
    """Run one tool call and return its outcome; never raises for bad input or failing tools.

    Sync tools run in a worker thread so a slow tool never freezes the UI; async tools are
    awaited. A sync tool that times out cannot be killed: its thread finishes in the background
    and its result is discarded.

    Args:
        registry: Where to look the tool up; disabled tools are refused.
        name: The tool name the model called.
        arguments_text: The JSON object of arguments as the model sent it; empty means `{}`.
        timeout: Seconds before the call is abandoned (the config's `tool_timeout`); None
            waits forever.

    Returns:
        The outcome; `is_error` is true for every kind of failure.

    Raises:
        asyncio.CancelledError: If the calling task is cancelled (it is never swallowed).
    """
    started = time.perf_counter()
    status: ToolStatus = "done"
    printed: list[str] = []
    token = call_output.set(printed)
    try:
        content = await _run(registry, name, arguments_text, timeout)
        is_error = False
    except ToolCallError as exc:
        content, is_error = f"{ERROR_PREFIX}{exc}", True
        status = "timed_out" if exc.timed_out else "failed"
    except Exception as exc:
        # The tool loop must never die on a single call; say what happened and carry on.
        content, is_error = (
            f"{ERROR_PREFIX}could not run tool {name!r}: {_exception_text(exc)}",
            True,
        )
        status = "failed"
    finally:
        call_output.reset(token)
    return ToolOutcome(content, is_error, time.perf_counter() - started, status, "".join(printed))


async def _run(
    registry: ToolRegistry, name: str, arguments_text: str, timeout: float | None
) -> str:
    """Look up, validate, call and serialise; every expected failure is a ToolCallError."""
    tool = registry.get(name)
    available = ", ".join(registry.enabled_names()) or "(none)"
    if tool is None:
        raise ToolCallError(f"unknown tool {name!r}; available: {available}")
    if not registry.is_enabled(name):
        raise ToolCallError(f"tool {name!r} is disabled; available: {available}")

    arguments = _check_arguments(tool, _parse_arguments(arguments_text))
    result = await _invoke(tool, arguments, timeout)
    if isinstance(result, str):
        return result
    try:
        return json.dumps(result, ensure_ascii=False, default=str)
    except (TypeError, ValueError) as exc:  # e.g. circular references
        raise ToolCallError(
            f"tool {name!r} returned a result that cannot be serialised: {exc}"
        ) from exc


def _preview(text: str) -> str:
    """Quote received text for an error message, shortened if long."""
    if len(text) > _PREVIEW_CHARS:
        return f"{text[:_PREVIEW_CHARS]!r}... ({len(text)} characters)"
    return repr(text)


def _parse_arguments(arguments_text: str | None) -> dict[str, Any]:
    """Parse the model's argument text into a dict."""
    # Models send "" (and some send "null") for tools without parameters.
    if arguments_text is None or not arguments_text.strip():
        return {}
    try:
        value = json.loads(arguments_text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ToolCallError(
            f"arguments are not valid JSON: {exc}; received: {_preview(arguments_text)}"
        ) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ToolCallError(
            f"arguments must be a JSON object, got {_json_type(value)}: {_preview(arguments_text)}"
        )
    return value


def _json_type(value: object) -> str:
    """Name a Python value's JSON type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _check_arguments(tool: Tool, arguments: dict[str, Any]) -> dict[str, Any]:
    """Validate arguments against the tool's schema and signature; return what to call with.

    All problems are reported at once, so the model can fix them in a single retry.
    """
    schema = tool.parameters
    properties: Mapping[str, JSONSchema] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    signature = _signature(tool)
    parameters = signature.parameters if signature is not None else {}
    takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    named = [p.name for p in parameters.values() if p.kind in _KEYWORD_KINDS]

    # Models often send null for optional arguments they mean to omit; let the default apply.
    arguments = {
        key: value
        for key, value in arguments.items()
        if not (value is None and key not in required and not _allows_null(properties.get(key)))
    }

    problems: list[str] = []
    if schema.get("additionalProperties") is False:
        accepted = list(properties)
    else:
        accepted = list(dict.fromkeys([*properties, *named]))
    closed = schema.get("additionalProperties") is False or (
        signature is not None and not takes_kwargs
    )
    if closed:
        for key in arguments:
            if key not in accepted:
                problems.append(f"unexpected argument {key!r}")
    for key in sorted(required - arguments.keys()):
        problems.append(f"missing required argument {key!r}")

    checked: dict[str, Any] = {}
    for key, value in arguments.items():
        if key in properties:
            value, errors = _coerce(value, properties[key], key)
            problems.extend(errors)
        checked[key] = value

    # Parameters typed `X | None` without a default are optional in the schema; pass None.
    for param in parameters.values():
        if (
            param.name not in checked
            and param.kind in _KEYWORD_KINDS
            and param.default is inspect.Parameter.empty
            and _admits_none(param.annotation)
        ):
            checked[param.name] = None

    if not problems and signature is not None:
        # The schema may not cover everything the signature requires (hand-written schemas).
        try:
            signature.bind(**checked)
        except TypeError as exc:
            problems.append(str(exc))
    if problems:
        accepted_text = ", ".join(accepted) or "none"
        raise ToolCallError(
            f"invalid arguments for tool {tool.name!r}: {'; '.join(problems)}"
            f" (accepted arguments: {accepted_text})"
        )
    return checked


def _signature(tool: Tool) -> inspect.Signature | None:
    """The tool function's signature with annotations resolved, or None if it has none."""
    try:
        return inspect.signature(tool.function, eval_str=True)
    except NameError:  # an annotation that cannot be resolved; the names still matter
        return inspect.signature(tool.function)
    except (TypeError, ValueError):  # some builtins and C callables have no signature
        return None


def _admits_none(annotation: Any) -> bool:
    """Whether an annotation such as `str | None` accepts None."""
    try:
        return annotation_schema(annotation)[1]
    except TypeError:
        return False


def _allows_null(schema: JSONSchema | None) -> bool:
    """Whether a property schema explicitly admits null."""
    if not schema:
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return None in (schema.get("enum") or ()) or any(
        _allows_null(option) for option in schema.get("anyOf") or ()
    )


def _coerce(value: Any, schema: JSONSchema, path: str) -> tuple[Any, list[str]]:
    """Check a value against the subset of JSON schema the registry emits.

    Returns the value (integral floats such as `3.0` become `3` for integer parameters, since
    JSON does not distinguish them) and the problems found, naming the argument by `path`.
    """
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            coerced, option_errors = _coerce(value, option, path)
            if not option_errors:
                return coerced, []
        return value, [f"argument {path!r} does not match any allowed type, got {_describe(value)}"]

    kinds = schema.get("type")
    if kinds is not None:
        kind_list = [kinds] if isinstance(kinds, str) else list(kinds)
        matched = None
        for kind in kind_list:
            if kind == "integer" and isinstance(value, float) and value.is_integer():
                value = int(value)
            if _is_type(value, kind):
                matched = kind
                break
        if matched is None:
            expected = " or ".join(_TYPE_NOUNS.get(kind, kind) for kind in kind_list)
            return value, [f"argument {path!r} must be {expected}, got {_describe(value)}"]

    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(json.dumps(option, ensure_ascii=False) for option in schema["enum"])
        return value, [f"argument {path!r} must be one of {options}, got {_describe(value)}"]

    errors: list[str] = []
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        items: list[Any] = []
        for index, item in enumerate(value):
            coerced, item_errors = _coerce(item, schema["items"], f"{path}[{index}]")
            items.append(coerced)
            errors.extend(item_errors)
        value = items
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        entries: dict[str, Any] = {}
        for key, item in value.items():
            coerced, item_errors = _coerce(item, schema["additionalProperties"], f"{path}.{key}")
            entries[key] = coerced
            errors.extend(item_errors)
        value = entries
    return value, errors


def _is_type(value: Any, kind: str) -> bool:
    """Whether `value` is of JSON type `kind`; bool is not a number here, unlike in Python."""
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    expected = _JSON_TYPES.get(kind)
    return True if expected is None else isinstance(value, expected)


def _describe(value: Any) -> str:
    """Describe a received value for an error message: its JSON type and a short rendering."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_json_type(value)} {text}"


async def _invoke(tool: Tool, arguments: dict[str, Any], timeout: float | None) -> Any:
    """Call the tool under the timeout, mapping its failures to ToolCallError."""
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            if inspect.iscoroutinefunction(tool.function):
                return await tool.function(**arguments)
            # A thread keeps a slow or blocking sync tool from freezing the event loop (the UI).
            result = await asyncio.to_thread(tool.function, **arguments)
            if inspect.isawaitable(result):  # e.g. a lambda or partial wrapping a coroutine
                result = await result
            return result
    except TimeoutError as exc:
        if deadline.expired():
            raise ToolCallError(
                f"tool {tool.name!r} timed out after {_format_seconds(timeout)} s", timed_out=True
            ) from None
        # The tool's own TimeoutError (e.g. a socket timeout), not ours.
        raise ToolCallError(_exception_text(exc)) from None
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # we are being cancelled: let it through
        # The tool itself raised CancelledError (e.g. an inner task it awaited was cancelled):
        # a failure of that call, not a request to stop the whole tool loop.
        raise ToolCallError(f"tool {tool.name!r} was cancelled") from None
    except Exception as exc:
        raise ToolCallError(_exception_text(exc)) from None


def _exception_text(exc: BaseException) -> str:
    """`ValueError: message`: type and message only, since a traceback is noise to the model."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _format_seconds(seconds: float | None) -> str:
    """Render a timeout for humans: `30`, `0.05`."""
    return "∞" if seconds is None else f"{seconds:g}"
