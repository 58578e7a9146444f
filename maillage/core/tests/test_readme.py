"""Every command block of the README runs as written, from a clean environment, in its order.

How, and the choices made:
- Each ```sh block of README.md runs under /bin/sh from the repository root, in an environment
  holding only PATH (without this project's .venv/bin: as without `source .venv/bin/activate`)
  and HOME, plus MAILLAGE_VAR_DIR, a temporary directory, so that the developer's database is
  never touched (the Makefile and the settings both read it: `make install` writes its
  local.env there, as in a fresh clone), and PORT for `make run`, a free port rather than 8000.
- The existing .venv is reused: `make install` finds it up to date. Installing afresh would
  download the whole lock (minutes, and the network) on every run of the suite; every `make`
  target goes through the install step anyway.
- Lines that cannot run here are in SKIPPED_LINES with the reason, and rewrites in REWRITES;
  the test fails when one of them no longer matches the README, so none is dropped silently.
- `make run` starts a server: it runs in a pseudo-terminal; once the site answers, the test
  types Ctrl-C as a person would and requires exit status 0, with the server and the worker gone.
- A block ending in `cmd &` leaves a worker running: the test checks that it started, then stops
  it with SIGTERM, as a service manager would.
- Fences other than `sh` must be `text` (an illustration, not to be run).
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"

SKIPPED_LINES = {
    # This test runs inside `make test`: running it again here would recurse.
    "make test": "the suite that runs this test",
}
# The README's database name, for a name of this test's own, dropped at the end.
TEST_DATABASE = f"maillage_readme_{os.getpid()}"
REWRITES = {
    "createdb -h 127.0.0.1 -U postgres maillage": (
        f"createdb -h 127.0.0.1 -U postgres {TEST_DATABASE}"
    ),
    "postgres@127.0.0.1:5432/maillage ": f"postgres@127.0.0.1:5432/{TEST_DATABASE} ",
}
# What each block must print, found by a word of the block: the README's own claims.
EXPECTED_OUTPUT = {
    "close_races": ["24 course(s).", "Ardèche 3e circonscription", "écart 35 voix"],
    "import_people": ["ESSAI", "créées 4", "rejetées 0"],
    "maillage worker": ["Starting worker"],
}
BLOCK_TIMEOUT = 180


@dataclass
class Block:
    line: int
    script: str


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    fences = re.findall(r"^```(\S*)$", text, flags=re.MULTILINE)
    assert set(fences[0::2]) <= {"sh", "text"}, f"README fences must be sh or text: {fences}"
    blocks = []
    for match in re.finditer(r"^```sh\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL):
        blocks.append(Block(line=text[: match.start()].count("\n") + 1, script=match.group(1)))
    return blocks


def prepared(script: str, used: set[str]) -> str:
    lines = []
    for line in script.splitlines():
        command = line.split("#", 1)[0].strip()
        if command in SKIPPED_LINES:
            used.add(command)
            continue
        for old, new in REWRITES.items():
            if old in line:
                used.add(old)
                line = line.replace(old, new)
        lines.append(line)
    return "\n".join(lines) + "\n"


def clean_env(var_dir: Path) -> dict[str, str]:
    venv = str(ROOT / ".venv")
    path = ":".join(p for p in os.environ["PATH"].split(":") if p and not p.startswith(venv))
    return {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "MAILLAGE_VAR_DIR": str(var_dir)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_processes(session: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def run_server_block(script: str, env: dict[str, str], port: int) -> str:
    """Run `make run` in a terminal, check that it serves, press Ctrl-C, require exit 0."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: a new session whose controlling terminal is the pty
        os.chdir(ROOT)
        os.execve("/bin/sh", ["sh", "-c", script], env)  # noqa: S606 - the README's shell
    output = b""
    status = None
    deadline = time.monotonic() + BLOCK_TIMEOUT
    interrupted = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([terminal], [], [], 0.2)
            if ready:
                with contextlib.suppress(OSError):  # closed: everything in it has ended
                    output += os.read(terminal, 65536)
            ready_to_stop = (
                b"Quit the server with CONTROL-C" in output and b"Starting worker" in output
            )
            if not interrupted and ready_to_stop:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
                assert home.status == 200
                assert b'rel="icon"' in home.read()
                # The icon is served, and /favicon.ico leads to it.
                icon = urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=10)
                assert (icon.status, icon.url) == (
                    200,
                    f"http://127.0.0.1:{port}/static/core/favicon.svg",
                )
                os.write(terminal, b"\x03")  # Ctrl-C
                interrupted = True
            if interrupted:
                done, raw = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = os.waitstatus_to_exitcode(raw)
                    break
    finally:
        if status is None:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        time.sleep(0.5)
        leftovers = session_processes(pid)
        for leftover in leftovers:
            os.kill(leftover, signal.SIGKILL)
        os.close(terminal)
    text = output.decode(errors="replace")
    assert interrupted, f"the server never said it was ready:\n{text[-3000:]}"
    assert status == 0, f"Ctrl-C ended `make run` with status {status}:\n{text[-3000:]}"
    assert not leftovers, f"processes left running after Ctrl-C: {leftovers}"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    return text


