"""Tests for the streaming Markdown widget (tuichat.ui.widgets.markdown_view)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from rich.markdown import Markdown
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Collapsible

from tuichat.ui.markdown_styles import markdown_theme
from tuichat.ui.widgets.markdown_view import HEIGHT_STEP, StreamingMarkdown

DOCUMENT = """\
# Streaming answer

Some *emphasis*, **strong** and `inline code` in a paragraph that is long enough to wrap \
at eighty columns, so that wrapping is part of what is compared.

- first item
- second item
  - nested item

1. one
2. two

```python
def greet(name):

    return f"hello {name}"
```

| Name | Value |
|------|-------|
| a    | 1     |
| b    | 2     |

> a quote
> on two lines

---
Setext heading
--------------

Last paragraph.
"""

# Block boundaries that a prefix of the text gets wrong unless the widget waits
# for a complete line: a list continued by "10.", a heading that stops being one,
# a closing fence that turns out to be code, lazy and indented continuations.
TRICKY = """\
1. first

10. tenth

para
#not a heading

- item

  continued item

```
code
```x
still code
```

> quote
lazy continuation

    indented code

    more indented code
tail paragraph
"""


class MarkdownApp(App[None]):
    """A message list holding two streaming Markdown widgets."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield StreamingMarkdown(id="first")
            yield StreamingMarkdown(id="second")


async def settle(pilot: Pilot[Any]) -> None:
    """Let pending text be drawn: flushes come at most 15 times a second while streaming."""
    await pilot.pause(0.08)


def rendered(widget: StreamingMarkdown) -> list[str]:
    """The text of every rendered line of a widget (trailing spaces removed)."""
    return [
        "".join(segment.text for segment in widget.render_line(y)).rstrip()
        for y in range(widget.line_count)
    ]


def rich_lines(app: App[None], source: str, width: int) -> list[str]:
    """What Rich renders for a whole document."""
    options = app.console.options.update(width=width, height=None)
    lines = app.console.render_lines(Markdown(source, hyperlinks=False), options)
    return ["".join(segment.text for segment in line).rstrip() for line in lines]


def one_blank(lines: list[str]) -> list[str]:
    """The lines with each run of blank lines as one: the widget keeps one blank line between
    blocks where Rich shows a table's empty edges beside it too."""
    out: list[str] = []
    for line in lines:
        if line.strip() or not out or out[-1].strip():
            out.append(line)
    return out


def widgets(app: MarkdownApp) -> tuple[StreamingMarkdown, StreamingMarkdown]:
    """The two widgets of the test app."""
    return (
        app.query_one("#first", StreamingMarkdown),
        app.query_one("#second", StreamingMarkdown),
    )


async def test_streamed_in_small_pieces_equals_whole_text() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        streamed, whole = widgets(app)
        whole.set_text(DOCUMENT)
        whole.finish()
        rng = random.Random(7)
        position = 0
        while position < len(DOCUMENT):
            step = rng.randint(1, 7)
            streamed.append(DOCUMENT[position : position + step])
            position += step
            if rng.random() < 0.3:
                await settle(pilot)
        streamed.finish()
        await settle(pilot)
        assert streamed.text == DOCUMENT
        assert rendered(streamed) == rendered(whole)
        # And both are what Rich prints for the whole document.
        assert one_blank(rendered(whole)) == one_blank(rich_lines(app, DOCUMENT, whole.size.width))


@pytest.mark.parametrize("document", [DOCUMENT, TRICKY], ids=["document", "tricky"])
async def test_every_split_point_gives_the_same_blocks(document: str) -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        streamed, whole = widgets(app)
        await settle(pilot)
        whole.set_text(document)
        whole.finish()
        for character in document:
            streamed.append(character)
            # Flush at every character: every prefix of the text is seen once.
            streamed._flush()
        streamed.finish()
        await settle(pilot)
        assert [block.source for block in streamed._blocks] == [
            block.source for block in whole._blocks
        ]
        assert rendered(streamed) == rendered(whole)
        if document is DOCUMENT:
            return
        # Rich puts a blank line before a list even at the top; the widget does not.
        assert one_blank(["", *rendered(whole)]) == one_blank(
            rich_lines(app, TRICKY, whole.size.width)
        )
        assert whole._blocks[0].source == "1. first\n\n10. tenth\n"  # One list.
        text = "\n".join(rendered(whole))
        assert "para #not a heading" in text
        assert "still code" in text and "```x" in text


