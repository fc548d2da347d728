"""User tools: from installed plugins (the `tuichat.tools` entry-point group) and from Python
files named in the config.

Loading never raises for a bad plugin or file: each failure becomes one problem string naming
the plugin or file and the error, and everything else still loads, so one broken file cannot
take every other tool (or start-up) down with it.

A tool's own `print()`s and warnings must not reach the terminal, where they would scribble
over the UI. Every user tool is therefore wrapped by `capture_output`, which routes writes to
`sys.stdout`/`sys.stderr` made during the call into a buffer. Unlike `contextlib.redirect_stdout`
(which swaps the process-wide stream, so two tools running at once in worker threads would
restore each other's buffers and leave one installed for good), the routing is per call: a
`ContextVar` names the call's buffer, and `sys.stdout`/`sys.stderr` are wrapped once in a proxy
that writes to that buffer when one is set and to the original stream otherwise. Both
`asyncio.to_thread` (sync tools) and asyncio tasks (async tools) copy the context, so concurrent
calls each capture only their own output. Limitations: output from threads or processes the
tool starts itself, and writes straight to file descriptors 1 and 2 (C extensions,
`os.system`), are not captured.

Stdlib only: this package must stay importable without the UI stack.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import importlib.util
import inspect
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from tuichat.tools.executor import call_output
from tuichat.tools.registry import Tool, ToolRegistry

ENTRY_POINT_GROUP = "tuichat.tools"
"""The entry-point group plugins register their tools under."""

TOOLS_ATTRIBUTE = "TOOLS"
"""A tool file may list its tools in this module attribute; otherwise every public function
defined in the file (not imported into it) is a tool."""

_MODULE_PREFIX = "tuichat_user_tools"

logger = logging.getLogger(__name__)

OutputSink = Callable[[str, str], None]
"""Receives `(tool_name, captured_text)` after a call that wrote something."""


def _log_output(tool_name: str, text: str) -> None:
    """The default sink: the debug log, never the terminal."""
    logger.info("output of tool %r:\n%s", tool_name, text.rstrip("\n"))


@dataclass
class LoadResult:
    """What loading user tools produced.

    Attributes:
        tools: The tools found, ready to register (their output is captured).
        problems: One message per plugin or file that could not be loaded, naming it and the
            error.
    """

    tools: list[Tool] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        """Append another result's tools and problems."""
        self.tools.extend(other.tools)
        self.problems.extend(other.problems)


# --- output capture --------------------------------------------------------------------------

_capture: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar(
    "tuichat_tool_output", default=None
)
_install_lock = threading.Lock()


class _RoutedStream(io.TextIOBase):
    """Stands in for sys.stdout/sys.stderr: writes go to the current call's buffer, if any."""

    def __init__(self, fallback: TextIO) -> None:
        super().__init__()
        self._fallback = fallback

    @property
    def fallback(self) -> TextIO:
        """The stream written to outside a captured call."""
        return self._fallback

    def write(self, text: str) -> int:
        buffer = _capture.get()
        if buffer is not None:
            return buffer.write(text)
        return self._fallback.write(text)

    def flush(self) -> None:
        if _capture.get() is None:
            self._fallback.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return _capture.get() is None and self._fallback.isatty()

    def fileno(self) -> int:
        return self._fallback.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._fallback, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fallback, name)


def _install_routing() -> None:
    """Wrap sys.stdout and sys.stderr in routing proxies, unless they already are.

    Checked at every call, since something else (a test runner, the UI framework) may have
    replaced the streams since; the proxy then wraps whatever is there now.
    """
    with _install_lock:
        if sys.stdout is not None and not isinstance(sys.stdout, _RoutedStream):
            sys.stdout = _RoutedStream(sys.stdout)
        if sys.stderr is not None and not isinstance(sys.stderr, _RoutedStream):
            sys.stderr = _RoutedStream(sys.stderr)


@contextmanager
def captured_output() -> Iterator[io.StringIO]:
    """Capture what the current thread or task writes to sys.stdout/sys.stderr.

    Yields:
        The buffer receiving the output.
    """
    _install_routing()
    buffer = io.StringIO()
    token = _capture.set(buffer)
    try:
        yield buffer
    finally:
        _capture.reset(token)


def capture_output(
    fn: Callable[..., Any], name: str, sink: OutputSink | None = None
) -> Callable[..., Any]:
    """Wrap a tool function so its stdout/stderr go to `sink` instead of the terminal.

    The wrapper keeps the function's signature (`functools.wraps`) and its sync or async
    nature, so the executor validates and runs it exactly as it would the original.

    Args:
        fn: The tool function.
        name: The tool name passed to the sink.
        sink: Receives `(name, text)` when the call wrote anything; default: the log.

    Returns:
        The wrapper.
    """
    deliver = sink or _log_output

    def report(buffer: io.StringIO) -> None:
        text = buffer.getvalue()
        if text:
            collected = call_output.get()
            if collected is not None:  # the call's view shows it
                collected.append(text)
            try:
                deliver(name, text)
            except Exception:
                logger.exception("tool output sink failed")

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with captured_output() as buffer:
                try:
                    return await fn(*args, **kwargs)
                finally:
                    report(buffer)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with captured_output() as buffer:
            try:
                return fn(*args, **kwargs)
            finally:
                report(buffer)

    return wrapper


