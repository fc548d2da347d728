"""The prompt library: bundled prompts, the user's files over them, broken files reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuichat.config.paths import user_prompts_dir
from tuichat.config.prompt_library import (
    BUNDLED,
    PromptError,
    load_prompt_library,
    template_variables,
)


def user_prompt(name: str, text: str) -> Path:
    """A prompt file in the (isolated) user config dir."""
    directory = user_prompts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_prompts_load_with_their_templates() -> None:
    library = load_prompt_library()
    assert library.problems == ()
    assert {"code-review", "translate", "explain", "commit-message"} <= set(library.names())
    translate = library.get("translate")
    assert translate.source == BUNDLED
    assert translate.variables == ("language", "text")
    assert translate.fill({"language": "French", "text": "Good morning"}) == (
        "Translate this into French:\n\nGood morning"
    )
    assert library.get("code-review").template is None


def test_a_user_file_adds_a_prompt_and_overrides_a_bundled_one() -> None:
    mine = user_prompt(
        "translate",
        'description = "My translator"\nsystem = "Translate to {{pirate}}."\n'
        'template = "Say {text} in {{braces}}"\n',
    )
    user_prompt("haiku", 'description = "Haiku"\nsystem = "Answer in a haiku."\n')
    library = load_prompt_library()
    assert library.problems == ()
    translate = library.get("translate")
    assert (translate.description, translate.source) == ("My translator", str(mine))
    assert translate.variables == ("text",)
    assert translate.fill({"text": "hi"}) == "Say hi in {braces}"
    assert library.get("haiku").system == "Answer in a haiku."
    assert "code-review" in library.names()  # the other bundled ones stay


def test_each_broken_file_is_reported_once_and_the_others_load() -> None:
    bad_toml = user_prompt("bad-toml", 'description = "x"\nsystem = "unclosed\n')
    no_system = user_prompt("no-system", 'description = "x"\n')
    unknown = user_prompt("unknown", 'description = "x"\nsystem = "y"\nmodel = "gpt-4o"\n')
    bad_template = user_prompt(
        "bad-template", 'description = "x"\nsystem = "y"\ntemplate = "{0}"\n'
    )
    user_prompt("fine", 'description = "Fine"\nsystem = "Fine."\n')
    library = load_prompt_library()
    problems = "\n".join(library.problems)
    assert len(library.problems) == 4, problems
    assert f"prompt {bad_toml}: not valid TOML" in problems
    assert f"prompt {no_system}: system is missing" in problems
    assert f"prompt {unknown}: unknown key 'model'" in problems
    assert f"prompt {bad_template}: template: '{{0}}' is not a variable" in problems
    assert "fine" in library.names()
    assert not {"bad-toml", "no-system", "unknown", "bad-template"} & set(library.names())


def test_a_missing_variable_and_an_unknown_name_say_what_to_do() -> None:
    library = load_prompt_library()
    with pytest.raises(PromptError, match=r"needs a value for text \(--var text=\.\.\.\)"):
        library.get("translate").fill({"language": "French"})
    with pytest.raises(PromptError, match=r"there is no prompt 'nope' .*translate"):
        library.get("nope")


def test_template_variables_are_plain_names_in_order() -> None:
    assert template_variables("{b} {a} {b} {{c}}") == ("b", "a")
    for bad in ("{a.b}", "{x!r}", "{x:>4}", "{", "}"):
        with pytest.raises(ValueError):
            template_variables(bad)
