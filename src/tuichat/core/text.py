"""Making model text safe to show: it is displayed literally, never interpreted."""

from __future__ import annotations

import re

# CSI / OSC / other ESC sequences first, so their parameters vanish with them; then every
# other C0 and C1 control except tab and newline (a lone CR would let text overwrite itself).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|\x1b[@-Z\\-_]"  # two-byte sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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
