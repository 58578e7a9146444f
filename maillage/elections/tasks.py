"""Background import of an uploaded results file (the task takes the stored upload's id), and
the housekeeping hooks for those uploads."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django_tasks import task

from maillage.elections.services import (
    result_upload_files_purge,
    result_upload_run,
    result_uploads_mark_stale,
)


@task(queue_name="imports")
def result_upload_task(*, upload_id: int) -> dict[str, object]:
    upload = result_upload_run(upload_id=upload_id)
    return {"status": upload.status, "error": upload.error}


def on_task_progress_stale(*, progress_ids: list[UUID], message: str) -> None:
    """Called by `core.services.task_progress_reap`: an upload whose process died fails too
    (its file is still there, so it can run again)."""
    result_uploads_mark_stale(progress_ids=progress_ids, message=message)


def retention_purge(*, cutoff: datetime) -> dict[str, int]:
    """Called by the housekeeping: uploaded results files past their retention."""
    return result_upload_files_purge(cutoff=cutoff)
