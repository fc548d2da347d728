"""`tuichat prompts`: the prompt library, for people and scripts.

    tuichat prompts            # name, where it comes from, description (tab-separated)
    tuichat prompts --json     # [{"name", "description", "source", "path", "variables", ...}]
    tuichat prompts --show translate

Bundled prompts come with tuichat; `<config dir>/prompts/NAME.toml` adds one or overrides the
bundled one of that name. Files that cannot be used are named on stderr (one line each, what
is wrong with them); the others are listed and the status is still 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from tuichat.commands import fail, write_output
from tuichat.config.paths import user_prompts_dir
from tuichat.config.prompt_library import BUNDLED, PromptError, PromptSpec, load_prompt_library

PROG = "tuichat prompts"


def build_parser() -> argparse.ArgumentParser:
    """The options of `tuichat prompts`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="List the prompts of the library (use one with --role NAME, or F7 in the "
        f"app). Your own go in {user_prompts_dir()}/NAME.toml, with description, system and "
        "optionally template (a user message with {variables}).",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--show", metavar="NAME", help="print one prompt in full")
    return parser


def prompt_json(spec: PromptSpec) -> dict[str, Any]:
    """One prompt as `--json` gives it."""
    return {
        "name": spec.name,
        "description": spec.description,
        "source": "bundled" if spec.source == BUNDLED else "user",
        "path": None if spec.source == BUNDLED else spec.source,
        "system": spec.system,
        "template": spec.template,
        "variables": list(spec.variables),
    }


def run(argv: Sequence[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `tuichat prompts ...` (argv starts with "prompts"); returns the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(list(argv)[1:])
    library = load_prompt_library()
    for problem in library.problems:
        print(f"{PROG}: {problem}", file=err)
    if args.show is not None:
        try:
            spec = library.get(args.show)
        except PromptError as error:
            return fail(PROG, str(error), err)
        if args.json:
            write_output(out, json.dumps(prompt_json(spec), ensure_ascii=False, indent=2) + "\n")
            return 0
        lines = [f"{spec.name} ({spec.source}): {spec.description}", "", "system:", spec.system]
        if spec.template is not None:
            lines += ["", f"template ({', '.join(spec.variables) or 'no variables'}):"]
            lines.append(spec.template)
        write_output(out, "\n".join(lines) + "\n")
        return 0
    specs = [library.prompts[name] for name in library.names()]
    if args.json:
        document = [prompt_json(spec) for spec in specs]
        write_output(out, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return 0
    rows = [f"{spec.name}\t{spec.source}\t{spec.description}" for spec in specs]
    write_output(out, "".join(row + "\n" for row in rows))
    return 0
