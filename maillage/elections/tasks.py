"""Background import of an uploaded results file: the task takes the stored upload's id."""

from __future__ import annotations

from django_tasks import task

from maillage.elections.services import result_upload_run


@task(queue_name="imports")
def result_upload_task(*, upload_id: int) -> dict[str, object]:
    upload = result_upload_run(upload_id=upload_id)
    return {"status": upload.status, "error": upload.error}
