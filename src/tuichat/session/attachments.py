"""Files attached to a prompt: `@path` references, reading and refusing files, and the user
message that carries them.

Text files go inline, each as a fenced block headed by its name (every OpenAI-compatible
server reads that); images (PNG, JPEG, GIF, WebP, told by their magic bytes) go as
`image_url` content parts with base64 data URLs. A file that is neither, or over a limit, is
refused with a message naming it: nothing is cut and nothing is sent.

The user message keeps what was sent in `content` (so a regenerate sends the same), what was
typed in `typed` (what the conversation shows and edit-and-resend puts back) and a summary of
each file in `attachments` (the chips); the last two are tuichat's keys, never sent.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tuichat.config.settings import AttachmentSettings
from tuichat.core.messages import Message
from tuichat.session.image_size import IMAGE_TYPES, image_size, image_type

Kind = Literal["text", "image"]
PREVIEW_LINES = 8  # lines of a text file kept for its chip's preview
MAX_DIRECTORY_FILES = 2000  # files `@dir/` looks at before it gives up (`@~/` by mistake)

# `@` at the start or after white space (so "me@example.com" is no reference), then a quoted
# path or a run of non-space characters.
_REFERENCE = re.compile(r'(?<!\S)@(?:"([^"\n]+)"|(\S+))')
_TRAILING = ".,;:!?)]}'\""  # punctuation after a path in a sentence, tried without

_LANGUAGES = {
    "py": "python", "pyi": "python", "js": "javascript", "mjs": "javascript",
    "ts": "typescript", "tsx": "tsx", "jsx": "jsx", "rs": "rust", "go": "go", "c": "c",
    "h": "c", "cc": "cpp", "cpp": "cpp", "hpp": "cpp", "java": "java", "kt": "kotlin",
    "rb": "ruby", "php": "php", "cs": "csharp", "swift": "swift", "sh": "bash",
    "bash": "bash", "zsh": "zsh", "fish": "fish", "ps1": "powershell", "md": "markdown",
    "markdown": "markdown", "rst": "rst", "txt": "text", "json": "json", "jsonl": "json",
    "toml": "toml", "yaml": "yaml", "yml": "yaml", "ini": "ini", "cfg": "ini", "xml": "xml",
    "html": "html", "htm": "html", "css": "css", "scss": "scss", "sql": "sql", "lua": "lua",
    "r": "r", "diff": "diff", "patch": "diff", "csv": "csv", "tex": "latex", "vim": "vim",
}  # fmt: skip


class AttachmentError(Exception):
    """A file cannot be attached; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file read for a prompt."""

    name: str  # the path as written (`docs/notes.txt`), what the model and the chip show
    kind: Kind
    mime: str
    data: bytes
    via: str = ""  # the `@path` that attached it (a directory's, for its files); "": `name`

    @property
    def size(self) -> int:
        """Bytes of the file."""
        return len(self.data)

    @property
    def text(self) -> str:
        """A text file's contents."""
        return self.data.decode("utf-8")

    @property
    def sha256(self) -> str:
        """The content hash (the history stores each file once by it)."""
        return hashlib.sha256(self.data).hexdigest()

    def block(self) -> str:
        """A text file as sent: its name, then a fenced block longer than any backtick run."""
        text = self.text
        runs = [len(run) for run in re.findall(r"`+", text)]
        fence = "`" * max(3, max(runs, default=0) + 1)
        body = text if text.endswith("\n") or not text else text + "\n"
        return f"{self.name}\n{fence}{language(self.name)}\n{body}{fence}"

    def data_url(self) -> str:
        """An image as a base64 data URL."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def summary(self) -> dict[str, Any]:
        """What the chip shows and the history keeps beside the message (no contents)."""
        info: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
            "via": self.via or self.name,
        }
        if self.kind == "text":
            lines = self.text.splitlines()
            info["lines"] = len(lines)
            info["preview"] = "\n".join(lines[:PREVIEW_LINES])
        else:
            dimensions = image_size(self.data)
            if dimensions is not None:
                info["width"], info["height"] = dimensions
        return info


def language(name: str) -> str:
    """The fence language for a file name, from its extension ("" when unknown)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    return _LANGUAGES.get(suffix, suffix if suffix.isalnum() else "")


