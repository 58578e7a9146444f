"""Background work of the people app: running an import job, searching the whole table for
likely duplicates, geocoding the addresses."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils import timezone
from django_tasks import task

from maillage.people.models import ImportJob
from maillage.people.services.dedupe import duplicates_search_run
from maillage.people.services.geocoding import geocoding_run
from maillage.people.services.imports import import_job_run
from maillage.people.services.retention import import_files_purge
from maillage.territory.geocoding import GeocoderError


@task(queue_name="imports")
def import_job_task(job_id: int) -> dict[str, object]:
    """Run the import job once; a job already finished is left as it is (safe to re-enqueue)."""
    job = import_job_run(job_id=job_id)
    return {"job_id": job.pk, "status": job.status}


@task(queue_name="imports")
def duplicates_search_task(progress_id: str) -> dict[str, object]:
    """The imports queue: a search reads every person, as an import writes them, and the two
    are better not run side by side on a small machine."""
    return {"found": duplicates_search_run(progress_id=progress_id)}


@task()
def geocoding_task(progress_id: str, retry_not_found: bool = False) -> dict[str, object]:
    """Geocode the addresses still waiting. A geocoder error is on the progress record (the
    batches before it are written); the task ends without raising, as a rerun would only hit
    the same error until the operator acts (the URL, the service)."""
    try:
        return dict(geocoding_run(progress_id=progress_id, retry_not_found=retry_not_found))
    except GeocoderError as error:
        return {"error": error.message}


def on_task_progress_stale(*, progress_ids: list[UUID], message: str) -> None:
    """Called by `core.services.task_progress_reap`: an import whose process died fails too
    (its file is still there, so it can run again)."""
    ImportJob.objects.filter(progress_id__in=progress_ids, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def retention_purge(*, cutoff: datetime) -> dict[str, int]:
    """Called by the housekeeping: import files past their retention."""
    return import_files_purge(cutoff=cutoff)
