"""Show a TaskProgress as a bar on the command line (imports, blasts, census)."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import OutputWrapper

from maillage.core.models import TaskProgress


def _write(stream: Any, text: str) -> None:
    # A management command's stdout adds a newline to every write unless told otherwise,
    # which would print one bar per line instead of redrawing it.
    if isinstance(stream, OutputWrapper):
        stream.write(text, ending="")
    else:
        stream.write(text)


def render_bar(progress: TaskProgress, width: int = 30) -> str:
    filled = int(width * progress.percent / 100)
    bar = "█" * filled + "░" * (width - filled)
    counts = f"{progress.done:,}/{progress.total:,}".replace(",", " ") if progress.total else ""
    return f"[{bar}] {progress.percent:3d}% {counts} {progress.message}".rstrip()


def redraw(progress: TaskProgress, stream: Any) -> None:
    """Draw the bar over the previous one on the same terminal line."""
    _write(stream, "\r" + render_bar(progress)[:120].ljust(120))
    stream.flush()


def follow(
    progress_id: str,
    *,
    stream: Any = sys.stdout,
    interval: float = 0.5,
    timeout: float | None = None,
) -> TaskProgress:
    """Poll a progress record until it finishes, redrawing the bar in place."""
    started = time.monotonic()
    while True:
        progress = TaskProgress.objects.get(pk=progress_id)
        redraw(progress, stream)
        if progress.is_finished:
            _write(stream, "\n")
            return progress
        if timeout is not None and time.monotonic() - started > timeout:
            _write(stream, "\n")
            return progress
        time.sleep(interval)