async def test_code_list_and_table_render() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        widget.set_text(DOCUMENT)
        widget.finish()
        await settle(pilot)
        lines = rendered(widget)
        text = "\n".join(lines)
        assert not any("```" in line for line in lines)
        assert any(line.strip() == "def greet(name):" for line in lines)
        assert any(line.strip() == 'return f"hello {name}"' for line in lines)
        # The blank line inside the fence stays inside one code block.
        start = next(i for i, line in enumerate(lines) if "def greet" in line)
        assert lines[start + 1] == "" and "return" in lines[start + 2]
        assert "• first item" in text and "• nested item" in text
        assert "1 one" in text and "2 two" in text
        header = next(line for line in lines if "Name" in line)
        assert "Value" in header and "|" not in header
        rule = lines[lines.index(header) + 1]
        assert rule.strip() and set(rule.strip()) <= set("─━╸╺╴╶ ")
        assert any(line.split() == ["a", "1"] for line in lines)
        assert "▌ a quote on two lines" in text
        assert "Setext heading" in lines and "--------------" not in lines
        assert widget.size.height == widget.line_count


async def test_partial_text_is_shown_before_finish() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        widget.append("First paragraph.\n\nHello **wor")
        await settle(pilot)
        assert not widget.is_finished
        # CommonMark shows an unclosed "**" as typed, until it is closed.
        assert rendered(widget) == ["First paragraph.", "", "Hello **wor"]
        # While streaming, the height is reserved a step at a time (fewer layouts).
        assert widget.size.height == HEIGHT_STEP
        widget.append("ld**, and code:\n\n```python\nprint(1)\n")
        await settle(pilot)
        lines = rendered(widget)
        assert "Hello world, and code:" in lines
        assert any(line.strip() == "print(1)" for line in lines)
        assert not any("```" in line for line in lines)


async def test_markup_is_literal_and_escapes_are_removed() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        for piece in ["[bold]lite", "ral[/bold] \x1b", "[31mred\x1b[0m bell\x07 c1\x9b2J\r\n", "x"]:
            widget.append(piece)
        widget.finish()
        await settle(pilot)
        lines = rendered(widget)
        # Whole escape sequences go (tuichat.core.text.strip_control, as everywhere else).
        assert lines == ["[bold]literal[/bold] red bell c1 x"]
        assert "\x1b" not in widget.text and "\r" not in widget.text
        for y in range(widget.line_count):
            for segment in widget.render_line(y):
                assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in segment.text), segment
                if "literal" in segment.text:
                    assert not (segment.style and segment.style.bold)


async def test_finished_blocks_are_not_rendered_again() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        rendered_sources: list[str] = []
        render = widget._render_markdown

        def recording_render(source: str, first_kind: str) -> list[list[Segment]]:
            rendered_sources.append(source)
            return render(source, first_kind)

        widget._render_markdown = recording_render  # type: ignore[method-assign]
        widget.append("Paragraph one.\n\nParagraph two.\n\nThird")
        await settle(pilot)
        assert [block.source for block in widget._blocks] == ["Paragraph one.", "Paragraph two."]
        finished = list(widget._lines)
        rendered_sources.clear()
        for word in ["", "paragraph", "grows", "and", "grows"]:
            widget.append(word + " ")
            await settle(pilot)
        widget.append("\n\n- and a list\n")
        await settle(pilot)
        widget.finish()
        await settle(pilot)
        # The cached lines of finished blocks are the very same objects ...
        assert all(new is old for new, old in zip(widget._lines, finished, strict=False))
        assert widget._lines[: len(finished)] == finished
        # ... and only the tail was rendered again.
        assert rendered_sources
        assert not any("Paragraph one" in s or "Paragraph two" in s for s in rendered_sources)


