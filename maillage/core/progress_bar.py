"""Show a TaskProgress as a bar on the command line (imports, blasts, census)."""

from __future__ import annotations

import sys
import time
from typing import Any

from maillage.core.models import TaskProgress


def render_bar(progress: TaskProgress, width: int = 30) -> str:
    filled = int(width * progress.percent / 100)
    bar = "█" * filled + "░" * (width - filled)
    counts = f"{progress.done:,}/{progress.total:,}".replace(",", " ") if progress.total else ""
    return f"[{bar}] {progress.percent:3d}% {counts} {progress.message}".rstrip()


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
        stream.write("\r" + render_bar(progress)[:120].ljust(120))
        stream.flush()
        if progress.is_finished:
            stream.write("\n")
            return progress
        if timeout is not None and time.monotonic() - started > timeout:
            stream.write("\n")
            return progress
        time.sleep(interval)
