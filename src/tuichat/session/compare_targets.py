"""What a comparison asks: the profiles and models named by `--compare`, or picked in the app.

A `--compare` spec is a comma-separated list of `PROFILE:MODEL` entries, either part optional
where that is unambiguous:

- `ollama:llama3.2`: the profile `ollama`, asking `llama3.2`;
- `ollama` (or `ollama:`): the profile `ollama`, asking its own model;
- `gpt-4o` (or `:gpt-4o`): the conversation's profile (or endpoint), asking `gpt-4o`;
- `qwen2.5:7b`: no profile is called `qwen2.5`, so this is a model name with a colon in it
  (Ollama's tags); `ollama:qwen2.5:7b` names the profile too.

A word that is nearly a profile's name (`olama`, `opneai:gpt-4o`) is taken for a typo and
refused, with the profile it resembles and how to write a model of that name instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tuichat.config.settings import Settings

MIN_TARGETS = 2
MAX_TARGETS = 4  # columns side by side (a 120-column terminal fits four of 30)


class CompareSpecError(ValueError):
    """A `--compare` spec that does not say what to compare; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one column's answer comes from.

    Attributes:
        profile: the provider profile; None: the conversation's profile (or endpoint).
        model: the model; None: the profile's own model (or the conversation's).
    """

    profile: str | None = None
    model: str | None = None

    @property
    def spec(self) -> str:
        """The target written as `--compare` takes it (`demo:demo-fast`, `ollama`, `:gpt-4o`)."""
        if self.profile is None:
            return f":{self.model or ''}"
        return f"{self.profile}:{self.model}" if self.model else self.profile


def parse_targets(text: str, settings: Settings) -> tuple[Target, ...]:
    """The targets of a `--compare` spec (see the module's docstring).

    Args:
        text: the spec, e.g. `openai:gpt-4o-mini,ollama:llama3.2`.
        settings: the loaded settings (the profiles a name may be).

    Raises:
        CompareSpecError: an entry is empty or looks like a mistyped profile, or there are
            fewer than two entries or more than `MAX_TARGETS`.
    """
    entries = text.split(",")
    targets = tuple(
        _parse_entry(entry, position, settings) for position, entry in _numbered(entries)
    )
    if len(targets) < MIN_TARGETS:
        raise CompareSpecError(
            f"{text.strip()!r} names one model: name at least {MIN_TARGETS}, separated by "
            "commas (e.g. demo:demo-fast,demo:demo-slow)."
        )
    if len(targets) > MAX_TARGETS:
        raise CompareSpecError(
            f"{text.strip()!r} names {len(targets)} models: at most {MAX_TARGETS} can be "
            "compared at once."
        )
    return targets


def parse_target(text: str, settings: Settings) -> Target:
    """One entry of a `--compare` spec (what the app's picker takes typed).

    Raises:
        CompareSpecError: it is empty or looks like a mistyped profile.
    """
    return _parse_entry(text, 1, settings)


def _numbered(entries: list[str]) -> Iterable[tuple[int, str]]:
    return ((position, entry) for position, entry in enumerate(entries, start=1))


def _parse_entry(entry: str, position: int, settings: Settings) -> Target:
    text = entry.strip()
    if not text:
        raise CompareSpecError(
            f"entry {position} is empty: write PROFILE:MODEL, PROFILE or MODEL between the "
            "commas (e.g. ollama:llama3.2,gpt-4o)."
        )
    profiles = settings.profiles
    head, colon, tail = text.partition(":")
    head, tail = head.strip(), tail.strip()
    if colon and not head:  # ":model": the conversation's profile, said explicitly
        if not tail:
            raise CompareSpecError(
                f"entry {position} ({text!r}) names neither a profile nor a model."
            )
        return Target(None, tail)
    if head in profiles:
        return Target(head, tail or None)
    typo = _typo_of(head, profiles)
    if typo is not None:
        raise CompareSpecError(
            f"entry {position} ({text!r}): there is no profile {head!r} (did you mean {typo}?); "
            f"for a model of that name on the conversation's profile, write :{text}."
        )
    if colon and not tail:
        raise CompareSpecError(
            f"entry {position} ({text!r}): there is no profile {head!r} (known: "
            f"{', '.join(sorted(profiles))})."
        )
    return Target(None, text)  # a model name, colons and all (llama3.2:3b)


def _typo_of(word: str, names: Iterable[str]) -> str | None:
    """The name `word` looks like a slip of the keyboard for, if any: one letter missing, added,
    changed or swapped with the next, or another case (`deepseek-r1` is a model, not a
    mistyped `deepseek`)."""
    lowered = word.lower()
    return next((name for name in sorted(names) if _one_slip_apart(lowered, name)), None)


def _one_slip_apart(a: str, b: str) -> bool:
    """Whether two words differ by at most one edit (a transposition counts as one)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]  # one letter added
    if a[i + 1 :] == b[i + 1 :]:
        return True  # one letter changed
    return a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]  # two swapped