async def test_appends_are_coalesced_into_one_render_per_frame() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        await settle(pilot)
        before = widget._render_count
        for _ in range(2000):
            widget.append("word ")
        assert widget._render_count == before  # append never parses or renders.
        await settle(pilot)
        assert widget._render_count - before <= 2
        assert widget.text == "word " * 2000
        assert " ".join(" ".join(rendered(widget)).split()) == ("word " * 2000).strip()


async def test_same_height_refreshes_only_changed_lines() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        widget.append("# Title\n\nFirst paragraph.\n\nGrowing")
        await settle(pilot)
        calls: list[tuple[tuple[Region, ...], bool]] = []
        refresh = widget.refresh

        def recording_refresh(*regions: Region, **kwargs: Any) -> StreamingMarkdown:
            calls.append((regions, kwargs.get("layout", False)))
            return refresh(*regions, **kwargs)

        widget.refresh = recording_refresh  # type: ignore[method-assign]
        widget.append(" tail")
        await settle(pilot)
        # Same number of lines: no layout, only the changed last line is repainted.
        assert calls == [((Region(0, 4, widget.size.width, 1),), False)]
        assert rendered(widget)[-1] == "Growing tail"
        calls.clear()
        widget.append("\n\nNew paragraph")
        await settle(pilot)
        # Seven lines: past the reserved step, so a layout (Textual may refresh again after),
        # and only the new lines are painted again.
        assert widget.line_count == 7
        assert calls[0] == ((Region(0, 5, widget.size.width, 2),), True)
        assert widget.size.height == 2 * HEIGHT_STEP
        calls.clear()
        widget.append("\n\nAnother one")
        await pilot.pause(0.2)  # flushes are at most 15 a second while streaming
        # Nine lines, within the reserved height: the new lines are repainted, no layout.
        assert widget.line_count == 9
        assert calls and not any(layout for _, layout in calls)
        assert widget.size.height == 2 * HEIGHT_STEP
        widget.finish()
        await settle(pilot)
        assert widget.size.height == 9  # finished: the exact height


async def test_resize_renders_again_at_the_new_width() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        text = " ".join(f"word{i}" for i in range(60))
        widget.set_text(f"{text}\n\n```\n{'x' * 70}\n```\n")
        widget.finish()
        await settle(pilot)
        wide = rendered(widget)
        old_width = widget.size.width
        await pilot.resize_terminal(40, 30)
        await settle(pilot)
        width = widget.size.width
        assert width < old_width
        narrow = rendered(widget)
        assert len(narrow) > len(wide)
        assert all(widget.render_line(y).cell_length == width for y in range(widget.line_count))
        assert all(len(line) <= width for line in narrow)
        assert " ".join(" ".join(narrow).split()).startswith(text)
        assert widget.size.height == widget.line_count


async def test_height_follows_content_in_a_message_list() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        first, second = widgets(app)
        second.set_text("second message")
        first.append("line one")
        first.finish()
        await settle(pilot)
        assert first.size.height == 1
        assert second.region.y == first.region.bottom
        first.append("\n\nline two\n\nline three")
        first.finish()
        await settle(pilot)
        assert first.size.height == 5
        assert second.region.y == first.region.bottom
        assert rendered(second) == ["second message"]


async def test_hidden_widget_renders_when_shown() -> None:
    class CollapsedApp(App[None]):
        def compose(self) -> ComposeResult:
            with Collapsible(title="reasoning", collapsed=True):
                yield StreamingMarkdown()

    app = CollapsedApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget = app.query_one(StreamingMarkdown)
        for word in ["thinking", "about", "**it**", "for", "a", "while"]:
            widget.append(word + " ")
            await settle(pilot)
        assert widget.line_count == 0  # Never laid out: nothing rendered yet.
        app.query_one(Collapsible).collapsed = False
        await settle(pilot)
        assert rendered(widget) == ["thinking about it for a while"]
        widget.finish()
        await settle(pilot)
        assert rendered(widget) == ["thinking about it for a while"]


