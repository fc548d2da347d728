"""Files attached to prompts: what goes on the wire for text files, images and directories,
what is refused (binary, over a limit), and what a regenerate and an edit send again."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tuichat.config.settings import AttachmentSettings, Settings
from tuichat.demo.replies import HTTPError, Scripted
from tuichat.demo.server import ChatServer
from tuichat.session.attachments import AttachmentError, collect, references
from tuichat.session.builder import build_session
from tuichat.session.image_size import image_size
from tuichat.session.options import SessionOptions
from tuichat.session.session import ChatSession

LIMITS = AttachmentSettings()


def tiny_png(width: int = 16, height: int = 8) -> bytes:
    """A PNG's signature and IHDR chunk: enough for its type and dimensions."""
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + ihdr + b"\x00\x00\x00\x00"


def session_for(server: ChatServer) -> ChatSession:
    options = SessionOptions(
        base_url=server.base_url,
        model="m",
        max_retries=0,
        tools=False,
        history=False,
    )
    return build_session(Settings(), options, {})


async def run(session: ChatSession, text: str, cwd: Path) -> None:
    async for _ in session.send(text, collect(text, cwd, LIMITS)):
        pass


async def test_a_text_file_is_inlined_in_a_fence_longer_than_its_backticks(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "notes.md").write_text("Use ```code``` here.\n")
    session = session_for(server)
    try:
        await run(session, "summarise @notes.md please", tmp_path)
    finally:
        await session.aclose()
    assert server.requests[-1]["messages"] == [
        {
            "role": "user",
            "content": "summarise @notes.md please\n\nnotes.md\n````markdown\n"
            "Use ```code``` here.\n````",
        }
    ]


async def test_an_image_goes_as_an_image_url_part(server: ChatServer, tmp_path: Path) -> None:
    png = tiny_png()
    (tmp_path / "shot.png").write_bytes(png)
    (tmp_path / "a.py").write_text("x = 1")
    session = session_for(server)
    try:
        await run(session, "what is @shot.png? see @a.py", tmp_path)
    finally:
        await session.aclose()
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert server.requests[-1]["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "what is @shot.png? see @a.py\n\na.py\n```python\nx = 1\n```",
                },
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


async def test_a_directory_attaches_its_text_files_sorted_without_hidden_or_binary(
    server: ChatServer, tmp_path: Path
) -> None:
    src = tmp_path / "my src"
    (src / "sub").mkdir(parents=True)
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref")
    (src / ".env").write_text("SECRET=1")
    (src / "b.txt").write_text("bee")
    (src / "a.txt").write_text("ay")
    (src / "sub" / "c.toml").write_text("k = 1")
    (src / "blob.bin").write_bytes(b"\x00\x01\x02")
    (src / "pic.png").write_bytes(tiny_png())
    session = session_for(server)
    try:
        await run(session, 'read @"my src/"', tmp_path)
    finally:
        await session.aclose()
    assert server.requests[-1]["messages"][0]["content"] == (
        'read @"my src/"'
        "\n\nmy src/a.txt\n```text\nay\n```"
        "\n\nmy src/b.txt\n```text\nbee\n```"
        "\n\nmy src/sub/c.toml\n```toml\nk = 1\n```"
    )


def test_an_at_that_names_nothing_stays_text(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("n")
    text = "mail me@example.com, or @nobody, or @notes.txt."
    found = references(text, tmp_path)
    assert [(ref.written, text[ref.start : ref.end]) for ref in found] == [
        ("notes.txt", "@notes.txt")
    ]


def test_a_home_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "todo.txt").write_text("milk")
    [attachment] = collect("@~/todo.txt", tmp_path / "elsewhere", LIMITS)
    assert (attachment.name, attachment.text) == ("~/todo.txt", "milk")


def test_a_binary_file_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "app.bin").write_bytes(b"\x7fELF\x00\x00")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(
        AttachmentError, match=r"^app\.bin is not a text file \(UTF-8\) or an image"
    ):
        collect("run @app.bin", tmp_path, LIMITS)
    with pytest.raises(AttachmentError, match=r"^latin\.txt is not a text file"):
        collect("read @latin.txt", tmp_path, LIMITS)


