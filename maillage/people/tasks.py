"""Background work of the people app: running an import job."""

from __future__ import annotations

from django_tasks import task

from maillage.people.models import ImportJob
from maillage.people.services.imports import import_job_run


@task(queue_name="imports")
def import_job_task(job_id: int) -> dict[str, object]:
    """Run the import job once; a job already finished is left as it is (safe to re-enqueue)."""
    job = import_job_run(job_id=job_id)
    return {"job_id": job.pk, "status": job.status}


def import_job_is_finished(job: ImportJob) -> bool:
    return job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED)
