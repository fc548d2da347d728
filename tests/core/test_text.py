"""Making model text safe to show."""

from __future__ import annotations

import random

from tuichat.core.text import ControlStripper, strip_control


def test_strip_control_removes_escape_sequences_and_controls_only() -> None:
    text = "a\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 b\x07\r\n\tc é 한"
    assert strip_control(text) == "ared link b\n\tc é 한"
    plain = "nothing to strip [bold]x[/bold]"
    assert strip_control(plain) is plain


def test_an_unterminated_sequence_swallows_the_rest_of_its_line_only() -> None:
    assert strip_control("a\x1b]0;title without end\nnext line") == "a\nnext line"


def test_text_in_any_pieces_is_stripped_as_if_whole() -> None:
    alphabet = ["a", "é", "한", " ", "\n", "\t", "\x1b", "[", "]", "0", ";", "3", "1", "m",
                "P", "\\", "\x07", "\x9b", "\r", "\x00", "x"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 6))))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        stripper = ControlStripper()
        shown = "".join(stripper.feed(piece) for piece in pieces) + stripper.flush()
        assert shown == strip_control(text), (text, pieces)


def test_counted_says_one_and_many_with_separators() -> None:
    from tuichat.core.text import counted

    assert counted(1, "tool") == "1 tool"
    assert counted(0, "model") == "0 models"
    assert counted(12345, "chunk") == "12,345 chunks"
    assert counted(2, "reply", "replies") == "2 replies"
