"""The first frame does not wait for what only answers need (bench/startup.py measures it).

Importing `openai` takes longer than starting the rest of the app; markdown-it and Pygments
render answers. They are imported in a thread once the first frame is on screen
(`tuichat.ui.warmup`), or on first use.
"""

from __future__ import annotations

import subprocess
import sys

LATER = ["openai", "markdown_it", "pygments"]


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_app_starts_without_the_sdk_or_the_markdown_renderers() -> None:
    code = (
        "import sys\n"
        "import tuichat.cli, tuichat.ui.app, tuichat.session, tuichat.storage\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(LATER)!r}))\n"
    )
    assert run(code) == "[]"


def test_preparing_imports_the_sdk_and_creates_the_clients_made_so_far() -> None:
    code = (
        "import sys\n"
        "from tuichat.core.client import ChatClient, Provider, prepare_sdk\n"
        "client = ChatClient(Provider(base_url='http://127.0.0.1:9/v1', model='m'))\n"
        "assert 'openai' not in sys.modules\n"
        "prepare_sdk().result(timeout=120)\n"
        "import openai\n"
        "print(type(client._sdk_client) is openai.AsyncOpenAI)\n"
    )
    assert run(code) == "True"


def test_warming_up_imports_the_markdown_renderers() -> None:
    code = (
        "import sys, threading\n"
        "from tuichat.ui.warmup import warm_up\n"
        "warm_up()\n"
        "for thread in threading.enumerate():\n"
        "    if thread.name == 'tuichat-warm-up':\n"
        "        thread.join(timeout=120)\n"
        "print(all(name in sys.modules for name in ['openai', 'rich.markdown', 'rich.syntax']))\n"
    )
    assert run(code) == "True"
