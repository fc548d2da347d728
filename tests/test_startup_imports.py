"""The first frame does not wait for what only answers need (bench/startup.py measures it).

Importing `openai` takes longer than starting the rest of the app; markdown-it and Pygments
render answers. They are imported in a thread once the first frame is on screen
(`tuichat.ui.warmup`), or on first use.
"""

from __future__ import annotations

import subprocess
import sys

LATER = ["openai", "markdown_it", "pygments"]
LATER_THAN_THE_FIRST_FRAME = [
    "tuichat.core.client",
    "tuichat.core.accumulator",
    "tuichat.session.builder",
    "tuichat.session.session",
    "tuichat.session.conversation",
    "tuichat.session.attachments",
    "tuichat.storage.store",
    "tuichat.tools.registry",
    "tuichat.ui.screens.chat",
    "tuichat.ui.widgets.message_list",
    "tuichat.ui.widgets.inspector",
    "importlib.resources",  # it imports zipfile: bundled files are found by their path
]


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


def test_the_first_frame_needs_no_session_client_storage_or_chat_screen() -> None:
    # What `tuichat` imports before its first frame (cli.main up to the starting screen);
    # the rest is imported behind it (TuichatApp._start).
    code = (
        "import sys\n"
        "import tuichat.cli, tuichat.ui.app, tuichat.ui.screens.starting\n"
        "import tuichat.session.plan, tuichat.config.load, tuichat.config.theme_files\n"
        "import tuichat.config.validate, tuichat.ui.themes, tuichat.session.compare_targets\n"
        "tuichat.config.theme_files.load_all_theme_specs()\n"
        "import tuichat.config.prompt_library as library; library.load_prompt_library()\n"
        f"print(sorted(set(sys.modules) & {set(LATER_THAN_THE_FIRST_FRAME)!r}))\n"
    )
    assert run(code) == "[]"


def test_preparing_imports_the_sdk_and_creates_the_clients_made_so_far() -> None:
    code = (
        "import sys\n"
        "from tuichat.core.client import ChatClient, prepare_sdk\n"
        "from tuichat.core.provider import Provider\n"
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
