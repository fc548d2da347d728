"""`--compare` specs: PROFILE:MODEL entries, either part optional where that is unambiguous, and
errors that say what is wrong."""

from __future__ import annotations

import pytest

from tuichat.config.load import parse_settings
from tuichat.session.compare_targets import CompareSpecError, Target, parse_targets

SETTINGS = parse_settings('[profiles.work]\nbase_url = "https://llm.example.com/v1"\n')


@pytest.mark.parametrize(
    ("spec", "targets"),
    [
        (
            "openai:gpt-4o-mini,ollama:llama3.2",
            [Target("openai", "gpt-4o-mini"), Target("ollama", "llama3.2")],
        ),
        # A profile alone asks its own model; a model alone, the conversation's profile.
        ("ollama,gpt-4o", [Target("ollama", None), Target(None, "gpt-4o")]),
        ("ollama:,:gpt-4o", [Target("ollama", None), Target(None, "gpt-4o")]),
        ("demo-fast, demo-slow", [Target(None, "demo-fast"), Target(None, "demo-slow")]),
        # A colon after a word that is no profile is part of a model's name (Ollama's tags).
        (
            "qwen2.5:7b,ollama:qwen2.5:7b",
            [Target(None, "qwen2.5:7b"), Target("ollama", "qwen2.5:7b")],
        ),
        # Near a profile's name but not a slip of the keyboard: a model.
        ("deepseek-r1:14b,deepseek", [Target(None, "deepseek-r1:14b"), Target("deepseek", None)]),
        # The config file's profiles count, and a model may be compared with itself.
        ("work:m,work:m,demo", [Target("work", "m"), Target("work", "m"), Target("demo", None)]),
        # A colon in front says "a model", even one named like a profile's typo.
        (":olama,:opneai:x", [Target(None, "olama"), Target(None, "opneai:x")]),
    ],
)
def test_a_spec_names_profiles_and_models(spec: str, targets: list[Target]) -> None:
    assert list(parse_targets(spec, SETTINGS)) == targets
    assert list(parse_targets(",".join(t.spec for t in targets), SETTINGS)) == targets


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-4o", "'gpt-4o' names one model: name at least 2"),
        ("a,b,c,d,e", "names 5 models: at most 4 can be compared at once"),
        ("a,,b", "entry 2 is empty"),
        ("a,", "entry 2 is empty"),
        (":,a", "entry 1 (':') names neither a profile nor a model"),
        (
            "olama,gpt-4o",
            "entry 1 ('olama'): there is no profile 'olama' (did you mean ollama?); for a model "
            "of that name on the conversation's profile, write :olama.",
        ),
        (
            "gpt-4o,opneai:gpt-4o",
            "entry 2 ('opneai:gpt-4o'): there is no profile 'opneai' (did you mean openai?)",
        ),
        ("Ollama,a", "(did you mean ollama?)"),
        ("a,wrok:m", "(did you mean work?)"),
        (
            "nothing:,a",
            "entry 1 ('nothing:'): there is no profile 'nothing' (known: deepseek, demo,",
        ),
    ],
)
def test_a_bad_spec_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(CompareSpecError) as raised:
        parse_targets(spec, SETTINGS)
    assert message in str(raised.value)