def human_size(size: int) -> str:
    """Bytes for people: 512 B, 12.3 KB, 1.5 MB (powers of 1000, as the limits are written)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


# -- finding references --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """An `@path` in a prompt that names something that exists."""

    start: int  # where the `@` is in the prompt
    end: int  # just after the path (or its closing quote)
    written: str  # the path as written, without `@` and quotes
    path: Path  # where it is


def resolve(written: str, cwd: Path) -> Path:
    """A path as written in a prompt: `~` expanded, relative to the working directory."""
    path = Path(written).expanduser()
    return path if path.is_absolute() else cwd / path


def references(text: str, cwd: Path) -> list[Reference]:
    """The `@path` references in a prompt whose paths exist; any other `@` is plain text.

    A path followed by punctuation ("see @notes.txt.") is found without it.
    """
    found: list[Reference] = []
    for match in _REFERENCE.finditer(text):
        quoted, bare = match.group(1), match.group(2)
        if quoted is not None:
            if resolve(quoted, cwd).exists():
                found.append(Reference(match.start(), match.end(), quoted, resolve(quoted, cwd)))
            continue
        written = bare
        while written:
            if resolve(written, cwd).exists():
                end = match.start() + 1 + len(written)
                found.append(Reference(match.start(), end, written, resolve(written, cwd)))
                break
            if written[-1] not in _TRAILING:
                break
            written = written[:-1]
    return found


# -- reading -------------------------------------------------------------------------------


def classify(data: bytes) -> tuple[Kind, str] | None:
    """Text (UTF-8 without NUL bytes) or one of the images; None for anything else."""
    mime = image_type(data)
    if mime is not None:
        return "image", mime
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text", "text/plain"


def _over(size: int, limit: int) -> str:
    return f"{human_size(size)}, {human_size(size - limit)} over the {human_size(limit)} limit"


def read_file(path: Path, name: str, limits: AttachmentSettings) -> Attachment:
    """Read one file to attach.

    Raises:
        AttachmentError: it cannot be read, is too big, or is neither text nor an image.
    """
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise AttachmentError(
                f"{name} is {_over(size, limits.max_file_bytes)} for one file "
                "([attachments] max_file_bytes): it was not attached."
            )
        data = path.read_bytes()
    except OSError as error:
        raise AttachmentError(f"{name} could not be read: {error.strerror or error}.") from None
    kind = classify(data)
    if kind is None:
        names = ", ".join(IMAGE_TYPES.values())
        raise AttachmentError(
            f"{name} is not a text file (UTF-8) or an image ({names}): it was not attached."
        )
    return Attachment(name, kind[0], kind[1], data)


def _directory_files(directory: Path) -> Iterable[Path]:
    """The files under a directory, sorted, without hidden files and directories (.git)."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            if not file.startswith("."):
                yield Path(root) / file


def read_directory(directory: Path, name: str, limits: AttachmentSettings) -> list[Attachment]:
    """The text files under a directory (binary files and images are skipped), sorted.

    Raises:
        AttachmentError: a file is over `max_file_bytes`, or the directory has no text file.
    """
    found: list[Attachment] = []
    total = 0
    base = name if name.endswith("/") else name + "/"
    for seen, path in enumerate(_directory_files(directory)):
        if seen >= MAX_DIRECTORY_FILES:
            raise AttachmentError(
                f"{name} holds more than {MAX_DIRECTORY_FILES} files: attach a smaller "
                "directory, or the files you mean."
            )
        written = base + path.relative_to(directory).as_posix()
        if path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as file:
                head = file.read(8192)
        except OSError:
            continue
        if image_type(head) is not None or b"\x00" in head:
            continue
        try:
            attachment = read_file(path, written, limits)
        except AttachmentError:
            if path.stat().st_size > limits.max_file_bytes:
                raise
            continue  # not UTF-8 after all: skipped like any binary file
        found.append(dataclasses.replace(attachment, via=name))
        total += attachment.size
        if total > limits.max_prompt_bytes:  # no need to read the rest: it cannot go
            raise _prompt_too_big(total, limits, attachment.name)
    if not found:
        raise AttachmentError(f"{name} has no text files to attach.")
    return found


