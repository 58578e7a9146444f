"""`maillage worker`: the task worker (`db_worker`, same options) that also keeps the periodic
housekeeping scheduled: it enqueues a run at start when none is waiting, and each run enqueues
the next one. `make run` starts it; run it wherever `db_worker` ran before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from maillage.core.tasks import housekeeping_schedule


class Command(DBWorkerCommand):
    help = "Run the database task worker and keep the periodic housekeeping scheduled."

    def handle(self, *args: Any, **options: Any) -> None:
        housekeeping_schedule(delay=timedelta(0))
        super().handle(*args, **options)