async def test_append_after_finish_resumes_the_stream() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        resumed, whole = widgets(app)
        resumed.append("Intro.\n\n- a")
        resumed.finish()
        await settle(pilot)
        resumed.append("\n- b\n\nEnd.")
        resumed.finish()
        whole.set_text("Intro.\n\n- a\n- b\n\nEnd.")
        whole.finish()
        await settle(pilot)
        assert resumed.text == whole.text
        assert [block.source for block in resumed._blocks] == [
            block.source for block in whole._blocks
        ]
        assert rendered(resumed) == rendered(whole)


async def test_long_open_fence_is_highlighted_in_chunks() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        streamed, whole = widgets(app)
        code = [f"value_{i} = {i} * 2" for i in range(60)]
        source = "Code:\n\n```python\n" + "\n".join(code) + "\n```\n\nDone."
        whole.set_text(source)
        whole.finish()
        streamed.append("Code:\n\n```python\n")
        for index, line in enumerate(code):
            streamed.append(line + "\n")
            if index % 8 == 0:
                await settle(pilot)
        await settle(pilot)
        # While open, all complete lines are shown, most from cached chunks.
        assert len(streamed._fence_chunks) == 60 // 16
        lines = rendered(streamed)
        assert all(any(line.strip() == c for line in lines) for c in code)
        chunk = streamed._fence_chunks[0]
        streamed.append("# one more line")
        await settle(pilot)
        assert streamed._fence_chunks[0] is chunk
        assert any(line.strip() == "# one more line" for line in rendered(streamed))
        streamed.append("\n```\n\nDone.")
        streamed.finish()
        await settle(pilot)
        source_lines = source.replace("```\n\nDone.", "# one more line\n```\n\nDone.")
        whole.set_text(source_lines)
        whole.finish()
        await settle(pilot)
        assert rendered(streamed) == rendered(whole)


async def test_code_theme_follows_the_app_theme() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        app.theme = "textual-dark"
        widget.set_text("```python\nx = 1\n```")
        widget.finish()
        await settle(pilot)
        assert widget._code_theme == "monokai"
        dark = widget._lines[1]
        app.theme = "textual-light"
        await settle(pilot)
        await settle(pilot)
        assert widget._code_theme == "default"
        assert widget._lines[1] != dark
        assert rendered(widget)[1].strip() == "x = 1"


async def test_text_can_be_selected() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        widget.set_text("# Title\n\nSome *selectable* text.")
        widget.finish()
        await settle(pilot)
        # Segments carry their offsets, so the mouse can be mapped to the text.
        assert all(
            segment.style is not None and segment.style.meta["offset"][1] == 2
            for segment in widget.render_line(2)
        )
        widget.text_select_all()
        await settle(pilot)
        selected_text = app.screen.get_selected_text()
        assert selected_text is not None
        # The text as shown (the heading is centred), not the Markdown source.
        assert [line.strip() for line in selected_text.split("\n")] == [
            "Title",
            "",
            "Some selectable text.",
        ]
        selected = app.screen.get_component_rich_style("screen--selection")
        first = next(iter(widget.render_line(2)))
        assert first.style is not None and first.style.bgcolor == selected.bgcolor


async def test_clear_and_set_text() -> None:
    app = MarkdownApp()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, _ = widgets(app)
        widget.set_text("# Title\n\nbody")
        await settle(pilot)
        assert widget.line_count == 3
        widget.clear()
        await settle(pilot)
        assert widget.line_count == 0 and widget.text == ""
        assert widget.size.height == 0
        widget.set_text("again")
        await settle(pilot)
        assert rendered(widget) == ["again"]
        assert not widget.can_focus


