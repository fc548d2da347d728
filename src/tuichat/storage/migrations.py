"""Schema versions: `PRAGMA user_version` says which one a file has; one function per step.

`MIGRATIONS[n]` takes a database from version `n` to `n + 1`. To change the schema, append
a function (never edit a released one): `migrate` runs each missing step in its own
transaction together with the new `user_version`, so a failing step leaves the file at the
previous version, untouched. Each transaction reads the version again once it holds the
write lock, so several processes opening one new (or old) file at once run every step once.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator

from tuichat.storage.attachment_store import stash_text_files
from tuichat.storage.rows import message_columns
from tuichat.storage.schema import APPLICATION_ID, SCHEMA_V1, SCHEMA_V6, SCHEMA_V7

Migration = Callable[[sqlite3.Connection], None]


def statements(script: str) -> Iterator[str]:
    """Split a DDL script into complete statements (trigger bodies stay whole).

    `executescript` would commit the migration's transaction first, so steps run their
    statements one by one instead.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:80]!r}")


def _v0_to_v1(connection: sqlite3.Connection) -> None:
    """The first schema: conversations, messages, raw chunks, full-text search."""
    for statement in statements(SCHEMA_V1):
        connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")


# How version 1 told, from the text the model got, how a saved tool call had ended. Frozen
# here with the step that uses it: from version 2 on the status is saved with the call.
_V1_TIMED_OUT = re.compile(r"^Error: tool '.*' timed out after \S+ s$")


def _v1_status(content: str) -> str:
    if content == "Denied by the user: do not retry this call unless asked to.":
        return "denied"
    if content == "Cancelled by the user.":
        return "cancelled"
    if content.startswith("Not run: tool '"):
        return "not_allowed"
    if _V1_TIMED_OUT.match(content):
        return "timed_out"
    return "failed" if content.startswith("Error: ") else "done"


def _v1_to_v2(connection: sqlite3.Connection) -> None:
    """Tool results keep how their call ended (`status` in `extra`), read once from the text."""
    rows = connection.execute(
        "SELECT id, content, extra FROM messages WHERE role = 'tool'"
    ).fetchall()
    for message_id, content, extra in rows:
        fields = json.loads(extra) if extra else {}
        if "status" not in fields:
            fields["status"] = _v1_status(content or "")
            connection.execute(
                "UPDATE messages SET extra = ? WHERE id = ?",
                (json.dumps(fields, ensure_ascii=False, separators=(",", ":")), message_id),
            )


def _v2_to_v3(connection: sqlite3.Connection) -> None:
    """The conversations open in the app's tabs when it quit, so `--continue` reopens them."""
    connection.execute(
        "CREATE TABLE open_tabs ("
        " position INTEGER PRIMARY KEY,"
        " conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,"
        " active INTEGER NOT NULL DEFAULT 0)"
    )


def _v3_to_v4(connection: sqlite3.Connection) -> None:
    """Messages are found by their branch parent: walking a conversation's tree of versions,
    counting its branches (the conversation list does, for each one), and clearing
    `parent_id` when a conversation is deleted (its foreign key) would otherwise each read
    every message of the file."""
    connection.execute("CREATE INDEX messages_parent ON messages (parent_id)")


def _v4_to_v5(connection: sqlite3.Connection) -> None:
    """Images attached to prompts, each stored once by the SHA-256 of its bytes."""
    connection.execute(
        "CREATE TABLE attachments ("
        " sha256 TEXT PRIMARY KEY,"
        " mime TEXT NOT NULL,"
        " size INTEGER NOT NULL,"
        " data BLOB NOT NULL)"
    )


def _v5_to_v6(connection: sqlite3.Connection) -> None:
    """Text files attached to prompts are stored once by content hash, as images are: each
    prompt's blocks move out of its text into `attachments`, and search finds them in a column
    of its own (rebuilt here for every message). A prompt whose blocks are not as its
    summaries say keeps its text as it is (search finds its files there)."""
    rows = connection.execute(
        "SELECT id, content, extra FROM messages WHERE role = 'user' AND extra IS NOT NULL"
    ).fetchall()
    for message_id, content, extra in rows:
        message = {"role": "user", "content": content, **json.loads(extra)}
        stored = stash_text_files(connection, message)
        if stored is not message:
            columns = message_columns(stored)
            connection.execute(
                "UPDATE messages SET content = ?, extra = ? WHERE id = ?",
                (columns["content"], columns["extra"], message_id),
            )
    for statement in statements(SCHEMA_V6):
        connection.execute(statement)


def _v6_to_v7(connection: sqlite3.Connection) -> None:
    """Messages can be left out of what is sent, and summaries sent in place of some."""
    for statement in statements(SCHEMA_V7):
        connection.execute(statement)


MIGRATIONS: list[Migration] = [
    _v0_to_v1,
    _v1_to_v2,
    _v2_to_v3,
    _v3_to_v4,
    _v4_to_v5,
    _v5_to_v6,
    _v6_to_v7,
]


def current_version() -> int:
    """The schema version this tuichat writes."""
    return len(MIGRATIONS)


def user_version(connection: sqlite3.Connection) -> int:
    """The file's schema version (`PRAGMA user_version`)."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    connection: sqlite3.Connection,
    check: Callable[[sqlite3.Connection], int] = user_version,
) -> int:
    """Bring a database to the current version, a step at a time.

    Each step is one `BEGIN IMMEDIATE` transaction that starts by reading the version again:
    another process may have run that step (or all of them) while this one waited for the
    lock, e.g. several `tuichat ask` started at once on a new file.

    Args:
        connection: an autocommit connection (`isolation_level=None`).
        check: reads the version under the lock; raises to refuse the file (the caller's
            checks for a foreign or newer file, again).

    Returns:
        The number of steps this call ran.
    """
    ran = 0
    while True:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = check(connection)
            if version < len(MIGRATIONS):
                MIGRATIONS[version](connection)
                connection.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        if version >= len(MIGRATIONS):
            return ran
        ran += 1
