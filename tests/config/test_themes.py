"""Theme files: bundled ones load, broken ones are reported and skipped, user ones override,
and every spec becomes a Textual theme without touching Textual's built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES

from tuichat.config import paths
from tuichat.config.theme_files import (
    COLOUR_NAMES,
    TUICHAT_VARIABLES,
    ThemeFileError,
    bundled_themes_dir,
    is_colour,
    load_all_theme_specs,
    load_theme_specs,
    parse_theme,
    theme_dirs,
)
from tuichat.ui.themes import available_theme_names, register_all, to_textual_theme

REPO_THEMES = Path(__file__).parents[2] / "themes"
GOOD = 'primary = "#112233"\nbackground = "#000000"\n[variables]\nuser-message = "#abcdef"\n'


def test_all_bundled_themes_load_without_problems() -> None:
    specs, problems = load_theme_specs([bundled_themes_dir()])
    assert problems == []
    files = sorted(path.stem for path in REPO_THEMES.glob("*.toml"))
    assert sorted(specs) == files
    assert len(specs) >= 6
    assert {"tuichat-dark", "tuichat-light", "high-contrast"} <= set(specs)
    assert any(spec.dark for spec in specs.values()) and any(not s.dark for s in specs.values())
    for spec in specs.values():
        assert spec.name == Path(spec.source).stem
        for field in ("primary", "background", "foreground", "surface", "panel"):
            assert getattr(spec, field), (spec.name, field)
        assert set(TUICHAT_VARIABLES) <= set(spec.variables), spec.name


def test_bundled_themes_convert_and_register_on_a_copy_of_the_registry() -> None:
    specs, _ = load_all_theme_specs()
    builtin_before = dict(BUILTIN_THEMES)
    builtin_nord = BUILTIN_THEMES["nord"]
    app: App[None] = App()
    assert register_all(app, specs) == []
    assert set(specs) <= set(app.available_themes)
    assert app.available_themes["nord"].variables["user-message"] == "#81A1C1"
    assert BUILTIN_THEMES == builtin_before and BUILTIN_THEMES["nord"] is builtin_nord
    assert "user-message" not in builtin_nord.variables
    assert available_theme_names(specs) == set(BUILTIN_THEMES) | set(specs)


def test_to_textual_theme_copies_every_field() -> None:
    spec = parse_theme(GOOD + 'x-custom = "none"\n', "mine.toml")
    theme = to_textual_theme(spec)
    assert (theme.name, theme.primary, theme.background, theme.dark) == (
        "mine",
        "#112233",
        "#000000",
        True,
    )
    assert theme.variables == {"user-message": "#abcdef", "x-custom": "none"}
    assert theme.secondary is None


def test_a_broken_theme_is_reported_once_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / "nord.toml").write_text('primary = "not-a-colour"\nbackground = "also-bad"\n')
    (tmp_path / "syntax.toml").write_text("primary = \n")
    (tmp_path / "readme.txt").write_text("not a theme")
    specs, problems = load_theme_specs([tmp_path])
    assert sorted(specs) == ["good"]
    assert problems[0].startswith("nord.toml: primary: 'not-a-colour' is not a colour")
    assert problems[1].startswith("syntax.toml: not valid TOML")
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('background = "#000"\n', "x.toml: primary: missing"),
        ('primary = "#12345"\n', "x.toml: primary: '#12345' is not a colour"),
        ("primary = 3\n", "x.toml: primary: 3 is not a colour"),
        ('primary = "red"\ndark = "yes"\n', "x.toml: dark: 'yes' must be true or false"),
        ('primary = "red"\nprimay = "blue"\n', "x.toml: primay: unknown field"),
        ('primary = "red"\nname = "has space"\n', "x.toml: name: 'has space' is not a theme name"),
        ('primary = "red"\ntext_alpha = 2\n', "x.toml: text_alpha: 2 must be a number from 0 to 1"),
        ('primary = "red"\nvariables = 1\n', "x.toml: variables: must be a table"),
        (
            'primary = "red"\n[variables]\ntool-call = "#ggg"\n',
            "x.toml: variables.tool-call: '#ggg' is not a colour",
        ),
        (
            'primary = "red"\n[variables]\nBad_Name = "x"\n',
            "x.toml: variables.Bad_Name: variable names",
        ),
        ('primary = "red"\n[variables]\nborder = ""\n', "x.toml: variables.border: '' must be"),
    ],
)
def test_theme_problems_name_file_and_field(text: str, message: str) -> None:
    with pytest.raises(ThemeFileError) as caught:
        parse_theme(text, "x.toml")
    assert str(caught.value).startswith(message)


def test_optional_fields_default(tmp_path: Path) -> None:
    spec = parse_theme('primary = "ansi_blue"\n', "tiny.toml")
    assert (spec.name, spec.dark, spec.background, dict(spec.variables)) == ("tiny", True, None, {})
    to_textual_theme(spec)  # Textual fills in the rest


def test_user_themes_override_bundled_ones_of_the_same_name(isolated_dirs: Path) -> None:
    user_dir = paths.user_themes_dir()
    user_dir.mkdir(parents=True)
    (user_dir / "my-nord.toml").write_text('name = "nord"\nprimary = "#ff0000"\n')
    (user_dir / "extra.toml").write_text('primary = "#00ff00"\ndark = false\n')
    assert theme_dirs()[-1] == user_dir
    specs, problems = load_all_theme_specs()
    assert problems == []
    assert specs["nord"].primary == "#ff0000" and specs["nord"].source == "my-nord.toml"
    assert specs["extra"].dark is False
    assert specs["tuichat-dark"].primary == "#5f9fff"  # the other bundled ones still load


def test_a_missing_user_dir_is_not_a_problem(isolated_dirs: Path) -> None:
    assert not paths.user_themes_dir().exists()
    specs, problems = load_all_theme_specs()
    assert problems == [] and "tuichat-dark" in specs


def test_two_files_with_one_name_in_a_directory_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "same"\nprimary = "red"\n')
    (tmp_path / "b.toml").write_text('name = "same"\nprimary = "blue"\n')
    specs, problems = load_theme_specs([tmp_path])
    assert specs["same"].primary == "blue"
    assert problems == ["b.toml: name: 'same' is also the name in a.toml; b.toml is used"]


@pytest.mark.parametrize(
    "text",
    [
        "#abc",
        "#abcd",
        "#aabbcc",
        "#aabbccdd",
        "rgb(1, 2, 3)",
        "rgba(1,2,3,0.5)",
        "hsl(120, 50%, 50%)",
        "hsla(120,50%,50%,0.3)",
        "rebeccapurple",
        "ansi_bright_red",
        "ansi_default",
        "transparent",
        "#ab",
        "#abcde",
        "not-a-colour",
        "Red",
        "rgb(1,2)",
        "hsl(1, 2, 3)",
        "#aabbcc 50%",
        "",
        "ansi_purple",
    ],
)
def test_the_colour_check_agrees_with_textual(text: str) -> None:
    try:
        Color.parse(text)
        textual_says = True
    except ColorParseError:
        textual_says = False
    assert is_colour(text) is textual_says


def test_every_colour_name_is_one_textual_knows() -> None:
    for name in COLOUR_NAMES:
        Color.parse(name)
    from textual._color_constants import COLOR_NAME_TO_RGB

    assert set(COLOR_NAME_TO_RGB) | {"ansi_default"} == COLOUR_NAMES
