"""Making model text safe to show: it is displayed literally, never interpreted."""

from __future__ import annotations

import re

# CSI / OSC / other ESC sequences first, so their parameters vanish with them; then every
# other C0 and C1 control except tab and newline (a lone CR would let text overwrite itself).
# A string sequence (OSC, DCS...) ends at its terminator, the next ESC or a line break: an
# unterminated one swallows the rest of its line, never the rest of the answer.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b\n]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|\x1b[@-Z\\-_]"  # two-byte sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A sequence that more text could still complete, at the very end of what arrived so far.
# (A string sequence may hold C1 characters, an 8-bit CSI among them; no sequence holds an ESC.)
_OPEN_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b\n]*|[PX^_][^\x1b\n]*)?\Z")
_OPEN_C1_CSI = re.compile(r"\x9b[0-?]*[ -/]*\Z")


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and control characters, keeping tab and newline.

    Args:
        text: text from the model or a tool.

    Returns:
        The text with nothing a terminal would interpret.
    """
    if not _CONTROL.search(text):
        return text  # the common case costs one scan
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count and its noun, with thousands separators: `1 tool`, `2 tools`, `1,234 chunks`.

    Args:
        count: how many.
        noun: the singular.
        plural: the plural when it is not the singular with an `s`.
    """
    word = noun if count == 1 else plural or noun + "s"
    return f"{count:,} {word}"


class ControlStripper:
    """`strip_control` for text that arrives in pieces: a sequence split between two pieces
    leaves nothing on screen.

    Each piece's text is given back safe to show, except a tail that may still become part of
    an escape sequence: it waits for the next piece (or `flush`). What it gives back, joined,
    is `strip_control` of the whole text, so what is shown is what is kept.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of the text so far that is safe to show now."""
        if self._held:
            text = self._held + text
            self._held = ""
        elif "\x1b" not in text and "\x9b" not in text:
            return strip_control(text)  # the common case: nothing can be open
        start = text.rfind("\x1b")
        if start < 0 or not _OPEN_ESCAPE.match(text, start):
            start = text.rfind("\x9b")
            if start >= 0 and not _OPEN_C1_CSI.match(text, start):
                start = -1
        if start >= 0:
            self._held = text[start:]
            text = text[:start]
        return strip_control(text)

    def flush(self) -> str:
        """The end of the text: what was held, without what is a sequence after all."""
        held, self._held = self._held, ""
        return strip_control(held)