def collect(
    text: str, cwd: Path, limits: AttachmentSettings, files: Sequence[str] = ()
) -> list[Attachment]:
    """Read the files a prompt attaches: `files` (`tuichat ask -a`), then its `@path`s.

    A file named twice is attached once.

    Raises:
        AttachmentError: the first file that cannot be attached, or the prompt's files
            together over `max_prompt_bytes` (the message names the file that went over).
    """
    targets = [(written, resolve(written, cwd)) for written in files]
    targets += [(ref.written, ref.path) for ref in references(text, cwd)]
    attachments: list[Attachment] = []
    seen: set[Path] = set()
    for written, path in targets:
        if not path.exists():
            raise AttachmentError(f"{written} does not exist: it was not attached.")
        if path.is_dir():
            read = read_directory(path, written, limits)
        else:
            read = [read_file(path, written, limits)]
        for attachment in read:
            where = resolve(attachment.name, cwd).resolve()
            if where not in seen:
                seen.add(where)
                attachments.append(attachment)
    total = 0
    for attachment in attachments:
        total += attachment.size
        if total > limits.max_prompt_bytes:
            raise _prompt_too_big(total, limits, attachment.name)
    return attachments


def _prompt_too_big(total: int, limits: AttachmentSettings, name: str) -> AttachmentError:
    return AttachmentError(
        f"The files of this prompt come to {_over(total, limits.max_prompt_bytes)} for one "
        f"prompt ([attachments] max_prompt_bytes), with {name}: nothing was attached."
    )


# -- the user message ----------------------------------------------------------------------


def typed_text(message: Message) -> str:
    """What the user typed for a user message (its content, when nothing was attached)."""
    typed = message.get("typed")
    if isinstance(typed, str):
        return typed
    content = message.get("content")
    return content if isinstance(content, str) else content_text(content)


