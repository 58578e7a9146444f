"""`maillage housekeeping`: mark crashed work failed and delete expired files and task results.

The worker (`maillage worker`) runs the same upkeep every MAILLAGE_HOUSEKEEPING_MINUTES; this
command is for a cron line or by hand (e.g. right after lowering the retention)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from maillage.core.services import housekeeping_run


class Command(BaseCommand):
    help = "Mark crashed tasks failed; delete uploads, rejected-row files and task results past their retention."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = housekeeping_run()
        for key, value in counts.items():
            self.stdout.write(f"{key}: {value}")