def run_block(script: str, env: dict[str, str], log: Path) -> str:
    """Run a block to its end; a worker it leaves running (`cmd &`) is checked, then stopped."""
    with log.open("w") as out:
        shell = subprocess.Popen(
            ["/bin/sh", "-c", script],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its process group: the block's background work too
        )
        try:
            status = shell.wait(timeout=BLOCK_TIMEOUT)
            assert status == 0, f"exit status {status}:\n{log.read_text()[-3000:]}"
            if any(
                command.endswith("&") and not command.endswith("&&")
                for command in (line.split("#", 1)[0].rstrip() for line in script.splitlines())
            ):
                deadline = time.monotonic() + 30
                while "Starting worker" not in log.read_text() and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert session_processes(shell.pid), "the block's worker is not running"
        finally:
            if session_processes(shell.pid):
                os.killpg(shell.pid, signal.SIGTERM)
                deadline = time.monotonic() + 20
                while session_processes(shell.pid) and time.monotonic() < deadline:
                    time.sleep(0.2)
                if session_processes(shell.pid):
                    os.killpg(shell.pid, signal.SIGKILL)
    return log.read_text()


def drop_test_database() -> None:
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", TEST_DATABASE],
        capture_output=True,
        timeout=60,
        check=True,
    )


@pytest.mark.services
def test_every_command_block_of_the_readme_runs_as_written(tmp_path: Path) -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 4
    used: set[str] = set()
    matched: set[str] = set()
    port = free_port()
    drop_test_database()
    try:
        for number, block in enumerate(blocks):
            started = time.monotonic()
            script = prepared(block.script, used)
            env = clean_env(tmp_path / "var")
            if re.search(r"^make run\b", script, flags=re.MULTILINE):
                output = run_server_block(script, {**env, "PORT": str(port)}, port)
                assert "No directory at" not in output  # var/static exists before the server starts
                assert "Segmentation fault" not in output
            else:
                output = run_block(script, env, tmp_path / f"block-{number}.log")
            print(f"README line {block.line}: {time.monotonic() - started:.1f} s")
            assert "Traceback" not in output, f"README line {block.line}:\n{output[-3000:]}"
            for word, expected in EXPECTED_OUTPUT.items():
                if word in script:
                    matched.add(word)
                    for piece in expected:
                        assert piece in output, f"README line {block.line}: {piece!r} not printed"
    finally:
        drop_test_database()
    assert used == set(SKIPPED_LINES) | set(REWRITES), "a skip or a rewrite no longer matches"
    assert matched == set(EXPECTED_OUTPUT)


@pytest.mark.services
def test_the_commands_also_run_once_the_virtualenv_is_activated(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    result = subprocess.run(
        ["/bin/sh", "-c", ". .venv/bin/activate && make install >/dev/null && maillage check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert (tmp_path / "local.env").is_file()
