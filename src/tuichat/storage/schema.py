"""The database schema, one DDL script per version (applied by `migrations.py`).

Times are Unix seconds (REAL). JSON columns hold compact JSON text. A message row keeps
everything the model was sent or sent back, so reloading a conversation rebuilds exactly
the `Conversation.messages` dicts; `extra` keeps any other keys a message dict carried.
"""

from __future__ import annotations

APPLICATION_ID = 0x74756963  # "tuic": marks the file as tuichat's (PRAGMA application_id)

SCHEMA_V1 = """
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    title         TEXT,            -- set by rename; NULL shows the first prompt
    created       REAL NOT NULL,
    updated       REAL NOT NULL,   -- last write to the conversation or its messages
    model         TEXT,
    provider      TEXT,
    system_prompt TEXT
);

CREATE INDEX conversations_updated ON conversations (updated);

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    conversation_id     INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,  -- order in the conversation, replaced rows included
    -- the previous live message when written: the branch tree
    parent_id           INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    role                TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content             TEXT,
    tool_calls          TEXT,   -- JSON list, as the model sent them
    tool_call_id        TEXT,
    name                TEXT,
    reasoning           TEXT,
    finish_reason       TEXT,
    model               TEXT,
    provider            TEXT,
    usage               TEXT,   -- JSON, as the server sent it
    time_to_first_token REAL,
    duration            REAL,
    status              TEXT NOT NULL DEFAULT 'complete'
                        CHECK (status IN ('complete', 'streaming', 'cancelled', 'failed')),
    error               TEXT,   -- JSON {kind, message}
    extra               TEXT,   -- JSON of any other keys of the message dict
    replaced            REAL,   -- when regenerate/edit replaced it (NULL: live)
    created             REAL NOT NULL,
    updated             REAL NOT NULL
);

CREATE INDEX messages_conversation ON messages (conversation_id, position);
CREATE INDEX messages_user_prompts ON messages (role, id);

-- Raw SSE payloads of one assistant answer: zlib-compressed JSON lines of
-- {"offset": seconds, "data": text, "whole_response": bool}.
CREATE TABLE raw_chunks (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    count      INTEGER NOT NULL,
    data       BLOB NOT NULL
);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
"""


# A prompt's stored files, from its `extra`: the summaries in `attachments` that have a
# `stored` (their text left the message's text), each one's name and text (its bytes in
# `attachments`), in order. A recursive count instead of `json_each`, which FTS5 cannot read
# through a view.
_STORED_FILES = """(
    WITH RECURSIVE item (n) AS (
        SELECT 0 WHERE m.role = 'user'
        UNION ALL
        SELECT n + 1 FROM item WHERE n + 1 < json_array_length(m.extra, '$.attachments'))
    SELECT group_concat(
        json_extract(m.extra, '$.attachments[' || n || '].name') || char(10) || (
            SELECT CAST(a.data AS TEXT) FROM attachments a
            WHERE a.sha256 = json_extract(m.extra, '$.attachments[' || n || '].sha256')),
        char(10))
    FROM item
    WHERE json_extract(m.extra, '$.attachments[' || n || '].stored') IS NOT NULL)"""

SCHEMA_V6 = f"""
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;

-- What search reads of each message: its text, and the files it attached (stored once, in
-- `attachments`). A match in a file is a match in the message that attached it.
CREATE VIEW messages_search (id, content, files) AS
    SELECT m.id, m.content, {_STORED_FILES} FROM messages m;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    files,
    content = 'messages_search',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The index is told a row's values as the view gives them (a trigger cannot hold the WITH
-- the view has): a row's old values before it changes or goes, its new ones after.
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content, files)
    SELECT id, content, files FROM messages_search WHERE id = new.id;
END;

CREATE TRIGGER messages_fts_delete BEFORE DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, files)
    SELECT 'delete', id, content, files FROM messages_search WHERE id = old.id;
END;

CREATE TRIGGER messages_fts_update_old BEFORE UPDATE OF content, extra ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, files)
    SELECT 'delete', id, content, files FROM messages_search WHERE id = old.id;
END;

CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF content, extra ON messages BEGIN
    INSERT INTO messages_fts (rowid, content, files)
    SELECT id, content, files FROM messages_search WHERE id = new.id;
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
"""
"""Version 6: search reads the files attached to prompts from `attachments`, in a column of
its own (text files are stored there once from version 6 on, out of the message's text)."""

# Version 7: what of a conversation is sent. A message the user left out of the context keeps
# when it was left out (`left_out`, NULL: it is sent); a summary written in place of some
# messages is sent after the last of them, on every branch through it.
SCHEMA_V7 = """
ALTER TABLE messages ADD COLUMN left_out REAL;

CREATE TABLE context_summaries (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- the last message it summarises: it follows that message wherever the message is shown
    after_id        INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    covers          TEXT NOT NULL,  -- JSON {"messages": [ids], "summaries": [ids]} it replaces
    content         TEXT NOT NULL,  -- as sent: a line saying what it is, then the summary
    model           TEXT,
    usage           TEXT,           -- JSON, of the request that wrote it
    left_out        REAL,           -- when it was left out (NULL: it is sent)
    created         REAL NOT NULL
);

CREATE INDEX context_summaries_conversation ON context_summaries (conversation_id, after_id);
"""
