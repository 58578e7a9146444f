"""Background import of an uploaded results file, with its progress record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.core.services import task_progress_alive, task_progress_fail, task_progress_finish
from maillage.elections.services import results_import


def results_import_run(
    *,
    progress_id: str,
    path: str,
    election_slug: str,
    filename: str,
    user_id: int | None = None,
    round_number: int | None = None,
    format: str = "auto",
    election_type: str | None = None,
    election_date: str | None = None,
) -> dict[str, object]:
    """Import the stored upload, then delete it. A bad file fails the progress record with the
    importer's message; nothing was written (the import is one transaction)."""
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    if not Path(path).is_file():  # run again after its retention, or twice
        message = _("Le fichier déposé n'est plus disponible : déposez-le à nouveau.")
        task_progress_fail(progress_id=progress_id, message=message, can_rerun=False)
        return {"error": message}
    try:
        with task_progress_alive(progress_id):
            report = results_import(
                path=Path(path),
                election_slug=election_slug,
                round_number=round_number,
                format=format,
                election_type=election_type or None,
                election_date=dt.date.fromisoformat(election_date) if election_date else None,
                actor=actor,
                progress_id=progress_id,
                filename=filename,
            )
    except ApplicationError as error:
        # The file goes below: running again could not help.
        task_progress_fail(progress_id=progress_id, message=error.message, can_rerun=False)
        return {"error": error.message}
    finally:
        Path(path).unlink(missing_ok=True)
    result = {
        "url": reverse("elections:import_detail", args=[report.record.pk]),
        "areas": report.area_count,
        "candidates": report.candidate_count,
        "warnings": len(report.warnings),
    }
    rounds = " et ".join(map(str, report.rounds))
    task_progress_finish(
        progress_id=progress_id,
        result=result,
        message=f"{report.area_count} zones, tour {rounds}, {len(report.warnings)} avertissement(s)",
    )
    return result


@task(queue_name="imports")
def results_import_task(**kwargs: object) -> dict[str, object]:
    return results_import_run(**kwargs)  # type: ignore[arg-type]
