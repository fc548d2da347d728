"""`tuichat ask --compare A,B`: one prompt sent to several profiles or models at once.

    tuichat ask --compare demo:demo-fast,demo:demo-slow "hello"
    tuichat ask --compare openai:gpt-4o-mini,ollama:llama3.2 --json "..." | jq '.answers[].timing'

All the answers are asked for at once. Without `--json` they are printed one after the other,
each under a header naming its profile and model and followed by its stats: the first one
streams as it arrives, each next one is printed from where it has got to once the one before
it is done. Tool calls are reported on stderr, each line saying whose it is. With `--json`
one object comes at the end: the prompt, then each answer with its timing and usage.

The turn is saved as the app saves a comparison: the first target's answer continues the
conversation, the others are kept beside it as sibling answers of the prompt (the way
regenerating keeps them). Exit codes are `tuichat ask`'s: 1 when any answer failed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, TextIO

from tuichat.commands import fail
from tuichat.commands.printing import (
    AskMode,
    Printer,
    Stopped,
    note_to,
    prepare,
    stoppable,
    turn_error,
)
from tuichat.config.settings import ConfigError
from tuichat.session.attachments import Attachment
from tuichat.session.compare import CompareColumn, Comparison
from tuichat.session.compare_targets import Target
from tuichat.session.session import ChatSession
from tuichat.storage.export import chat_message

EXIT_OK, EXIT_FAILED = 0, 1


def compare_once(
    session: ChatSession,
    targets: Sequence[Target],
    prompt: str,
    mode: AskMode,
    out: TextIO,
    err: TextIO,
    attachments: Sequence[Attachment] = (),
) -> int:
    """Send one prompt (with its files) to several targets at once on a built session, and
    print the answers as `tuichat ask --compare` does; the session is closed at the end.

    Returns:
        The exit code, as `tuichat ask` documents it.
    """
    stopped = Stopped()
    try:
        work = _compare(session, targets, prompt, attachments, mode, out, err, stopped)
        return asyncio.run(stoppable(work, stopped))
    except KeyboardInterrupt:
        return stopped.exit_code


class _ColumnPrinter(Printer):
    """One answer's printer: it prints while its answer is the one shown, and holds the text
    back until then; its tool lines say whose they are."""

    def __init__(self, out: TextIO, err: TextIO, *, json_mode: bool, label: str) -> None:
        super().__init__(out, err, json_mode=json_mode)
        self.label = label
        self.shown = False
        self._held: list[str] = []

    def write(self, text: str) -> None:
        if self.shown:
            super().write(text)
        else:
            self._held.append(text)

    def show(self) -> None:
        """Print from now on, starting with what was held back."""
        self.shown = True
        held, self._held = "".join(self._held), []
        super().write(held)

    def note(self, line: str) -> None:
        super().note(f"[{self.label}] {line}")


async def _compare(
    session: ChatSession,
    targets: Sequence[Target],
    prompt: str,
    attachments: Sequence[Attachment],
    mode: AskMode,
    out: TextIO,
    err: TextIO,
    stopped: Stopped,
) -> int:
    page = Printer(out, err, json_mode=mode.json)  # the headers and the stats
    session.on_note = lambda note: note_to(page, note)
    comparison: Comparison | None = None
    interrupted = False
    try:
        failed = await prepare(session, mode, err)
        if failed is not None:
            return failed
        try:
            comparison = await Comparison.open(session, targets, prompt, attachments)
        except ConfigError as error:
            return fail(mode.prog, str(error), err)
        columns = comparison.columns
        printers = [
            _ColumnPrinter(out, err, json_mode=mode.json, label=column.label) for column in columns
        ]
        shown = _Pages(page, columns, printers)
        try:
            await asyncio.gather(
                *(_run(comparison, index, printers[index], shown) for index in range(len(columns)))
            )
        except asyncio.CancelledError:  # a signal: what arrived is printed and saved
            interrupted = True
        shown.rest()
        # The first target's answer continues the conversation; the others are its siblings.
        await comparison.keep(0 if columns[0].answers else None)
    finally:
        if comparison is not None:
            await comparison.aclose()
        await session.aclose()
    return _report(mode, comparison, page, interrupted, stopped, out, err)


class _Pages:
    """Prints the answers one after the other: the first as it arrives, each next one once
    the one before it is done (from what it has held back, then as it arrives)."""

    def __init__(
        self, page: Printer, columns: list[CompareColumn], printers: list[_ColumnPrinter]
    ) -> None:
        self._page = page
        self._columns = columns
        self._printers = printers
        self._done = [False] * len(columns)
        self._at = 0
        self._begin(0)

    def _begin(self, index: int) -> None:
        if not self._page.json_mode:
            self._page.write(("\n" if index else "") + f"=== {self._columns[index].label} ===\n")
        self._printers[index].show()

    def done(self, index: int) -> None:
        """Column `index`'s answer is over: print the ones waiting for it."""
        self._done[index] = True
        while self._at < len(self._columns) and self._done[self._at]:
            self._end(self._at)
            self._at += 1
            if self._at < len(self._columns):
                self._begin(self._at)

    def _end(self, index: int) -> None:
        self._printers[index].end_text()
        if not self._page.json_mode:
            column = self._columns[index]
            parts = column.stats().parts()
            error = _column_error(column)
            if error is not None:  # the whole message goes to stderr at the end
                kind = error["kind"]
                parts.append(kind if kind == "cancelled" else f"failed ({kind})")
            self._page.write(f"--- {' · '.join(parts)}\n")

    def rest(self) -> None:
        """Print whatever is left (after an interruption)."""
        for index in range(len(self._columns)):
            if not self._done[index]:
                self.done(index)