async def test_a_growing_answer_is_laid_out_once_per_change_of_height(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.screen import Screen

    from tuichat.ui.widgets.chat_message import AssistantMessage
    from tuichat.ui.widgets.message_list import MessageList

    class ListApp(App[None]):
        def compose(self) -> ComposeResult:
            yield MessageList()

    layouts: list[int] = []
    refresh_layout = Screen._refresh_layout

    def counting(screen: Screen[Any], *args: Any, **kwargs: Any) -> None:
        layouts.append(answer.body.reserved_height)
        refresh_layout(screen, *args, **kwargs)

    app = ListApp()
    async with app.run_test(size=(80, 20)) as pilot:
        answer = AssistantMessage()
        app.query_one(MessageList).add(answer, None, "answer")
        await settle(pilot)
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        for step in range(1, 4):
            answer.body.append("".join(f"line {step}.{n}\n\n" for n in range(HEIGHT_STEP // 2)))
            while answer.body.reserved_height < HEIGHT_STEP * step:
                await pilot.pause(0.02)  # until the flush (at most 15 a second)
            await pilot.pause()  # and every frame it asks for
        # Each step of height is one layout (Textual would ask for a second one, from the
        # virtual sizes the first one set, and repaint the whole answer again).
        assert layouts == [HEIGHT_STEP, HEIGHT_STEP * 2, HEIGHT_STEP * 3]


async def test_one_blank_line_before_and_after_a_table() -> None:
    source = "Before.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter."
    app = MarkdownApp()
    async with app.run_test(size=(60, 20)) as pilot:
        whole, _ = widgets(app)
        whole.append(source)
        whole.finish()
        await settle(pilot)
        lines = [line.strip() for line in rendered(whole)]
        table = lines.index("a  b")
        assert lines[table - 2 : table] == ["Before.", ""]
        after = lines.index("After.")
        assert lines[after - 2 : after] == ["1  2", ""]


async def test_headings_quotes_links_and_code_take_the_themes_colours() -> None:
    from textual.color import Color

    from tuichat.config.theme_files import load_all_theme_specs
    from tuichat.ui.themes import register_all

    specs, problems = load_all_theme_specs()
    assert not problems
    app = MarkdownApp()
    async with app.run_test(size=(60, 20)) as pilot:
        register_all(app, specs)
        for name in sorted(specs):
            app.theme = name
            await pilot.pause()
            variables = app.theme_variables
            styles = markdown_theme(variables).styles
            h2 = styles["markdown.h2"]
            expected = Color.parse(variables["markdown-h2-color"])
            assert h2.color is not None and h2.color.triplet is not None
            assert h2.color.triplet.hex.lower() == expected.hex[:7].lower(), name
            for key in ("markdown.h2", "markdown.h3", "markdown.block_quote", "markdown.link"):
                assert "magenta" not in str(styles[key]) and "red" not in str(styles[key]), name
            assert styles["markdown.block_quote"].italic
            # And the answer on screen is drawn in them.
            widget = widgets(app)[0]
            widget.set_text("## Heading two\n\nText.")
            widget.finish()
            await settle(pilot)
            heading = next(
                segment
                for y in range(widget.virtual_size.height)
                for segment in widget.render_line(y)
                if "Heading" in segment.text
            )
            assert heading.style is not None and heading.style.color is not None
            shown = heading.style.color.get_truecolor()
            assert shown.hex.lower() == expected.hex[:7].lower(), name


async def test_every_theme_offered_renders_markdown_ansi_ones_in_the_terminals_colours() -> None:
    from rich.color import ColorType

    from tuichat.config.theme_files import load_all_theme_specs
    from tuichat.ui.themes import register_all

    specs, _ = load_all_theme_specs()
    app = MarkdownApp()
    async with app.run_test(size=(60, 20)) as pilot:
        register_all(app, specs)
        names = sorted(app.available_themes)
        assert {"ansi-dark", "ansi-light", "tuichat-dark", "nord"} <= set(names)
        widget = widgets(app)[0]
        for name in names:  # Textual's own themes too: the palette offers them all
            app.theme = name
            await pilot.pause()
            widget.set_text(f"# One {name}\n\n### Three\n\n> quote `code`\n\n```\nblock\n```")
            widget.finish()
            await settle(pilot)
            text = [widget.render_line(y).text for y in range(widget.virtual_size.height)]
            assert any(f"One {name}" in line for line in text), name
        # An ANSI theme's headings are the terminal's own colours, not a fixed RGB.
        app.theme = "ansi-dark"
        await pilot.pause()
        h1 = markdown_theme(app.theme_variables).styles["markdown.h1"]
        assert h1.color is not None and h1.color.type == ColorType.STANDARD
