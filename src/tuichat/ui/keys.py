"""Keys terminals send in ways Textual does not tell apart.

Alt+Enter arrives as ESC CR from most terminals, tmux included, unless they speak the kitty
keyboard protocol; Textual reads that as a plain Enter, which would send the prompt instead
of starting a new line. Its key table gets one entry more: ESC CR is Ctrl+J, the prompt's
other new-line key (Alt+Backspace, ESC DEL, is mapped the same way by Textual itself).
"""

from __future__ import annotations

from textual import _ansi_sequences
from textual.keys import Keys

ALT_ENTER = "\x1b\r"


def read_alt_enter_as_new_line() -> None:
    """Make ESC CR (Alt+Enter) a new line in the prompt, not a send."""
    table = _ansi_sequences.ANSI_SEQUENCES_KEYS
    if isinstance(table, dict) and ALT_ENTER not in table:
        table[ALT_ENTER] = (Keys.ControlJ,)