async def _run(comparison: Comparison, index: int, printer: Printer, pages: _Pages) -> None:
    # Tools whose policy is "ask" do not run: there is no one to ask here.
    try:
        async for batch in comparison.answer(index):
            printer.feed(batch)
    finally:
        pages.done(index)


def _answer_document(column: CompareColumn) -> dict[str, Any]:
    provider = column.session.provider
    return {
        "target": column.target.spec,
        "profile": column.session.endpoint.profile,
        "model": provider.model,
        "messages": [chat_message(m) for m in column.messages],
        "error": _column_error(column),
        **column.stats().as_json(),
    }


def _column_error(column: CompareColumn) -> dict[str, str] | None:
    if not column.answers:
        return {"kind": "cancelled", "message": "interrupted before the request"}
    error = turn_error(column.messages)
    refused = column.refused_images()
    if error is not None and refused is not None:  # name the images its server would not take
        error = {**error, "message": refused}
    return error


def _report(
    mode: AskMode,
    comparison: Comparison | None,
    page: Printer,
    interrupted: bool,
    stopped: Stopped,
    out: TextIO,
    err: TextIO,
) -> int:
    if comparison is None:  # it could not start: said already
        return EXIT_FAILED
    storage_error = page.storage_errors[0] if page.storage_errors else None
    errors = [(column, _column_error(column)) for column in comparison.columns]
    failures = [(column, error) for column, error in errors if error is not None]
    if mode.json:
        first: dict[str, Any] | None = None
        if failures:
            column, error = failures[0]
            first = {**error, "target": column.target.spec}
        elif storage_error is not None:
            first = {"kind": "storage", "message": storage_error}
        document = {
            "messages": [chat_message(comparison.message)],
            "answers": [_answer_document(column) for column in comparison.columns],
            "error": first,
        }
        Printer(out, err, json_mode=False).write(json.dumps(document, ensure_ascii=False) + "\n")
    if interrupted:
        return stopped.exit_code
    if storage_error is not None:
        fail(mode.prog, f"the answers were not saved: {storage_error}", err)
    for column, error in failures:
        fail(mode.prog, f"{column.label}: {error['message']}", err)
    return EXIT_FAILED if failures or storage_error is not None else EXIT_OK
