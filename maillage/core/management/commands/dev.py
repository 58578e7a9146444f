"""`maillage dev`: the web server and a task worker side by side, stopped together by Ctrl-C.

`make run` ends with it. It replaces a shell `trap 'kill 0'` that made Debian's /bin/sh recurse
("Segmentation fault", exit 2). Each child runs in its own process group and gets exactly one
signal, forwarded from here, so Ctrl-C stops both cleanly and the command exits 0.

Under `make`, Ctrl-C would also reach make itself, which then dies of the signal (status 130)
whatever its recipe does. So when started from a terminal, this command takes the terminal's
foreground for its own process group, as a shell does for a job: Ctrl-C reaches it alone, and
it hands the terminal back before exiting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

# How long the children get to finish (a worker ends its current task) before being killed.
STOP_TIMEOUT = 20.0


def worker_command() -> list[str]:
    """The worker of the configured task backend: `maillage worker` (db_worker that also keeps the housekeeping
    scheduled) for the database, rqworker for RQ."""
    backend = str(settings.TASKS["default"]["BACKEND"])
    queues = list(settings.TASKS["default"].get("QUEUES", ["default"]))
    if backend.startswith("django_tasks_rq"):
        return ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", *queues]
    if backend.startswith("django_tasks_db"):
        return ["worker", "--queue-name", "*"]
    return []  # immediate or dummy: nothing to run in the background


@contextlib.contextmanager
def terminal_foreground() -> Iterator[None]:
    """Make this process's own group the terminal's foreground for the duration, if it can."""
    try:
        fd = sys.stdin.fileno()
        previous = os.getpgrp()
        if not os.isatty(fd) or os.tcgetpgrp(fd) != previous:
            raise OSError("not in the terminal's foreground")
        os.setpgid(0, 0)
    except (OSError, ValueError):
        yield  # no terminal (a service manager, a test): signals come straight to this process
        return
    try:
        _set_foreground(fd, os.getpgrp())
    except OSError:
        os.setpgid(0, previous)  # back in the group the terminal signals
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            _set_foreground(fd, previous)


def _set_foreground(fd: int, group: int) -> None:
    # A process outside the foreground group is sent SIGTTOU when it calls tcsetpgrp.
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(fd, group)
    finally:
        signal.signal(signal.SIGTTOU, old)


class Command(BaseCommand):
    help = "Start the development web server and a task worker; Ctrl-C stops both (exit 0)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        commands = {"runserver": ["runserver", "--noreload", options["addrport"]]}
        if worker := worker_command():
            commands[worker[0]] = worker
        stopping: list[int] = []

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.append(signum)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        children: dict[str, subprocess.Popen[bytes]] = {}
        try:
            with terminal_foreground():
                for name, arguments in commands.items():
                    # Its own process group: the child hears of Ctrl-C once, from here.
                    children[name] = subprocess.Popen(
                        [sys.executable, "-m", "maillage.cli", *arguments],
                        stdin=subprocess.DEVNULL,
                        process_group=0,
                    )
                failed = self._wait(children, stopping)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
                    child.wait()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            raise CommandError(failed)

    def _wait(self, children: dict[str, subprocess.Popen[bytes]], stopping: list[int]) -> str:
        """Wait for a signal or a child's end, then stop the others; say what failed, if anything."""
        failed = ""
        while not stopping:
            ended = [(name, child) for name, child in children.items() if child.poll() is not None]
            if ended:
                name, child = ended[0]
                failed = _(
                    "« %(command)s » s'est arrêté (code %(code)s) : arrêt de l'ensemble."
                ) % {"command": name, "code": child.returncode}
                break
            time.sleep(0.2)
        forwarded = 0
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(child.poll() is None for child in children.values()):
            # One SIGINT per child per signal received: a second Ctrl-C forces the worker.
            while forwarded < max(len(stopping), 1):
                for child in children.values():
                    if child.poll() is None:
                        child.send_signal(signal.SIGINT)
                forwarded += 1
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        return failed
