"""Running programs in a real terminal for the benchmarks: a private tmux server.

A bench owns one tmux server (its own socket, so it never touches anyone's sessions) with
two sessions: ``bench``, whose 120x40 pane runs the program measured, and ``ctl``, which a
control-mode client (``tmux -C``) stays attached to. Screen captures go through that client:
one long-lived process instead of a ``tmux capture-pane`` process per poll, so polling the
screen every few milliseconds costs the measured program (and the two cores it shares)
almost nothing.

Programs run as an installed tuichat would: with compiled bytecode. This machine's
environment sets ``PYTHONDONTWRITEBYTECODE``, and an editable install has no ``.pyc`` for
tuichat's own modules, so every launch would compile them again; instead programs get
``PYTHONPYCACHEPREFIX`` (a cache in the temp dir, so nothing is written to the checkout)
and the first launch fills it.

CPU is read from ``/proc/PID/stat`` (utime + stime, plus the children the process waited
for and the ones still running), peak memory from ``VmHWM`` in ``/proc/PID/status``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

COLUMNS, ROWS = 120, 40
TICK = os.sysconf("SC_CLK_TCK")
PYCACHE = Path(tempfile.gettempdir()) / f"tuichat-bench-pycache-{os.getuid()}"
# Clears the screen a program left behind (killed, it cannot), then idles.
IDLE = "printf '\\033[?1049l\\033[2J\\033[H'; exec sleep 100000"


def bytecode_env() -> dict[str, str]:
    """The environment of a program run with compiled bytecode (see the module docstring)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _descendants(pid: int) -> list[int]:
    """Every live descendant of a process (from /proc/PID/task/*/children)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{parent}/task/{task}/children").read_text()
            except OSError:
                continue
            for child in map(int, text.split()):
                found.append(child)
                stack.append(child)
    return found


def _stat_cpu(pid: int, children: bool) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17.
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    ticks = utime + stime + (cutime + cstime if children else 0)
    return ticks / TICK


def cpu_seconds(pid: int) -> float:
    """CPU seconds used by a process, its reaped children and its live descendants."""
    return _stat_cpu(pid, True) + sum(_stat_cpu(child, True) for child in _descendants(pid))


def peak_rss_mb(pid: int) -> float:
    """The peak resident set size of a process, in MB (VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_idle(pid: int, quiet: float = 0.3, limit: float = 5.0) -> None:
    """Wait until a process uses (almost) no CPU for `quiet` seconds, at most `limit`."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = cpu_seconds(pid)
        if now - last <= 1.5 / TICK:
            return
        last = now


class Tmux:
    """A private tmux server with a 120x40 pane to run programs in."""

    def __init__(self) -> None:
        self.socket = f"tuichat-bench-{os.getpid()}"
        self.target = "bench:0.0"
        self._control: subprocess.Popen[str] | None = None
        self._serial = 0
        self._socket_path = ""

    def command(self, *args: str) -> str:
        """Run a tmux command (a client process) and return its output."""
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return result.stdout

    def start(self) -> None:
        """Start the server, the bench pane (idle until `launch`) and the control client."""
        idle = IDLE
        self.command(
            "-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", str(COLUMNS),
            "-y", str(ROWS), idle,
        )  # fmt: skip
        self._socket_path = self.command("display-message", "-p", "#{socket_path}").strip()
        self.command("set-option", "-g", "remain-on-exit", "on")
        self.command("set-option", "-g", "status", "off")
        self.command("new-session", "-d", "-s", "ctl", "-x", "80", "-y", "24", idle)
        size = self.command(
            "display-message", "-p", "-t", self.target, "#{pane_width}x#{pane_height}"
        )
        assert size.strip() == f"{COLUMNS}x{ROWS}", size
        self._control = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach-session", "-t", "ctl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def stop(self) -> None:
        """Kill the server (and whatever still runs in it)."""
        if self._control is not None:
            assert self._control.stdin is not None
            self._control.stdin.close()
            self._control.wait(timeout=10)
            self._control = None
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if self._socket_path:
            Path(self._socket_path).unlink(missing_ok=True)  # tmux leaves it behind

    def _control_command(self, line: str) -> list[str]:
        """Send a command to the control client; return the lines of its answer.

        Answers come as ``%begin``/``%end`` blocks, but not only to our commands (attaching
        has one of its own, sent when tmux gets to it): each command is followed by a
        `display-message` of a fresh token, and the answer is the block before the token's.
        """
        control = self._control
        assert control is not None and control.stdin is not None and control.stdout is not None
        self._serial += 1
        token = f"tuichat-bench-{self._serial}"
        control.stdin.write(f"{line}\ndisplay-message -p {token}\n")
        control.stdin.flush()
        answer: list[str] = []
        block: list[str] | None = None
        while True:
            text = control.stdout.readline()
            if not text:
                raise RuntimeError("the tmux control client went away")
            text = text.rstrip("\n")
            if block is None:
                if text.startswith("%begin"):
                    block = []  # notifications come between blocks
                continue
            if text.startswith("%error"):
                raise RuntimeError(f"tmux: {line}: {block}")
            if not text.startswith("%end"):
                block.append(text)
                continue
            if block == [token]:
                return answer
            answer, block = block, None

    def capture(self) -> str:
        """The text on the bench pane's screen."""
        return "\n".join(self._control_command(f"capture-pane -p -t {self.target}"))

    def launch(self, argv: Sequence[str], env: dict[str, str] | None = None) -> int:
        """Run a program in the bench pane (killing what ran there); return its PID."""
        env = {"PYTHONPYCACHEPREFIX": str(PYCACHE), **(env or {})}
        words = [f"{key}={value}" for key, value in env.items()]
        line = "exec env -u PYTHONDONTWRITEBYTECODE " + " ".join(
            shlex.quote(word) for word in [*words, *argv]
        )
        self.command("respawn-pane", "-k", "-t", self.target, line)
        return int(self.command("display-message", "-p", "-t", self.target, "#{pane_pid}"))

    def clear(self) -> None:
        """Replace the program in the bench pane by an idle one, on a blank screen."""
        self.command("respawn-pane", "-k", "-t", self.target, IDLE)
        deadline = time.monotonic() + 10
        while self.capture().strip() and time.monotonic() < deadline:
            time.sleep(0.01)

    def send_keys(self, *keys: str, literal: bool = False) -> None:
        """Type into the bench pane."""
        self.command("send-keys", "-t", self.target, *(["-l"] if literal else []), *keys)

    def wait_for(
        self, pattern: re.Pattern[str], timeout: float, interval: float = 0.005
    ) -> tuple[float, str]:
        """Poll the screen until `pattern` shows; return when (perf_counter) and the screen."""
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.capture()
            now = time.perf_counter()
            if pattern.search(screen):
                return now, screen
            if now > deadline:
                raise TimeoutError(f"{pattern.pattern!r} not on screen:\n{screen}")
            time.sleep(interval)


@contextmanager
def tmux() -> Iterator[Tmux]:
    """A started private tmux server, killed on the way out."""
    server = Tmux()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def median(values: Sequence[float]) -> float:
    """The median (the lower middle value would do too; this is the usual one)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def repeat_alternating(
    repeat: int, *runs: Callable[[], dict[str, float]]
) -> list[list[dict[str, float]]]:
    """Run each measurement `repeat` times, interleaved (a, b, a, b...), so that noise from
    the rest of the machine falls on all of them alike."""
    results: list[list[dict[str, float]]] = [[] for _ in runs]
    for _ in range(repeat):
        for index, run in enumerate(runs):
            results[index].append(run())
    return results
