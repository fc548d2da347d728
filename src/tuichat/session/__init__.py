"""One conversation with everything it needs, without Textual: what the UI and commands use.

# build_session: tuichat.session.builder; SessionOptions: tuichat.session.options
session = build_session(settings, SessionOptions.from_args(args))
await session.open_history()
async for batch in session.send("hello"):
    ...
await session.aclose()
"""
