"""Conversation history in SQLite: the store and export (no UI imports).

The store is given its database's path and computes none: where it lives is the config's
decision (`tuichat.config.paths`, and `Settings.database_path` for `--db` and `db_path`).
Typical use on an event loop:

    history = await AsyncHistory.open(settings.database_path(args.db))
    conversation_id = await history.create_conversation(model=..., messages=messages)

The turn recorder, which writes a turn as it streams, is the session's (`tuichat.session`).
"""
