"""The inspector's view of one selected row, whole: a chunk's JSON with the fields that added
something marked, and the answer as it stood after it; a request or a response head whole; a
non-streamed `ChatCompletion` as a tree whose objects fold.

Everything a server sent is shown literally (`Content`, never markup) and without control
characters.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tuichat.core.chunk_reading import AnswerSoFar, ChunkReader
from tuichat.core.curl import pretty_request
from tuichat.core.events import RawChunk, RawComment, RequestSent, ResponseHead
from tuichat.core.pretty_json import pretty_lines
from tuichat.core.text import counted, strip_control
from tuichat.ui.inspected_turn import InspectedTurn, Row
from tuichat.ui.widgets.chunk_list import gap_text

MARK = "▌"  # the gutter of a line that added something to the answer
TREE_OPEN_DEPTH = 3  # levels of a whole response's tree open at first


def _heading(text: str) -> Content:
    return Content.styled(text, "bold $text-primary")


def _section(text: str) -> Content:
    return Content.styled(f"── {text}", "$text-muted")


def describe_request(row: Row, answers: int) -> list[Content]:
    """A request, pretty-printed (its key already redacted)."""
    assert isinstance(row.record, RequestSent)
    request = row.record.request
    title = f"request {row.answer + 1} of {answers}" if answers > 1 else "request"
    url = strip_control(f"{request.get('method', 'POST')} {request.get('url', '')}")
    lines = [_heading(f"{title} · {url}")]
    lines += [Content(line) for line in pretty_request(request).splitlines()]
    lines.append(Content.styled("u copies it as curl, the key as a $VARIABLE", "$text-muted"))
    return lines


def describe_head(row: Row, reader: ChunkReader) -> list[Content]:
    """A response's status line and headers; an HTTP error's body too."""
    head = row.record
    assert isinstance(head, ResponseHead)
    status = f"{head.http_version} {head.status} {head.reason}".strip()
    style = "bold $text-error" if head.status >= 400 else "bold $text-primary"
    lines = [Content.styled(f"response {status} · after {head.offset:.3f} s", style)]
    lines += [
        Content.assemble((strip_control(name), "$text-accent"), ": ", strip_control(value))
        for name, value in head.headers.items()
    ]
    body = reader.error_body()
    if body is not None:
        lines.append(_section("the error's body"))
        lines += [Content(line) for line in strip_control(body).splitlines()]
    return lines


def describe_chunk(row: Row, reader: ChunkReader, turn: InspectedTurn) -> list[Content]:
    """A chunk whole, the fields that added something marked, and the answer after it."""
    reading = row.reading
    assert reading is not None
    record = reading.record
    parts = [f"chunk {reading.number + 1:,} of {len(reader):,}", f"+{reading.offset:.3f} s"]
    if reading.gap is not None:
        parts.append(f"gap {gap_text(reading.gap).lstrip('+')}")
    parts.append(", ".join(reading.kinds))
    if isinstance(record, RawChunk) and record.event:
        parts.append(f"event: {strip_control(record.event)}")
    if len(turn.readers) > 1:
        parts.append(f"answer {row.answer + 1} of {len(turn.readers)}")
    lines = [_heading(" · ".join(parts))]
    # What it added, in one line, before the JSON (in a short panel the JSON runs off);
    # not for `[DONE]` or a comment line, whose reading is the line itself.
    if reading.kind not in ("done", "comment"):
        lines.append(Content.styled(strip_control(reading.reading), "$text-success"))
    if isinstance(record, RawComment):
        lines.append(Content(strip_control(record.text)))
    else:
        for line in pretty_lines(record.data, reading.added):
            if line.marked:
                lines.append(
                    Content.assemble((MARK, "$text-success"), (line.text, "bold $text-success"))
                )
            else:
                lines.append(Content.assemble(" ", line.text))
    if reading.added:
        lines.append(Content.styled(f"{MARK} added to the answer", "$text-success"))
    lines.append(_section("the answer after it"))
    lines += describe_answer(reader.answer_after(reading.number))
    return lines


def describe_answer(answer: AnswerSoFar) -> list[Content]:
    """The state of an answer: text and reasoning so far, each call, finish, usage, error."""
    lines: list[Content] = []

    def tail(label: str, length: int, text: str) -> None:
        lines.append(Content.assemble((label, "bold"), f" {counted(length, 'character')}"))
        if text:
            cut = "…" if len(text) < length else ""
            lines.append(Content.assemble(("  ", ""), (cut, "$text-muted"), text))

    tail("text", answer.content_length, answer.content_tail)
    if answer.reasoning_length:
        tail("reasoning", answer.reasoning_length, answer.reasoning_tail)
    for call in answer.tool_calls:
        index = "no index" if call.index is None else f"index {call.index}"
        lines.append(
            Content.assemble(
                (f"tool {call.position}", "bold $text-accent"),
                f" ({index}) id {call.id or '–'} · {call.name or '–'}",
            )
        )
        lines.append(Content.assemble("  arguments ", call.arguments or "–"))
    lines.append(Content.assemble(("finish", "bold"), f" {answer.finish_reason or '–'}"))
    if answer.usage is not None:
        usage = json.dumps(answer.usage, ensure_ascii=False)
        lines.append(Content.assemble(("usage", "bold"), f" {strip_control(usage)}"))
    if answer.error is not None:
        lines.append(Content.assemble(("error", "bold $text-error"), f" {answer.error.message}"))
    return lines


def add_json(node: TreeNode[None], value: Any, depth: int = 0) -> None:
    """Add `value` under `node`: objects and lists as nodes that fold, the rest as leaves.

    Labels are `Text`, never markup: keys and strings from the server are shown literally.
    """
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(json.dumps(key, ensure_ascii=False), item) for key, item in value.items()]
    else:
        items = [(f"[{i}]", item) for i, item in enumerate(value)]
    for key, item in items:
        key_text = strip_control(key)
        if isinstance(item, dict | list) and item:
            size = counted(len(item), "key" if isinstance(item, dict) else "item")
            child = node.add(
                Text.assemble((key_text, "bold"), (f" {size}", "dim")),
                expand=depth + 1 < TREE_OPEN_DEPTH,
            )
            add_json(child, item, depth + 1)
        else:
            shown = strip_control(json.dumps(item, ensure_ascii=False))
            node.add_leaf(Text.assemble((key_text, "bold"), ": ", shown))


class ChunkDetail(VerticalScroll):
    """The selected row, whole."""

    DEFAULT_CSS = """
    ChunkDetail { height: 1fr; background: $inspector-background; padding: 0 1; }
    ChunkDetail > Static { width: 1fr; }
    ChunkDetail > Tree { height: auto; background: $inspector-background; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._text = Static(id="chunk-detail-text")

    def compose(self) -> ComposeResult:
        yield self._text

    def show(self, turn: InspectedTurn, number: int | None) -> None:
        """Show row `number` of `turn` (None: nothing is selected)."""
        text = self._text
        for part in self.query(".whole-part"):
            part.remove()
        if number is None:
            text.update(Content.styled("no chunk yet", "$text-muted"))
            return
        row = turn.rows[number]
        reader = turn.readers[row.answer]
        record = row.record
        if row.kind == "request":
            lines = describe_request(row, len(turn.readers))
        elif row.kind == "head":
            lines = describe_head(row, reader)
        elif isinstance(record, RawChunk) and record.whole_response:
            lines = self._whole(row, reader, record)
        else:
            lines = describe_chunk(row, reader, turn)
        text.update(Content("\n").join(lines))
        self.scroll_home(animate=False, immediate=True)

    def _whole(self, row: Row, reader: ChunkReader, record: RawChunk) -> list[Content]:
        """A whole `ChatCompletion` (stream off): a tree that folds, then the answer."""
        try:
            value = json.loads(record.data)
        except ValueError:
            value = None
        heading = _heading(f"whole ChatCompletion (stream off) · +{record.offset:.3f} s")
        if not isinstance(value, dict | list):
            return [heading, *(Content(line) for line in strip_control(record.data).splitlines())]
        tree: Tree[None] = Tree(Text("ChatCompletion", "bold"), classes="whole-part")
        tree.show_root = False
        add_json(tree.root, value)
        tree.root.expand()
        self.mount(tree)
        hint = Content.styled(
            "Tab to the tree: Enter or a click folds an object; the answer is below it.",
            "$text-muted",
        )
        after = Static(
            Content("\n").join([_section("the answer"), *describe_answer(reader.answer_after(-1))]),
            classes="whole-part",
        )
        self.mount(after)
        return [heading, hint]
