"""Count every Maillage table as a background task and show its progress bar."""

from typing import Any

from django.core.management.base import BaseCommand

from maillage.core.progress_bar import follow
from maillage.core.services import task_progress_create
from maillage.core.tasks import database_census, database_census_run


class Command(BaseCommand):
    help = "Count the rows of every table, with a progress bar (runs in the worker with --enqueue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the work to the task worker and follow it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = task_progress_create(kind="census", label="Recensement de la base")
        if options["enqueue"]:
            database_census.enqueue(str(progress.pk))
            follow(str(progress.pk), stream=self.stdout, timeout=600)
        else:
            database_census_run(progress_id=str(progress.pk))
            follow(str(progress.pk), stream=self.stdout, timeout=1)
        progress.refresh_from_db()
        for label, count in sorted(progress.result.get("counts", {}).items()):
            self.stdout.write(f"{label:<40} {count:>10}")