def _make_tool(item: object, source: str, sink: OutputSink | None) -> Tool:
    """Turn a function or Tool into a Tool with captured output, labelled with `source`."""
    if isinstance(item, Tool):
        tool = dataclasses.replace(item, source=source)
    elif callable(item):
        tool = Tool.from_function(item, source=source)
    else:
        raise TypeError(f"{item!r} is neither a function nor a Tool")
    return dataclasses.replace(tool, function=capture_output(tool.function, tool.name, sink))


def _error_text(exc: BaseException) -> str:
    """`SyntaxError: invalid syntax (line 3)`: type and message, no traceback."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _tools_from_items(
    items: Iterable[object], source: str, where: str, sink: OutputSink | None
) -> LoadResult:
    """Build tools one by one, so one bad function does not lose the others."""
    result = LoadResult()
    for item in items:
        try:
            result.tools.append(_make_tool(item, source, sink))
        except (TypeError, ValueError) as exc:
            label = getattr(item, "__name__", repr(item))
            result.problems.append(f"{where}: tool {label!r}: {_error_text(exc)}")
    return result


# --- plugins ---------------------------------------------------------------------------------


def load_plugin_tools(
    group: str = ENTRY_POINT_GROUP, *, sink: OutputSink | None = None
) -> LoadResult:
    """Load the tools installed packages declare in the `tuichat.tools` entry-point group.

    Each entry point names a function, a `Tool`, or a list or tuple of them::

        [project.entry-points."tuichat.tools"]
        weather = "my_package.tools:get_weather"
        files = "my_package.tools:TOOLS"

    Tools get `source="plugin:NAME"`, NAME being the entry point's name.

    Args:
        group: The entry-point group.
        sink: Where the tools' printed output goes (see `capture_output`).

    Returns:
        The tools, and a problem per entry point that failed to load.
    """
    import importlib.metadata  # with email, zipfile, csv...: ~15 ms that start-up need not pay

    result = LoadResult()
    for entry_point in importlib.metadata.entry_points(group=group):
        where = f"plugin {entry_point.name!r} ({entry_point.value})"
        try:
            loaded = entry_point.load()
        except Exception as exc:
            result.problems.append(f"{where}: {_error_text(exc)}")
            continue
        items = loaded if isinstance(loaded, (list, tuple)) else [loaded]
        result.extend(_tools_from_items(items, f"plugin:{entry_point.name}", where, sink))
    return result


# --- tool files ------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    """A unique, stable module name for a tool file, so two `tools.py` files do not clash."""
    import hashlib

    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    return f"{_MODULE_PREFIX}_{stem}_{digest}"


def _import_file(path: Path) -> ModuleType:
    """Import a Python file by path, under a private module name."""
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    # Registered before running, as a normal import does: dataclasses and pickling look the
    # module up by name while it executes.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _file_items(module: ModuleType) -> list[object]:
    """The tools a file offers: its `TOOLS` list, or its own public functions."""
    listed = getattr(module, TOOLS_ATTRIBUTE, None)
    if listed is not None:
        return list(listed) if isinstance(listed, (list, tuple)) else [listed]
    return [
        value
        for key, value in vars(module).items()
        if not key.startswith("_")
        and inspect.isfunction(value)
        and value.__module__ == module.__name__
    ]


def load_tool_files(
    paths: Iterable[str | Path], *, base: Path | None = None, sink: OutputSink | None = None
) -> LoadResult:
    """Import tool files by path and collect their tools.

    A file's tools are its `TOOLS` list if it has one, else every public function defined in
    it (functions it imports are not tools). Tools get `source="file:PATH"`.

    Args:
        paths: The files; `~` is expanded, relative paths are relative to `base`.
        base: The directory relative paths start from (the config file's); default: the
            current directory.
        sink: Where the tools' printed output goes (see `capture_output`).

    Returns:
        The tools, and a problem per file that failed to import (syntax errors included) or
        per function that is not a valid tool.
    """
    result = LoadResult()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        where = f"tool file {str(path)!r}"
        if not path.is_file():
            result.problems.append(f"{where}: no such file")
            continue
        try:
            with captured_output() as buffer:  # import-time prints stay off the terminal
                module = _import_file(path)
        except Exception as exc:
            result.problems.append(f"{where}: {_error_text(exc)}")
            continue
        if buffer.getvalue():
            _log_output(str(path), buffer.getvalue())
        result.extend(_tools_from_items(_file_items(module), f"file:{path}", where, sink))
    return result


def register_user_tools(
    registry: ToolRegistry,
    tool_files: Iterable[str | Path] = (),
    *,
    plugins: bool = True,
    base: Path | None = None,
    sink: OutputSink | None = None,
) -> list[str]:
    """Load plugin and file tools into a registry.

    A tool whose name is taken (by a built-in or an earlier tool) is not registered and is
    reported instead: silently shadowing a tool would make the model call the wrong one.

    Args:
        registry: Where to register them.
        tool_files: Tool files from the config (see `load_tool_files`).
        plugins: Whether to load entry-point plugins.
        base: The directory relative tool file paths start from.
        sink: Where the tools' printed output goes.

    Returns:
        The problems, one message each; empty when everything loaded.
    """
    result = LoadResult()
    if plugins:
        result.extend(load_plugin_tools(sink=sink))
    result.extend(load_tool_files(tool_files, base=base, sink=sink))
    for tool in result.tools:
        try:
            registry.register(tool)
        except ValueError as exc:
            result.problems.append(f"{tool.source}: {exc}")
    return result.problems
