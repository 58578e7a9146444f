"""The tests' tasks on a real queue: with TASKS_BACKEND=rq (CI runs the task tests so), every
task a test enqueues goes into Redis and is run at once by an RQ worker in this process, so the
same tests that use the immediate backend check the RQ backend end to end (serialised into
Redis, fetched, run by RQ's job class, result read back)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

_draining = False


def rq_backend_configured() -> bool:
    return str(settings.TASKS["default"]["BACKEND"]) == "django_tasks_rq.RQBackend"


def rq_run_queued_tasks(**kwargs: Any) -> None:
    """Empty every queue with a burst worker; a task enqueued by a running task is picked by the
    same burst (immediate backend semantics), not by a worker nested inside the first one."""
    global _draining
    if _draining:
        return
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queues = [django_rq.get_queue(name, job_class=Job) for name in settings.TASK_QUEUES]
    _draining = True
    try:
        worker = SimpleWorker(queues, connection=queues[0].connection, job_class=Job)
        worker.work(burst=True, with_scheduler=False)
    finally:
        _draining = False


def rq_empty_queues() -> None:
    import django_rq

    for name in settings.TASK_QUEUES:
        django_rq.get_queue(name).empty()
