"""Search the whole people table for likely duplicates, with a progress bar."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError
from maillage.core.progress_bar import follow
from maillage.people.services.dedupe import duplicates_search_create, duplicates_search_run
from maillage.people.tasks import duplicates_search_task


class Command(BaseCommand):
    help = (
        "Compare every person with every other of the same birth year or household and queue "
        "the likely duplicates for review (an import only compares its own people)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the work to the task worker and follow it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            progress = duplicates_search_create(actor=None)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if options["enqueue"]:
            duplicates_search_task.enqueue(str(progress.pk))
            follow(str(progress.pk), stream=self.stdout, timeout=3600)
        else:
            try:
                duplicates_search_run(progress_id=str(progress.pk))
            except Exception as error:  # the progress record says it failed; no traceback here
                raise CommandError(
                    _("Recherche interrompue : %(error)s") % {"error": error}
                ) from error
            follow(str(progress.pk), stream=self.stdout, timeout=1)
        progress.refresh_from_db()
        self.stdout.write(progress.message)
