"""The config file: reading, checking, messages that point at the line, and safe write-back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat
import tomllib
from pathlib import Path

import pytest

from tuichat.config import paths
from tuichat.config.document import settings_document
from tuichat.config.load import load_settings
from tuichat.config.profiles import PRESETS, ProfileSettings
from tuichat.config.settings import (
    DEFAULT_THEME,
    FALLBACK_THEME,
    ConfigError,
    HistorySettings,
    Price,
    Settings,
    ToolsSettings,
)
from tuichat.config.toml_lines import find_key_line, format_key, key_at_line
from tuichat.config.validate import check_theme
from tuichat.config.write import save_settings_changes

EXAMPLE = Path(__file__).parents[2] / "src" / "tuichat" / "config" / "example.toml"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- paths ----------------------------------------------------------------------------------


def test_config_file_lives_under_xdg_config_home(isolated_dirs: Path) -> None:
    assert paths.config_file() == isolated_dirs / "config" / "tuichat" / "config.toml"
    assert paths.user_themes_dir() == isolated_dirs / "config" / "tuichat" / "themes"
    assert paths.default_db_path() == isolated_dirs / "data" / "tuichat" / "history.sqlite3"
    assert paths.config_file("~/x.toml") == Path.home() / "x.toml"
    assert Settings().database_path() == paths.default_db_path()  # what `--db` falls back to
    assert not (isolated_dirs / "config").exists()  # nothing is created by asking
    assert not (isolated_dirs / "data").exists()


def test_relative_xdg_data_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    assert "relative" not in str(paths.default_db_path())


def test_the_database_is_db_option_then_db_path_then_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    configured = load_settings(write(tmp_path, 'db_path = "chats/h.sqlite3"\n'))
    assert configured.database_path("~/h.db") == tmp_path / "h.db"  # --db wins, ~ expanded
    assert configured.database_path(None) == tmp_path / "chats" / "h.sqlite3"
    assert configured.database_path("") == tmp_path / "chats" / "h.sqlite3"
    assert Settings().database_path(None) == paths.default_db_path()
    assert Settings().database_path("rel/h.db") == Path("rel/h.db")  # relative to the cwd


# --- reading --------------------------------------------------------------------------------


def test_missing_file_gives_defaults_unless_required(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml")
    assert settings == Settings()
    assert (
        settings.theme is None and settings.max_tool_rounds == 8 and settings.tool_timeout == 30.0
    )
    assert settings.history.save_raw_chunks is True
    assert dict(settings.profiles) == dict(PRESETS)
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "none.toml", required=True)


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
theme = "nord"
profile = "work"
max_tool_rounds = 3
tool_timeout = 5
db_path = "chats/history.db"

[tools]
disabled = ["calculate"]

[keys]
toggle_inspector = "f3"

[prices."gpt-4o"]
input = 2.5
output = 10

[history]
save_raw_chunks = false

[profiles.work]
base_url = "https://llm.example.com/v1"
api_key_env = "WORK_KEY"
model = "big"
headers = { "X-Team" = "r&d" }
params = { temperature = 0.2, stop = ["\\n\\n"] }
include_usage = false
system_prompt = "Be brief."
stream = false
timeout = 90
max_retries = 0
""",
    )
    settings = load_settings(path)
    assert settings.theme == "nord" and settings.profile == "work"
    assert settings.max_tool_rounds == 3
    assert settings.tool_timeout == 5.0 and isinstance(settings.tool_timeout, float)
    assert settings.db_path == tmp_path / "chats" / "history.db"  # relative to the file
    assert settings.database_path() == tmp_path / "chats" / "history.db"
    assert settings.tools == ToolsSettings(disabled=("calculate",))
    assert dict(settings.keys) == {"toggle_inspector": "f3"}
    assert settings.price_for("gpt-4o") == Price(input=2.5, output=10.0)
    assert settings.prices["gpt-4o"].cost(1_000_000, 500_000) == pytest.approx(7.5)
    assert settings.history == HistorySettings(save_raw_chunks=False)
    work = settings.profiles["work"]
    assert work == ProfileSettings(
        name="work",
        base_url="https://llm.example.com/v1",
        api_key_env="WORK_KEY",
        model="big",
        headers={"X-Team": "r&d"},
        params={"temperature": 0.2, "stop": ["\n\n"]},
        include_usage=False,
        system_prompt="Be brief.",
        stream=False,
        timeout=90.0,
        max_retries=0,
    )
    assert settings.warnings == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.theme = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.keys["cancel"] = "q"  # type: ignore[index]


