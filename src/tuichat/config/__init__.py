"""Settings, provider profiles and theme files. No textual, no rich: the UI reads these.

settings.py      what the file can set: the Settings dataclasses, their defaults, ConfigError
load.py          load_settings: read the file, parse the TOML, check it into a Settings
validate.py      what each table's keys must be (check_document), check_theme
table_checker.py typed access to TOML tables, errors naming file, line and key
toml_lines.py    which line sets which key (for those messages)
write.py         save_settings_changes: merge changes into the file, atomically
document.py      what `tuichat config show` prints (secrets redacted)
profiles.py      the [profiles.NAME] table and the presets
provider.py      settings + environment + options -> the Provider to connect to
paths.py         where every file lives: config dir, config file, themes, data dir, database
theme_files.py   theme TOML files -> ThemeSpec
atomic.py        replace a file in one step
"""

from tuichat.config.load import load_settings
from tuichat.config.paths import config_dir, config_file, default_db_path, user_themes_dir
from tuichat.config.profiles import PRESETS, ProfileSettings
from tuichat.config.provider import resolve_profile, resolve_provider, wants_demo
from tuichat.config.settings import DEFAULT_THEME, ConfigError, Price, Settings, UnknownProfileError
from tuichat.config.theme_files import ThemeSpec, load_all_theme_specs, load_theme_specs
from tuichat.config.validate import check_theme
from tuichat.config.write import save_settings_changes

__all__ = [
    "DEFAULT_THEME",
    "PRESETS",
    "ConfigError",
    "Price",
    "ProfileSettings",
    "Settings",
    "ThemeSpec",
    "UnknownProfileError",
    "check_theme",
    "config_dir",
    "config_file",
    "default_db_path",
    "load_all_theme_specs",
    "load_settings",
    "load_theme_specs",
    "resolve_profile",
    "resolve_provider",
    "save_settings_changes",
    "user_themes_dir",
    "wants_demo",
]
