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