def test_db_path_expands_home(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'db_path = "~/h.db"\n'))
    assert settings.db_path == Path.home() / "h.db"


def test_a_profile_in_the_file_changes_only_the_preset_fields_it_sets(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, '[profiles.ollama]\nmodel = "qwen3"\nparams = { temperature = 0 }\n')
    )
    ollama = settings.profiles["ollama"]
    assert ollama.model == "qwen3"
    assert ollama.base_url == PRESETS["ollama"].base_url
    assert dict(ollama.params) == {"temperature": 0}
    assert settings.profiles["groq"] == PRESETS["groq"]  # others untouched


def test_unknown_keys_are_warnings_with_line_and_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'them = "nord"\n\n[profiles.x]\nbase_url = "http://h/v1"\nmodle = "m"\n\n[future]\nthing '
        "= 1\n",
    )
    settings = load_settings(path)
    assert settings.theme is None
    assert len(settings.warnings) == 3
    first, second, third = settings.warnings
    assert f"{path}, line 1" in first and "them" in first and "did you mean 'theme'" in first
    assert "line 5" in second and "profiles.x.modle" in second and "'model'" in second
    assert "line 7" in third and "future" in third


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ('theme = "a"\nmax_tool_rounds = "8"\n', 2, "max_tool_rounds", "max_tool_rounds = 8"),
        ("max_tool_rounds = true\n", 1, "max_tool_rounds", "whole number"),
        ("max_tool_rounds = 0\n", 1, "max_tool_rounds", "at least 1"),
        ("tool_timeout = -1\n", 1, "tool_timeout", "more than 0"),
        (
            'theme = "x"\n\n[profiles.ollama]\n# the model\nmodel = 3\n',
            5,
            "profiles.ollama.model",
            '"llama3.2"',
        ),
        ('[profiles]\nollama = { stream = "yes" }\n', 2, "profiles.ollama.stream", "true or false"),
        ("profiles.ollama.timeout = 0\n", 1, "profiles.ollama.timeout", "more than 0"),
        (
            "profiles.ollama.stall_timeout = 0\n",
            1,
            "profiles.ollama.stall_timeout",
            "stall_timeout = 60",
        ),
        ('[profiles.x]\nbase_url = "localhost:1234"\n', 2, "profiles.x.base_url", "http://"),
        ("[profiles.x]\nheaders = { A = 1 }\n", 2, "profiles.x.headers.A", "text"),
        ("profiles = 3\n", 1, "profiles", "must be a table"),
        ("[profiles]\nx = 3\n", 2, "profiles.x", "must be a table"),
        ('[tools]\ndisabled = "calculate"\n', 2, "tools.disabled", "list of strings"),
        ('[prices."a.b"]\ninput = 1\n', 1, 'prices."a.b"', "output"),
        ('[prices."a.b"]\ninput = -1\noutput = 1\n', 2, 'prices."a.b".input', "at least 0"),
        ('[keys]\ncancel = ""\n', 2, "keys.cancel", "non-empty"),
        ('x = 1\nprofile = "nope"\n', 2, "profile", "ollama"),
        ('db_path = ""\n', 1, "db_path", "empty"),
        ("[history]\nsave_raw_chunks = 1\n", 2, "history.save_raw_chunks", "true or false"),
    ],
)
def test_a_wrong_value_names_file_line_and_key_and_the_fix(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    error = caught.value
    assert (error.path, error.line, error.key) == (path, line, key)
    message = str(error)
    assert message.startswith(f"{path}, line {line}: {key} ")
    assert words in message
    assert "Fix:" in message


def test_bad_toml_names_line_column_key_and_shows_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "# comment\n[profiles.ollama]\nmodel = llama3.2\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert caught.value.line == 3 and caught.value.key == "profiles.ollama.model"
    assert message.startswith(
        f"{path}, line 3, column 9 (key profiles.ollama.model): not valid TOML"
    )
    assert "    3 | model = llama3.2" in message
    assert 'double quotes (theme = "nord")' in message


def test_bad_toml_at_the_end_of_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings(write(tmp_path, 'theme = "unclosed\n'))
    assert caught.value.line == 1


def test_unreadable_and_non_utf8_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path)  # a directory
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'theme = "nord"\nsystem_prompt = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="line 2: the file is not UTF-8"):
        load_settings(path)


