"""`tuichat prompts` and `--role` / `--var` of `tuichat ask`, as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tuichat.config.paths import user_prompts_dir
from tuichat.demo.server import ChatServer

KEY = "sk-test-prompts-0123456789SECRET"


def tuichat(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m tuichat ...` to the end (the isolated XDG dirs are inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "tuichat", *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        env={**os.environ, "OPENAI_API_KEY": KEY, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )


def ask(server: ChatServer, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tuichat(
        "ask", "--base-url", server.base_url, "--model", "m", "--db", str(db), *args
    )  # fmt: skip


def user_prompt(name: str, text: str) -> Path:
    directory = user_prompts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_prompts_json_lists_bundled_and_user_prompts_and_names_broken_files() -> None:
    mine = user_prompt("haiku", 'description = "Answer in a haiku"\nsystem = "Haiku only."\n')
    broken = user_prompt("broken", 'description = "no system"\n')
    result = tuichat("prompts", "--json")
    assert result.returncode == 0, result.stderr
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["haiku"] == {
        "name": "haiku",
        "description": "Answer in a haiku",
        "source": "user",
        "path": str(mine),
        "system": "Haiku only.",
        "template": None,
        "variables": [],
    }
    assert listed["translate"]["source"] == "bundled"
    assert listed["translate"]["path"] is None
    assert listed["translate"]["variables"] == ["language", "text"]
    assert "broken" not in listed
    assert (
        result.stderr
        == f'tuichat prompts: prompt {broken}: system is missing: add system = "..."\n'
    )


def test_prompts_lists_name_source_and_description() -> None:
    mine = user_prompt("haiku", 'description = "Answer in a haiku"\nsystem = "Haiku only."\n')
    result = tuichat("prompts")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert f"haiku\t{mine}\tAnswer in a haiku" in lines
    assert any(line.startswith("code-review\tbundled\t") for line in lines)


def test_ask_role_sends_the_prompt_as_the_system_message_and_fills_the_template(
    server: ChatServer, tmp_path: Path
) -> None:
    db = tmp_path / "h.db"
    result = ask(server, db, "--role", "translate", "--var", "language=French", "Good morning")
    assert result.returncode == 0, result.stderr
    messages = server.requests[-1]["messages"]
    system = messages[0]
    assert system["role"] == "system"
    assert system["content"].startswith("You are a professional translator.")
    assert "prompt" not in system  # tuichat's own key stays off the wire
    assert messages[1] == {
        "role": "user",
        "content": "Translate this into French:\n\nGood morning",
    }


def test_ask_role_of_a_user_file_with_every_variable_given(
    server: ChatServer, tmp_path: Path
) -> None:
    user_prompt(
        "greet",
        'description = "Greets"\nsystem = "You greet people."\ntemplate = "Greet {who} in {how}"\n',
    )
    result = ask(
        server, tmp_path / "h.db", "--role", "greet", "--var", "who=Ana", "--var", "how=Korean"
    )
    assert result.returncode == 0, result.stderr
    messages = server.requests[-1]["messages"]
    assert messages[0] == {"role": "system", "content": "You greet people."}
    assert messages[1] == {"role": "user", "content": "Greet Ana in Korean"}


def test_ask_role_mistakes_are_one_clear_line(server: ChatServer, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    unknown = ask(server, db, "--role", "nope", "hi")
    assert unknown.returncode == 1
    assert "--role: there is no prompt 'nope'" in unknown.stderr
    missing = ask(server, db, "--role", "translate", "--var", "text=hi")
    assert missing.returncode == 2
    assert "needs a value for language (--var language=...)" in missing.stderr
    stray = ask(server, db, "--var", "a=b", "hi")
    assert stray.returncode == 1
    assert "add --role NAME" in stray.stderr
    wrong = ask(server, db, "--role", "translate", "--var", "colour=red", "hi")
    assert wrong.returncode == 1
    assert "has no variable 'colour' (its variables: language, text)" in wrong.stderr
    assert server.requests == []  # nothing was sent
