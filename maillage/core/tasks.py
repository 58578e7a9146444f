"""Background tasks owned by core. `database_census` is the reference example of a long task
with a progress record: later imports and blasts follow the same shape. `housekeeping` is the
periodic upkeep the worker keeps scheduled (see `maillage worker`)."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from maillage.core.services import (
    housekeeping_run,
    task_progress_advance,
    task_progress_fail,
    task_progress_finish,
    task_progress_start,
)


def census_models() -> list[type[Model]]:
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("maillage.")
        for model in config.get_models()
    ]


def database_census_run(*, progress_id: str) -> dict[str, int]:
    """Count the rows of every Maillage table, one table per step, moving the bar each time."""
    models = census_models()
    task_progress_start(progress_id=progress_id, total=len(models), message="Recensement en cours")
    counts: dict[str, int] = {}
    try:
        for model in models:
            counts[model._meta.label] = model._default_manager.count()
            task_progress_advance(
                progress_id=progress_id, by=1, message=str(model._meta.verbose_name_plural)
            )
    except Exception as error:
        task_progress_fail(progress_id=progress_id, message=f"Recensement interrompu : {error}")
        raise
    task_progress_finish(
        progress_id=progress_id, result={"counts": counts}, message="Recensement terminé"
    )
    return counts


@task(queue_name="default")
def database_census(progress_id: str) -> dict[str, int]:
    return database_census_run(progress_id=progress_id)


def housekeeping_schedule(*, delay: timedelta | None = None) -> bool:
    """Enqueue the next housekeeping run unless one is already waiting. Only with a backend that
    runs tasks later (the database one): the immediate backend would recurse."""
    backend = housekeeping.get_backend()
    if not backend.supports_defer:
        return False
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(
            task_path=housekeeping.module_path, status=TaskResultStatus.READY
        )
        if waiting.exists():
            return False
    if delay is None:
        delay = timedelta(minutes=settings.MAILLAGE_HOUSEKEEPING_MINUTES)
    housekeeping.using(run_after=timezone.now() + delay).enqueue()
    return True


@task(queue_name="default")
def housekeeping() -> dict[str, int]:
    """Run the upkeep, then schedule the next run (even when this one failed)."""
    try:
        return housekeeping_run()
    finally:
        housekeeping_schedule()