def test_the_example_loads_cleanly_and_documents_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    settings = load_settings(EXAMPLE)
    assert settings.warnings == ()
    assert settings.theme == DEFAULT_THEME
    defaults = Settings()
    assert (settings.max_tool_rounds, settings.tool_timeout) == (
        defaults.max_tool_rounds,
        defaults.tool_timeout,
    )
    assert settings.history == defaults.history and settings.tools == defaults.tools
    documented = [
        *(f.name for f in dataclasses.fields(Settings) if f.name not in ("path", "warnings")),
        *(f.name for f in dataclasses.fields(ProfileSettings) if f.name != "name"),
        *(
            f.name
            for cls in (Price, ToolsSettings, HistorySettings)
            for f in dataclasses.fields(cls)
        ),
    ]
    for name in documented:
        assert f"{name} = " in text or f"[{name}" in text or f"  {name}  " in text, name
    assert "comments" in text and "lost" in text  # says write-back drops them


def test_every_setting_has_a_docstring_in_the_source() -> None:
    source = (Path(__file__).parents[2] / "src/tuichat/config/settings.py").read_text()
    for field in dataclasses.fields(Settings):
        declaration = source.index(f"\n    {field.name}: ", source.index("class Settings:")) + 1
        assert source[declaration:].split("\n", 2)[1].lstrip().startswith('"""'), field.name


# --- finding keys in the text ---------------------------------------------------------------


def test_find_key_line_understands_tables_dotted_quoted_and_multiline_values() -> None:
    text = """\
title = "x"
profiles.other.model = "o"
notes = '''
[profiles.fake]
model = 1
'''
stop = [
  "[profiles.fake2]",
  "model = 2",
]
[profiles."my.box"]
model = "m"
[prices]
"gpt-4o" = { input = 1, output = 2 }
[ profiles . 'lit' ]   # comment
model="z"
"""
    tomllib.loads(text)  # the sample is valid TOML
    assert find_key_line(text, ("title",)) == 1
    assert find_key_line(text, ("profiles", "other", "model")) == 2
    assert find_key_line(text, ("profiles", "my.box", "model")) == 12
    assert find_key_line(text, ("profiles", "my.box")) == 11
    assert find_key_line(text, ("prices", "gpt-4o", "input")) == 14  # inside an inline table
    assert find_key_line(text, ("profiles", "lit", "model")) == 16
    assert find_key_line(text, ("profiles", "fake", "model")) is None  # inside a string
    assert find_key_line(text, ("profiles", "fake2")) is None  # inside an array
    assert find_key_line(text, ("nothing",)) is None
    assert key_at_line(text, 16) == ("profiles", "lit", "model")
    assert key_at_line(text, 4) is None
    assert find_key_line("[profiles.a.headers]\nX = 'y'\n", ("profiles", "a")) == 1


def test_format_key_quotes_what_needs_quotes() -> None:
    assert format_key(("prices", "gpt-4o", "input")) == "prices.gpt-4o.input"
    assert format_key(("prices", "openai/gpt-4o")) == 'prices."openai/gpt-4o"'
    assert format_key(("a", 'say "hi"')) == 'a."say \\"hi\\""'


# --- themes ---------------------------------------------------------------------------------


def test_check_theme_accepts_known_names_and_defaults() -> None:
    assert check_theme(Settings(), {"tuichat-dark", "nord"}) == "tuichat-dark"
    assert check_theme(Settings(), {"nord"}) == FALLBACK_THEME  # bundled themes missing
    assert check_theme(Settings(theme="nord"), {"nord"}) == "nord"
    assert (
        check_theme(Settings(theme="nord"), {"nord", "dracula"}, cli_theme="dracula") == "dracula"
    )


def test_check_theme_names_the_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, '# mine\n\ntheme = "nrod"\n')
    settings = load_settings(path)
    with pytest.raises(ConfigError) as caught:
        check_theme(settings, {"nord", "tuichat-dark"})
    assert caught.value.line == 3 and caught.value.key == "theme"
    assert str(caught.value).startswith(f"{path}, line 3: theme 'nrod' is not a known theme")
    assert "did you mean 'nord'" in str(caught.value)
    with pytest.raises(
        ConfigError, match=r"--theme: unknown theme 'dracul'.*did you mean 'dracula'"
    ):
        check_theme(settings, {"dracula"}, cli_theme="dracul")


# --- writing --------------------------------------------------------------------------------

