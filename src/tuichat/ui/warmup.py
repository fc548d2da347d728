"""What the first answer needs, imported in a thread once the first frame is on screen.

Start-up imports only what the first screen shows. The SDK (``openai``, its types hundreds
of pydantic models) and the Markdown renderers (``rich.markdown`` with markdown-it-py,
``rich.syntax`` with Pygments) are needed when the first answer arrives: imported in a
background thread after the first frame, they hold up neither the start-up nor the first
answer. Whoever needs one of them first imports it as usual (a module being imported by
the thread is waited for, never imported twice).
"""

from __future__ import annotations

import threading

from tuichat.core.client import prepare_sdk

__all__ = ["warm_up"]

_lock = threading.Lock()
_started = False


def warm_up() -> None:
    """Start importing, in the background, what the first answer needs (once)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_import_renderers, name="tuichat-warm-up", daemon=True).start()


def _import_renderers() -> None:
    # After the SDK (one import at a time: two threads importing would slow the UI thread
    # twice as much), the modules the first rendered answer needs.
    prepare_sdk().exception()
    import rich.markdown
    import rich.syntax  # noqa: F401

    from tuichat.ui.markdown_blocks import block_parser

    block_parser()
