"""Writing changes back to the config file with `tomli-w`: atomically, every other key kept,
comments lost, and private (mode 0600) when the file holds a secret.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from tuichat.config.atomic import atomic_write_text
from tuichat.config.document import redact_env
from tuichat.config.load import parse_toml, read_config_text
from tuichat.config.settings import ConfigError, Settings
from tuichat.config.validate import check_document
from tuichat.core.redact import redact_headers


def save_settings_changes(path: Path, changes: Mapping[str, Any]) -> Settings:
    """Apply changes to the file and write it back atomically.

    The file is re-read and parsed as it is now; the changes are merged into that document
    (tables merge key by key, other values replace, None removes a key), so every other key
    and value stays, unknown ones included. Comments and formatting do not survive: tomli-w
    writes the document anew. A file that holds a secret (an `api_key`, an auth-like header, a
    secret-looking MCP `env` value: see `holds_api_key`) gets mode 0600.

    Args:
        path: the config file; created (with its directory) if missing.
        changes: e.g. `{"theme": "nord"}` or `{"profiles": {"ollama": {"model": "llama3.2"}}}`.

    Returns:
        The settings as written.

    Raises:
        ConfigError: the file cannot be read or parsed, or the changes would make it invalid
            or cannot be written as TOML. The file is left untouched.
    """
    text = read_config_text(path, required=False)
    document: dict[str, Any] = {}
    if text is not None:
        try:
            document = parse_toml(path, text)
            check_document(path, text, document)  # a file that is already wrong stays so
        except ConfigError as error:
            raise ConfigError(
                f"{error} Not saved: the file was not changed.",
                path=error.path,
                line=error.line,
                key=error.key,
            ) from None
    merged = _merge(document, changes)
    try:
        new_text = tomli_w.dumps(merged)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"{path}: cannot save {dict(changes)!r}: {error}. The file was not changed.", path=path
        ) from None
    try:
        settings = check_document(path, new_text, tomllib.loads(new_text))
    except ConfigError as error:
        raise ConfigError(
            f"Not saved, the change would break the file: {error} The file was not changed.",
            path=path,
            key=error.key,
        ) from None
    try:
        atomic_write_text(path, new_text, private=holds_api_key(merged))
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot write the config file ({error.strerror or error}). The file was not "
            "changed.",
            path=path,
        ) from None
    return settings


def _merge(document: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(document))
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = _merge({}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def holds_api_key(document: Any) -> bool:
    """Whether a parsed document holds a secret, so the file should be private (mode 0600).

    A secret is a non-empty `api_key` in any table, or a value that `config show` would
    redact: an auth-like entry of a `headers` table (a profile's or an MCP server's), or a
    secret-looking entry (KEY, TOKEN, SECRET, PASSWORD, AUTH in its name) of an MCP server's
    `env` table.
    """
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key == "api_key" and isinstance(value, str) and value != "":
                return True
            if key in ("headers", "env") and _holds_secret_entry(key, value):
                return True
            if holds_api_key(value):
                return True
        return False
    if isinstance(document, list):
        return any(holds_api_key(item) for item in document)
    return False


def _holds_secret_entry(kind: str, table: Any) -> bool:
    """Whether a `headers` or `env` table has a non-empty value its redaction would hide."""
    if not isinstance(table, Mapping):
        return False
    values = {str(name): value for name, value in table.items() if isinstance(value, str) and value}
    redact = redact_headers if kind == "headers" else redact_env
    # A secret is whatever redaction changes, so the file mode and `config show` agree on it.
    return redact(values) != values