ROUND_TRIP = """\
# a comment that will not survive
theme = "nord"
future_setting = { nested = { deep = [1, 2.5, "three"] }, when = 1979-05-27T07:32:00Z }
list_of_tables = [{ a = 1 }, { b = 2 }]

[profiles.ollama]
model = "llama3.2"
params = { temperature = 0.2, options = { num_ctx = 8192 } }
someday = "unknown profile key"

[profiles.mine]
base_url = "http://localhost:9999/v1"

[[plugins]]
name = "one"

[[plugins]]
name = "two"
"""


def test_save_changes_keeps_every_other_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, ROUND_TRIP)
    before = tomllib.loads(ROUND_TRIP)
    settings = save_settings_changes(path, {"theme": "tuichat-light"})
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    assert after == {**before, "theme": "tuichat-light"}
    assert after["future_setting"]["when"] == dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC)
    assert settings.theme == "tuichat-light"
    assert "a comment" not in path.read_text(encoding="utf-8")  # documented: comments are lost

    save_settings_changes(path, {"profiles": {"ollama": {"model": "qwen3"}, "new": {"model": "n"}}})
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    assert after["profiles"]["ollama"] == {**before["profiles"]["ollama"], "model": "qwen3"}
    assert after["profiles"]["mine"] == before["profiles"]["mine"]
    assert after["profiles"]["new"] == {"model": "n"}
    assert after["plugins"] == before["plugins"]
    assert load_settings(path).profiles["ollama"].model == "qwen3"

    save_settings_changes(path, {"theme": None, "profiles": {"new": None}})
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "theme" not in after and "new" not in after["profiles"]
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


def test_save_creates_the_file_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    save_settings_changes(path, {"profile": "ollama"})
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"profile": "ollama"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_file_with_an_api_key_is_written_0600(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "nord"\n')
    path.chmod(0o664)
    save_settings_changes(path, {"theme": "tuichat-light"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o664  # no key: the mode is kept
    save_settings_changes(path, {"profiles": {"work": {"api_key": "sk-secret-123"}}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_settings_changes(path, {"theme": "nord"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_temp_file_is_private_before_the_key_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "")
    path.chmod(0o644)
    seen: list[int] = []
    real_replace = os.replace

    def spy(source: str, target: Path) -> None:
        seen.append(stat.S_IMODE(os.stat(source).st_mode))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    save_settings_changes(path, {"profiles": {"x": {"api_key": "sk-abcdef"}}})
    assert seen == [0o600]


def test_a_failed_write_leaves_the_original_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, ROUND_TRIP)

    def broken_replace(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ConfigError, match=r"No space left on device.*not changed"):
        save_settings_changes(path, {"theme": "tuichat-light"})
    assert path.read_text(encoding="utf-8") == ROUND_TRIP
    assert list(tmp_path.iterdir()) == [path]


def test_a_value_toml_cannot_hold_is_refused_before_writing(tmp_path: Path) -> None:
    path = write(tmp_path, ROUND_TRIP)
    with pytest.raises(ConfigError, match="cannot save"):
        save_settings_changes(path, {"theme": object()})
    with pytest.raises(ConfigError, match=r"would break the file.*max_tool_rounds.*not changed"):
        save_settings_changes(path, {"max_tool_rounds": "many"})
    assert path.read_text(encoding="utf-8") == ROUND_TRIP


@pytest.mark.parametrize("text", ['theme = "unclosed\n', "max_tool_rounds = 'x'\n"])
def test_a_file_that_failed_to_read_is_never_overwritten(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"(?s)line 1.*Not saved: the file was not changed"):
        save_settings_changes(path, {"theme": "nord"})
    assert path.read_text(encoding="utf-8") == text


def test_saving_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = write(tmp_path, 'theme = "nord"\n', name="real.toml")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    save_settings_changes(link, {"theme": "tuichat-light"})
    assert link.is_symlink()
    assert tomllib.loads(real.read_text(encoding="utf-8")) == {"theme": "tuichat-light"}


# --- showing --------------------------------------------------------------------------------


def test_settings_document_redacts_keys_and_auth_headers() -> None:
    profile = ProfileSettings(
        name="p",
        base_url="http://h/v1",
        api_key="sk-very-secret",
        headers={"Authorization": "Bearer sk-very-secret", "X-Api-Key": "abc123456", "X-Team": "r"},
    )
    settings = Settings(profiles={"p": profile})
    shown = settings_document(settings)["profiles"]["p"]
    assert shown["api_key"] == "[redacted]"
    assert shown["headers"] == {
        "Authorization": "Bearer [redacted]",
        "X-Api-Key": "[redacted]",
        "X-Team": "r",
    }
    assert settings_document(settings, redact=False)["profiles"]["p"]["api_key"] == "sk-very-secret"
