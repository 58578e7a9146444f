"""The tests' tasks on a real queue. The suite runs tasks inline (the immediate backend); with
TASKS_BACKEND=rq or TASKS_BACKEND=db (CI runs the task tests both ways), every task a test
enqueues goes into that queue, Redis or the database, and a real worker of that backend empties
it at once in this process. The same tests thus check each backend end to end: the task stored,
fetched, run by the backend's own worker, its result recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

_draining = False


def backend_path() -> str:
    return str(settings.TASKS["default"]["BACKEND"])


def queue_runner() -> tuple[type, Callable[..., None]] | None:
    """The backend class whose enqueues to follow, and what empties its queues; None: inline."""
    if backend_path() == "django_tasks_rq.RQBackend":
        from django_tasks_rq.backend import RQBackend

        rq_empty_queues()
        return RQBackend, _once(rq_run_queued_tasks)
    if backend_path() == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.backend import DatabaseBackend

        return DatabaseBackend, _once(db_run_queued_tasks)
    return None


def _once(run: Callable[[], None]) -> Callable[..., None]:
    """A task enqueued by a running task is picked by the same pass (as the immediate backend
    runs it at once), not by a worker nested inside the first one."""

    def receiver(**kwargs: Any) -> None:
        global _draining
        if _draining:
            return
        _draining = True
        try:
            run()
        finally:
            _draining = False

    return receiver


def rq_run_queued_tasks() -> None:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queues = [django_rq.get_queue(name, job_class=Job) for name in settings.TASK_QUEUES]
    worker = SimpleWorker(queues, connection=queues[0].connection, job_class=Job)
    worker.work(burst=True, with_scheduler=False)


def rq_empty_queues() -> None:
    import django_rq

    for name in settings.TASK_QUEUES:
        django_rq.get_queue(name).empty()


def db_run_queued_tasks() -> None:
    """`maillage db_worker --batch --queue-name '*'`, in this process (the test database)."""
    from unittest import mock

    from django_tasks_db.management.commands import db_worker

    worker = db_worker.Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    # Between tasks the worker closes connections it judges stale, and one inside a test's
    # transaction looks so (autocommit off): on PostgreSQL that would end the test's transaction.
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        worker.run()
