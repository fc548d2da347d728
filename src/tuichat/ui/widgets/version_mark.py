"""The marks of a message: its versions, `< 2/3 >` (whose arrows step through them), and, on
its first line, that it is left out of what is sent.

A regenerated answer and the answers it replaced are versions of one another, and so are an
edited prompt and the prompts it replaced. The mark sits under the message; its arrows (and
`diff`, under an answer) are links that run the chat screen's actions, so a click needs no
geometry. The selected message's mark (the one Ctrl+Left / Ctrl+Right step) is highlighted
and says its keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.style import Style
from textual.widgets import Static


@dataclass(frozen=True, slots=True)
class VersionPlace:
    """Where the version shown stands among the versions of its message.

    Attributes:
        message_id: the stored id of the version shown.
        index: its place, 1 first (the oldest).
        count: how many versions there are.
        selected: whether the version keys act on it.
        answer: whether it is an answer (its versions can be compared as a word diff).
    """

    message_id: int
    index: int
    count: int
    selected: bool = False
    answer: bool = False


def version_mark(place: VersionPlace) -> Content:
    """The mark's content: the arrows (links while there is a version that way), the place,
    `diff` under an answer, and the keys when the message is selected."""
    tone = "bold $accent" if place.selected else "$text-muted"
    step = f"screen.step_versions({place.message_id}, {{}})"
    parts: list[tuple[str, str]] = []
    links: list[tuple[int, str]] = []  # (index of the part, the action it runs)
    if place.index > 1:
        links.append((len(parts), step.format(-1)))
    parts.append(("<", f"bold {tone}" if place.index > 1 else "$text-disabled"))
    parts.append((f" {place.index}/{place.count} ", tone))
    if place.index < place.count:
        links.append((len(parts), step.format(1)))
    parts.append((">", f"bold {tone}" if place.index < place.count else "$text-disabled"))
    if place.answer:
        parts.append(("  ", ""))
        links.append((len(parts), f"screen.diff_versions({place.message_id})"))
        parts.append(("diff", tone))
    if place.selected:
        parts.append(("  ctrl+←/→ versions", "$text-muted"))
    content = Content.assemble(*parts)
    starts = [0]
    for text, _style in parts:
        starts.append(starts[-1] + len(text))
    for index, action in links:
        # A link is a span of meta over the styled text: the styles stay theme variables.
        content = content.stylize(
            Style.from_meta({"@click": action}), starts[index], starts[index + 1]
        )
    return content


def show_mark(view: Static, place: VersionPlace | None) -> None:
    """Show a message's mark in the line of its own under it (hidden: it has no versions)."""
    view.display = place is not None
    view.update(version_mark(place) if place is not None else "")


def left_out_mark() -> Content:
    """The mark of a message left out of what is sent; its `context…` opens the Context
    screen (F9), where it is put back."""
    said = "⊘ left out of what is sent"
    content = Content.assemble((said, "$text-warning"), ("  ", ""), ("context…", "$text-muted"))
    link = Style.from_meta({"@click": "screen.show_context"})
    return content.stylize(link, len(said) + 2, len(content))