def test_a_file_over_the_limit_is_refused_saying_by_how_much(tmp_path: Path) -> None:
    (tmp_path / "big.log").write_text("x" * 1500)
    limits = AttachmentSettings(max_file_bytes=1000, max_prompt_bytes=10_000)
    with pytest.raises(AttachmentError) as refused:
        collect("@big.log", tmp_path, limits)
    assert str(refused.value) == (
        "big.log is 1.5 KB, 500 B over the 1.0 KB limit for one file "
        "([attachments] max_file_bytes): it was not attached."
    )


def test_files_over_the_prompt_limit_are_refused_naming_the_one_that_went_over(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.txt").write_text("a" * 600)
    (tmp_path / "b.txt").write_text("b" * 600)
    limits = AttachmentSettings(max_file_bytes=1000, max_prompt_bytes=1000)
    with pytest.raises(AttachmentError) as refused:
        collect("@a.txt @b.txt", tmp_path, limits)
    assert str(refused.value) == (
        "The files of this prompt come to 1.2 KB, 200 B over the 1.0 KB limit for one prompt "
        "([attachments] max_prompt_bytes), with b.txt: nothing was attached."
    )


def test_image_dimensions_are_read_from_their_headers() -> None:
    gif = b"GIF89a" + (300).to_bytes(2, "little") + (200).to_bytes(2, "little") + b"\x00" * 4
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x04ab"  # APP0, skipped by its length
        + b"\xff\xc0\x00\x11\x08"
        + (480).to_bytes(2, "big")
        + (640).to_bytes(2, "big")
        + b"\x03" * 12
    )
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (99).to_bytes(3, "little")
    webp += (49).to_bytes(3, "little")
    assert image_size(tiny_png(16, 8)) == (16, 8)
    assert image_size(gif) == (300, 200)
    assert image_size(jpeg) == (640, 480)
    assert image_size(webp) == (100, 50)


async def test_regenerate_and_edit_send_the_attachments_again(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("first version")
    session = session_for(server)
    try:
        await run(session, "check @notes.txt", tmp_path)
        sent = server.requests[-1]["messages"][0]
        turn = session.regenerate()
        assert turn is not None
        async for _ in turn:
            pass
        assert server.requests[-1]["messages"][0] == sent
        assert session.last_prompt() == "check @notes.txt"
        # The file changes, then goes: the edited prompt sends what was sent the first time.
        (tmp_path / "notes.txt").unlink()
        edited = "check @notes.txt again"
        async for _ in session.resend(edited, collect(edited, tmp_path, LIMITS)):
            pass
        assert server.requests[-1]["messages"][0] == {
            "role": "user",
            "content": "check @notes.txt again\n\nnotes.txt\n```text\nfirst version\n```",
        }
        # Taking `@notes.txt` out of the prompt drops the file.
        async for _ in session.resend("never mind", []):
            pass
        assert server.requests[-1]["messages"][0] == {"role": "user", "content": "never mind"}
    finally:
        await session.aclose()


async def test_a_server_that_refuses_images_is_named_with_the_files(
    server: ChatServer, tmp_path: Path
) -> None:
    (tmp_path / "cat.png").write_bytes(tiny_png())
    server.enqueue(HTTPError(400, "image input is not supported"), Scripted(text="ok"))
    session = session_for(server)
    try:
        await run(session, "what is @cat.png", tmp_path)
        refused = session.refused_images()
    finally:
        await session.aclose()
    assert refused is not None
    assert refused.startswith("The server refused the prompt with the image cat.png")
    assert "image input is not supported" in refused


def test_a_directory_over_the_prompt_limit_is_refused_naming_the_file_that_went_over(
    tmp_path: Path,
) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / "logs" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "logs" / name).write_text("x" * 400)
    limits = AttachmentSettings(max_file_bytes=1000, max_prompt_bytes=1000)
    with pytest.raises(AttachmentError) as refused:
        collect("@logs/", tmp_path, limits)
    assert str(refused.value) == (
        "The files of this prompt come to 1.2 KB, 200 B over the 1.0 KB limit for one prompt "
        "([attachments] max_prompt_bytes), with logs/c.txt: nothing was attached."
    )
