"""The prompt library: named system prompts (and user-message templates) in TOML files.

A prompt file is `<name>.toml`:

    description = "Translate a text into another language"   # required
    system = "You are a professional translator. ..."        # required: the system prompt
    template = "Translate this into {language}:\\n\\n{text}"   # optional: the user message

A template's `{variables}` are filled by the user (the app's form, `--var key=value`);
`{{` and `}}` are literal braces. Bundled prompts ship in the package
(`tuichat/config/prompts/`); a user's `<config dir>/prompts/NAME.toml` overrides the bundled
one of the same name. A broken file is skipped with one message saying which file and what is
wrong; the others load.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from tuichat.config.paths import user_prompts_dir

if TYPE_CHECKING:  # importlib.resources imports zipfile: not at start-up
    from importlib.resources.abc import Traversable

BUNDLED = "bundled"
"""The `source` of a prompt shipped with tuichat (a user's prompt's is its file's path)."""

PROMPT_KEYS = ("description", "system", "template")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class PromptFileError(ValueError):
    """A prompt file that cannot be used; the message starts with the file's name."""


class PromptError(ValueError):
    """A prompt that cannot be used as asked (no such name, a template variable missing)."""


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """One named prompt of the library.

    Attributes:
        name: the file's name without `.toml` (what `--role` and the palette say).
        description: one line on what it is for.
        system: the system prompt.
        template: the user message, with `{variables}` (None: the user writes it).
        source: `BUNDLED`, or the user file's path.
    """

    name: str
    description: str
    system: str
    template: str | None = None
    source: str = BUNDLED

    @property
    def variables(self) -> tuple[str, ...]:
        """The template's variables, in the order they first appear."""
        return template_variables(self.template) if self.template is not None else ()

    def fill(self, values: Mapping[str, str]) -> str:
        """The template with each variable replaced by its value.

        Raises:
            PromptError: a variable has no value (the message names them all).
        """
        if self.template is None:
            return ""
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise PromptError(
                f"the prompt {self.name!r} needs a value for "
                + ", ".join(missing)
                + " ("
                + " ".join(f"--var {name}=..." for name in missing)
                + ")"
            )
        parts: list[str] = []
        for literal, name, _spec, _conversion in string.Formatter().parse(self.template):
            parts.append(literal)
            if name is not None:
                parts.append(values[name])
        return "".join(parts)


def template_variables(template: str) -> tuple[str, ...]:
    """The `{variables}` of a template, each once, in order.

    Raises:
        ValueError: a brace is unmatched, or a field is not a plain name (`{0}`, `{a.b}`,
            `{x:>4}`, `{x!r}`): the message says which.
    """
    names: list[str] = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        shown = "{" + name + "}"
        if not _VARIABLE.fullmatch(name) or spec or conversion:
            raise ValueError(
                f"{shown!r} is not a variable: write {{name}} with a name of letters, digits, "
                "'_' and '-' (and {{ }} for literal braces)"
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def parse_prompt(text: str, file_name: str, source: str = BUNDLED) -> PromptSpec:
    """A prompt from a file's text.

    Args:
        text: the TOML.
        file_name: the file's name (`NAME.toml`): the prompt's name, and how messages say
            which file is wrong.
        source: `BUNDLED` or the file's path.

    Raises:
        PromptFileError: bad TOML, `system` or `description` missing or not text, an unknown
            key, or a bad template; the message names the file and says what to fix.
    """

    def fail(problem: str) -> PromptFileError:
        return PromptFileError(f"{file_name}: {problem}")

    name = file_name.removesuffix(".toml")
    if not _NAME.fullmatch(name):
        raise fail("the name (the file's name) may hold letters, digits, '_', '-' and '.'")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise fail(f"not valid TOML: {error}") from None
    unknown = [key for key in document if key not in PROMPT_KEYS]
    if unknown:
        raise fail(
            f"unknown key {', '.join(map(repr, unknown))} (a prompt file has "
            + ", ".join(PROMPT_KEYS)
            + ")"
        )
    fields: dict[str, str] = {}
    for key in PROMPT_KEYS:
        value = document.get(key)
        if value is None:
            if key != "template":
                raise fail(f'{key} is missing: add {key} = "..."')
            continue
        if not isinstance(value, str) or not value.strip():
            raise fail(f'{key} must be non-empty text in quotes, e.g. {key} = "..."')
        fields[key] = value.strip()
    template = fields.get("template")
    if template is not None:
        try:
            template_variables(template)
        except ValueError as error:
            raise fail(f"template: {error}") from None
    return PromptSpec(
        name=name,
        description=" ".join(fields["description"].split()),
        system=fields["system"],
        template=template,
        source=source,
    )


@dataclass(frozen=True, slots=True)
class PromptLibrary:
    """The prompts that loaded, by name, and what was wrong with the files that did not."""

    prompts: Mapping[str, PromptSpec] = field(default_factory=lambda: MappingProxyType({}))
    problems: tuple[str, ...] = ()

    def names(self) -> list[str]:
        """The prompts' names, sorted."""
        return sorted(self.prompts)

    def get(self, name: str) -> PromptSpec:
        """The prompt of this name.

        Raises:
            PromptError: there is none (the message lists those there are).
        """
        spec = self.prompts.get(name)
        if spec is None:
            known = ", ".join(self.names()) or "none"
            raise PromptError(f"there is no prompt {name!r} (there are: {known})")
        return spec


def load_prompts(dirs: Iterable[tuple[Traversable, bool]]) -> PromptLibrary:
    """Load every `*.toml` prompt of the directories, later ones overriding earlier.

    Args:
        dirs: (directory, bundled) pairs, e.g. `prompt_dirs()`. Missing ones are skipped.
    """
    prompts: dict[str, PromptSpec] = {}
    problems: list[str] = []
    for directory, bundled in dirs:
        for entry in _toml_files(directory):
            source = BUNDLED if bundled else str(entry)
            where = entry.name if bundled else str(entry)
            try:
                spec = parse_prompt(entry.read_text(encoding="utf-8"), entry.name, source)
            except PromptFileError as error:
                problems.append(f"prompt {where}: {str(error).removeprefix(entry.name + ': ')}")
                continue
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"prompt {where}: cannot read the file ({error})")
                continue
            prompts[spec.name] = spec
    return PromptLibrary(MappingProxyType(dict(sorted(prompts.items()))), tuple(problems))


def _toml_files(directory: Traversable) -> list[Traversable]:
    try:
        entries = [entry for entry in directory.iterdir() if entry.name.endswith(".toml")]
    except OSError:
        return []
    return sorted((entry for entry in entries if entry.is_file()), key=lambda entry: entry.name)


def bundled_prompts_dir() -> Traversable:
    """The prompts shipped with tuichat (package data beside this module)."""
    return Path(__file__).parent / "prompts"


def prompt_dirs(user_dir: Path | None = None) -> list[tuple[Traversable, bool]]:
    """Where prompts are looked for, lowest priority first: bundled, then the user's."""
    return [(bundled_prompts_dir(), True), (user_dir or user_prompts_dir(), False)]


def load_prompt_library() -> PromptLibrary:
    """`load_prompts(prompt_dirs())`: the bundled prompts overridden by the user's."""
    return load_prompts(prompt_dirs())


def parse_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """`--var key=value` options as a mapping (a later one wins).

    Raises:
        PromptError: one has no `=` or an empty key.
    """
    values: dict[str, str] = {}
    for assignment in assignments:
        key, equals, value = assignment.partition("=")
        if not equals or not key.strip():
            raise PromptError(f"--var {assignment!r}: write --var NAME=VALUE")
        values[key.strip()] = value
    return values
