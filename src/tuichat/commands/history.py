"""`tuichat list` and `tuichat export`: the history, for scripts.

    tuichat list                      # id, date, model, title (tab-separated), newest first
    tuichat list --json
    tuichat export 12 --format md -o chat.md
    tuichat export last --format json | jq .messages   # OpenAI chat messages, to send again
    tuichat export 12 --turn 2 -o answer.turn.json     # one answer's wire, for `tuichat replay`
    tuichat export 12 --branches                        # its branches: number, shown, where
    tuichat export 12 --branch 2                        # another branch than the one shown

Both read the database the app and `tuichat ask` use: `--db`, else the config file's `db_path`
(`--config PATH`, else the default file), else the default in the data dir. Both only read: a
missing database is an empty history, a read-only one is read without changing it. Output
into a pipe that closes early (`| head`) ends quietly, with status 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tuichat.commands import fail, write_output
from tuichat.config.load import load_config_file
from tuichat.config.settings import ConfigError
from tuichat.core.turn_file import TurnFileError, dump_turn, turn_from_records
from tuichat.session.options import add_config_argument, add_db_argument
from tuichat.storage.errors import StorageError
from tuichat.storage.export import (
    FORMATS,
    ExportFormat,
    branch_lines,
    export_conversation,
    format_time,
    pick_branch,
    summary_json,
)
from tuichat.storage.rows import ConversationSummary
from tuichat.storage.store import HistoryStore


def run(argv: Sequence[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `tuichat list ...` or `tuichat export ...`.

    Args:
        argv: the full argv, starting with "list" or "export".
        stdout: where results go (default `sys.stdout`).
        stderr: where errors go (default `sys.stderr`).

    Returns:
        The exit code: 0, 1 on failure (one line on stderr), 2 on bad usage.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    arguments = list(argv)
    command = arguments[0] if arguments else "list"
    if command == "export":
        return run_export(arguments[1:], out, err)
    return run_list(arguments[1:], out, err)


def _database_path(args: argparse.Namespace) -> Path:
    """`--db`, else the config file's `db_path`, else the default (as the app and `ask` do).

    Raises:
        ConfigError: the config file (`--config`, else the default one) is broken.
    """
    return load_config_file(args.config).database_path(args.db)


def _open(path: Path) -> HistoryStore | None:
    """The history for reading, or None when there is none yet."""
    if not path.exists():
        return None
    return HistoryStore.open_for_reading(path)


def _tsv_field(value: object) -> str:
    return " ".join(str(value if value is not None else "").split())


def run_list(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """`tuichat list [--db PATH] [--config PATH] [--json] [--limit N]`."""
    parser = argparse.ArgumentParser(
        prog="tuichat list",
        description="List saved conversations, newest first: id, date, model and title "
        "separated by tabs, or a JSON array with --json.",
    )
    add_db_argument(parser)
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="at most N conversations"
    )
    args = parser.parse_args(argv)
    try:
        path = _database_path(args)
    except ConfigError as error:
        return fail("tuichat list", str(error), err)
    try:
        store = _open(path)
        if store is None:
            summaries: list[ConversationSummary] = []
        else:
            with store:
                summaries = store.list_conversations(limit=args.limit)
    except StorageError as error:
        return fail("tuichat list", str(error), err)
    if args.json:
        text = (
            json.dumps(
                [{**summary_json(s), "messages": s.message_count} for s in summaries],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    else:
        text = "".join(
            "\t".join(_tsv_field(field) for field in fields) + "\n"
            for fields in (
                (s.id, format_time(s.updated), s.model or "", s.title) for s in summaries
            )
        )
    write_output(out, text)  # `| head` may close the pipe early: that is a success
    return 0


TURN_FORMAT = "turn"  # `--format turn`: one answer's wire (`tuichat.core.turn_file`)


def run_export(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """`tuichat export ID|last [--format md|json|turn] [--turn N|last] [--branch N]
    [--branches] [--db PATH] [--config PATH] [-o FILE]`."""
    parser = argparse.ArgumentParser(
        prog="tuichat export",
        description="Export a saved conversation as Markdown, or as JSON: "
        '{"conversation": {...}, "messages": [...], "tuichat": [...]}. "messages" are '
        "OpenAI chat messages with only the keys the API defines (role, content, tool_calls, "
        "tool_call_id, name), ready to send again as they are; tuichat[i] holds tuichat's own "
        "fields of messages[i] (reasoning, usage, timing, model, status, error, ...). "
        "With --format turn: one answer's wire as a turn file (the redacted request, the "
        "response's status and headers, the body's bytes with their arrival times), for "
        "`tuichat replay FILE`. "
        "A conversation whose answers were regenerated or prompts edited has branches: the "
        "export is the branch shown last in the app (as --continue reopens it) unless "
        "--branch N names another; --branches lists them.",
    )
    parser.add_argument("id", help="the conversation's id (see `tuichat list`), or `last`")
    parser.add_argument(
        "--format",
        choices=[*FORMATS, TURN_FORMAT],
        default=None,
        help="md (default), json or turn (see above); guessed from the -o file's extension "
        "(.md, .json, .turn.json) when not given, turn when --turn is given",
    )
    parser.add_argument(
        "--turn",
        metavar="N",
        default=None,
        help="with --format turn: the Nth answer of the conversation (1 is the first; each "
        "request the model answered counts, tool rounds too, as the inspector steps through "
        "them), or `last` (the default)",
    )
    parser.add_argument(
        "--branch",
        metavar="N",
        default=None,
        help="export branch N (1 is the first) instead of the branch shown last: the number "
        "the app's branch tree (F8) and --branches give each branch (in the tree's order: a "
        "branch made above another numbers that one anew)",
    )
    parser.add_argument(
        "--branches",
        action="store_true",
        help="list the conversation's branches instead, one a line, tab-separated: its "
        "number, `shown` for the branch shown, its message count, and where it differs "
        "(its last message with other versions, e.g. `answer 2/3: ...`)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_db_argument(parser)
    add_config_argument(parser)
    args = parser.parse_args(argv)
    fmt = args.format or _guess_format(args.output, args.turn is not None)
    prog = "tuichat export"
    if args.id != "last" and not args.id.isdigit():
        parser.print_usage(err)
        print(f"{prog}: the id must be a number or `last`, not {args.id!r}", file=err)
        return 2
    branch: int | None = None  # None: the branch shown
    if args.branch is not None:
        if not args.branch.isdigit() or int(args.branch) < 1:
            parser.print_usage(err)
            print(f"{prog}: --branch must be 1, 2, ..., not {args.branch!r}", file=err)
            return 2
        branch = int(args.branch)
    answer: int | None = None  # None: the last one
    if args.turn is not None:
        if fmt != TURN_FORMAT:
            parser.print_usage(err)
            print(f"{prog}: --turn goes with --format turn, not {fmt}", file=err)
            return 2
        if args.turn != "last":
            if not args.turn.isdigit() or int(args.turn) < 1:
                parser.print_usage(err)
                print(f"{prog}: --turn must be 1, 2, ... or `last`, not {args.turn!r}", file=err)
                return 2
            answer = int(args.turn)
    try:
        path = _database_path(args)
    except ConfigError as error:
        return fail(prog, str(error), err)
    try:
        store = _open(path)
        if store is None:
            return fail(prog, f"there is no history at {path} yet", err)
        with store:
            conversation_id = store.last_conversation_id() if args.id == "last" else int(args.id)
            if conversation_id is None:
                return fail(prog, f"there are no conversations in {path}", err)
            if args.branches:
                text = _list_branches(store, conversation_id)
            elif fmt == TURN_FORMAT:
                text = _export_turn(store, conversation_id, answer, branch)
            else:
                document: ExportFormat = "json" if fmt == "json" else "md"
                text = export_conversation(store, conversation_id, document, branch=branch)
    except (StorageError, TurnFileError) as error:
        return fail(prog, str(error), err)
    if args.output:
        try:
            _write_atomically(Path(args.output).expanduser(), text)
        except OSError as error:
            return fail(prog, f"cannot write {args.output}: {error.strerror or error}", err)
    else:
        write_output(out, text)
    return 0


def _guess_format(output: str | None, turn: bool) -> str:
    """The format `-o FILE` suggests: `.turn.json` (or `--turn`) turn, `.json` json, else md."""
    name = (output or "").lower()
    if turn or name.endswith(".turn.json"):
        return TURN_FORMAT
    return "json" if name.endswith(".json") else "md"


def _require(store: HistoryStore, conversation_id: int) -> None:
    if store.get_conversation(conversation_id) is None:
        raise StorageError(
            f"There is no conversation {conversation_id} in {store.path} (see `tuichat list`).",
            kind="missing",
            path=store.path,
        )


def _list_branches(store: HistoryStore, conversation_id: int) -> str:
    """`--branches`: one line per branch (see `branch_lines`)."""
    _require(store, conversation_id)
    return "".join(line + "\n" for line in branch_lines(store.branch_tree(conversation_id)))


def _export_turn(
    store: HistoryStore, conversation_id: int, number: int | None, branch: int | None = None
) -> str:
    """The turn file of one answer of a saved conversation (the last one when `number` is
    None) on a branch (None: the one shown), from the wire records saved with it.

    Raises:
        StorageError: no such conversation, branch or answer.
        TurnFileError: nothing of its wire was saved.
    """
    _require(store, conversation_id)
    if branch is None:
        rows = store.message_rows(conversation_id, include_replaced=False)
    else:
        tree = store.branch_tree(conversation_id)
        leaf = pick_branch(tree, conversation_id, branch, store.path).leaf
        rows = store.branch_rows(conversation_id, leaf)
    answers = [row for row in rows if row.message.get("role") == "assistant"]
    if not answers:
        raise StorageError(
            f"Conversation {conversation_id} has no answer yet.", kind="missing", path=store.path
        )
    if number is not None and number > len(answers):
        raise StorageError(
            f"Conversation {conversation_id} has {len(answers)} answer"
            f"{'' if len(answers) == 1 else 's'}, not {number}.",
            kind="missing",
            path=store.path,
        )
    row = answers[-1 if number is None else number - 1]
    records = store.load_wire_records(row.id)
    which = f"answer {answers.index(row) + 1} of conversation {conversation_id}"
    if not records:
        raise TurnFileError(
            f"no raw chunks were saved for {which} ([history] save_raw_chunks = false?)"
        )
    try:
        return dump_turn(turn_from_records(records))
    except TurnFileError as error:
        raise TurnFileError(f"{which}: {error}") from None


def _write_atomically(path: Path, text: str) -> None:
    """Write a file whole or not at all (a temporary file renamed over it)."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        # mkstemp makes the file private; an export is an ordinary document.
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
