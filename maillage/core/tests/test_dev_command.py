"""`maillage dev`: the server and the worker start together and stop together. Ctrl-C from a
terminal under `make run` is tested with the README (test_readme.py); here, the same command
driven by signals alone, as a service manager or a script would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from maillage.core.tests.test_readme import free_port, session_processes
from maillage.core.tests.test_settings_env import ROOT, run_maillage


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("var")
    assert run_maillage("migrate", MAILLAGE_DEV="1", MAILLAGE_VAR_DIR=str(path)).returncode == 0
    return path


def start_dev(var_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "maillage.cli", "dev", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/tmp"),
            "MAILLAGE_DEV": "1",
            "MAILLAGE_VAR_DIR": str(var_dir),
        },
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_until_served(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server never answered")


def test_sigterm_stops_the_server_and_the_worker_with_exit_0(var_dir: Path) -> None:
    port = free_port()
    dev = start_dev(var_dir, port)
    try:
        wait_until_served(port)
        time.sleep(1)
        assert len(session_processes(dev.pid)) == 3  # this command, the server, the worker
        dev.send_signal(signal.SIGTERM)
        output, _ = dev.communicate(timeout=30)
    finally:
        if session_processes(dev.pid):
            os.killpg(dev.pid, signal.SIGKILL)
    assert dev.returncode == 0, output
    assert "Starting worker" in output
    assert "Traceback" not in output
    assert session_processes(dev.pid) == []


def test_when_one_child_fails_the_other_is_stopped_and_the_command_says_so(
    var_dir: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        dev = start_dev(var_dir, taken.getsockname()[1])
        try:
            output, _ = dev.communicate(timeout=60)
        finally:
            if session_processes(dev.pid):
                os.killpg(dev.pid, signal.SIGKILL)
    assert dev.returncode == 1
    assert "« runserver » s'est arrêté (code 1) : arrêt de l'ensemble." in output
    assert session_processes(dev.pid) == []
