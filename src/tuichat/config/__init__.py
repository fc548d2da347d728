"""Settings, provider profiles and theme files. No textual, no rich: the UI reads these."""

from tuichat.config.paths import config_dir, config_file, default_db_path, user_themes_dir
from tuichat.config.profiles import (
    PRESETS,
    ProfileSettings,
    resolve_profile,
    resolve_provider,
    wants_demo,
)
from tuichat.config.settings import (
    DEFAULT_THEME,
    ConfigError,
    Price,
    Settings,
    UnknownProfileError,
    check_theme,
    load_settings,
    save_settings_changes,
)
from tuichat.config.theme_files import ThemeSpec, load_all_theme_specs, load_theme_specs

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
