"""`maillage geocode`: place the people's addresses on the map, with a progress bar."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError
from maillage.core.models import TaskProgress
from maillage.core.progress_bar import follow, redraw
from maillage.people.services.geocoding import geocoding_create, geocoding_run
from maillage.people.tasks import geocoding_task
from maillage.territory.geocoding import GeocoderError


class Command(BaseCommand):
    help = (
        "Geocode the addresses of the people not placed yet, in batches, through the geocoder "
        "at GEOCODER_URL (the Base Adresse Nationale's CSV search, or a campaign's own addok)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--retry-not-found",
            action="store_true",
            help="Also send again the addresses the geocoder did not find last time.",
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the work to the task worker and follow it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        retry = bool(options["retry_not_found"])
        try:
            progress = geocoding_create(actor=None, retry_not_found=retry)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        progress_id = str(progress.pk)
        self.stdout.write(_("Géocodeur : %(url)s") % {"url": settings.GEOCODER_URL})
        if options["enqueue"]:
            geocoding_task.enqueue(progress_id, retry)
            follow(progress_id, stream=self.stdout, timeout=24 * 3600)
        else:

            def show() -> None:
                redraw(TaskProgress.objects.get(pk=progress_id), self.stdout)

            try:
                geocoding_run(progress_id=progress_id, retry_not_found=retry, on_batch=show)
            except GeocoderError as error:
                self.stdout.write("")
                raise CommandError(
                    _("Géocodage interrompu : %(error)s") % {"error": error.message}
                ) from None
            follow(progress_id, stream=self.stdout, timeout=1)
        progress.refresh_from_db()
        self.stdout.write(progress.message)
        if progress.status == TaskProgress.Status.FAILED:
            raise CommandError(progress.message)
