"""Background work of the people app: running an import job, searching the whole table for
likely duplicates."""

from __future__ import annotations

from django_tasks import task

from maillage.people.services.dedupe import duplicates_search_run
from maillage.people.services.imports import import_job_run


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