def content_text(content: Any) -> str:
    """The text of a content value: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text") or "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return "" if content is None else str(content)


def summaries(message: Message) -> list[dict[str, Any]]:
    """The attachments of a user message, as `Attachment.summary` gave them."""
    found = message.get("attachments")
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def mentioned(text: str) -> set[str]:
    """Every path an `@` in the text may name, whether it exists or not (with and without
    punctuation after it)."""
    names: set[str] = set()
    for match in _REFERENCE.finditer(text):
        if match.group(1) is not None:
            names.add(match.group(1))
            continue
        written = match.group(2)
        while written:
            names.add(written)
            if written[-1] not in _TRAILING:
                break
            written = written[:-1]
    return names


@dataclass(frozen=True, slots=True)
class _Sent:
    """One attachment of an earlier message, as it was sent."""

    summary: dict[str, Any]
    block: str  # a text file's block with the blank line before it ("" for an image)
    part: Any  # an image's content part (None for a text file)


def _sent(message: Message) -> list[_Sent]:
    """The attachments of an earlier user message, each with what of `content` it was."""
    content = message.get("content")
    text = content_text(content)
    typed = typed_text(message)
    at = len(typed) if text.startswith(typed) else len(text)
    images = (
        [p for p in content if isinstance(p, dict) and p.get("type") != "text"]
        if isinstance(content, list)
        else []
    )
    sent: list[_Sent] = []
    for summary in summaries(message):
        if summary.get("kind") == "image":
            if images:
                sent.append(_Sent(summary, "", images.pop(0)))
            continue
        chars = int(summary.get("chars") or 0)
        sent.append(_Sent(summary, text[at : at + chars], None))
        at += chars
    return sent


def user_message(
    text: str, attachments: Sequence[Attachment] = (), kept: Message | None = None
) -> Message:
    """The user message for a prompt and its files.

    Args:
        text: what the user typed.
        attachments: the files read for it.
        kept: an earlier user message this one repeats (edit and resend): its attachments
            whose `@path` is still in `text` go again exactly as sent then, first; new
            files with their names are not added again.
    """
    still = mentioned(text)
    earlier = _sent(kept) if kept is not None else []
    repeated = [item for item in earlier if item.summary.get("via") in still]
    names = {str(item.summary.get("name")) for item in repeated}
    new = [a for a in attachments if a.name not in names]
    if not repeated and not new:
        return {"role": "user", "content": text}
    body = text + "".join(item.block for item in repeated)
    images = [item.part for item in repeated if item.part is not None]
    infos = [item.summary for item in repeated]
    for attachment in new:
        info = attachment.summary()
        if attachment.kind == "text":
            block = "\n\n" + attachment.block()
            body += block
            info["chars"] = len(block)
        else:
            images.append({"type": "image_url", "image_url": {"url": attachment.data_url()}})
        infos.append(info)
    content: Any = [{"type": "text", "text": body}, *images] if images else body
    return {"role": "user", "content": content, "typed": text, "attachments": infos}


def image_names(message: Message) -> list[str]:
    """The names of the images a user message sends."""
    return [str(item.get("name")) for item in summaries(message) if item.get("kind") == "image"]


# -- completing and writing paths ----------------------------------------------------------


def written_reference(path: Path, cwd: Path) -> str:
    """How a prompt names a path: `@` then the path relative to the working directory when
    it is under it, quoted when it has spaces (a directory ends with `/`)."""
    try:
        shown = path.relative_to(cwd).as_posix()
    except ValueError:
        shown = path.as_posix()
    if path.is_dir() and not shown.endswith("/"):
        shown += "/"
    return f'@"{shown}"' if any(c.isspace() for c in shown) else f"@{shown}"


@dataclass(frozen=True, slots=True)
class Completion:
    """What Tab makes of an `@path` being typed."""

    text: str  # the reference to put in its place, `@` included
    matches: tuple[str, ...]  # the names that fit what was typed (more than one: a choice)


def _shared_start(names: Sequence[str]) -> str:
    """The longest start all names share (letter by letter, as a shell completes)."""
    first, last = min(names), max(names)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]


def complete(typed: str, cwd: Path) -> Completion | None:
    """Complete an `@path` being typed, as a shell does: one match is written out (a
    directory with `/`), several as far as they agree.

    Args:
        typed: what follows the `@` up to the cursor (it may open with a quote).
        cwd: the working directory relative paths start from.

    Returns:
        None when nothing fits.
    """
    raw = typed.strip('"')
    head, _, prefix = raw.rpartition("/")
    head = head + "/" if "/" in raw else ""
    base = resolve(head, cwd) if head else cwd
    try:
        entries = sorted(
            entry
            for entry in os.listdir(base)
            if entry.startswith(prefix) and (prefix.startswith(".") or not entry.startswith("."))
        )
    except OSError:
        return None
    if not entries:
        return None
    if len(entries) == 1:
        name = entries[0] + ("/" if (base / entries[0]).is_dir() else "")
    else:
        name = _shared_start(entries)
    written = head + name
    quoted = typed.startswith('"') or any(c.isspace() for c in written)
    text = f'@"{written}"' if quoted else f"@{written}"
    shown = tuple(e + ("/" if (base / e).is_dir() else "") for e in entries)
    return Completion(text, shown)
