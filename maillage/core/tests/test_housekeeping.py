"""Crashed work goes stale and can run again; expired files and task results are deleted; the
worker keeps the housekeeping scheduled."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from importlib import import_module
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from maillage.core.models import TaskProgress
from maillage.core.services import (
    housekeeping_run,
    task_progress_advance,
    task_progress_alive,
    task_progress_create,
    task_progress_enqueue,
    task_progress_reap,
    task_progress_start,
)
from maillage.core.tasks import database_census, housekeeping, housekeeping_schedule
from maillage.core.tests.base import BaseTestCase

DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "imports"],
    }
}


def _crashed_census(owner: object, *, minutes_silent: int = 20) -> TaskProgress:
    """A census that was enqueued, started, moved its bar, then lost its process."""
    progress = task_progress_create(kind="census", label="Recensement", owner=owner)
    with override_settings(TASKS=DATABASE_TASKS):  # enqueued, not run
        task_progress_enqueue(progress=progress, task=database_census, progress_id=str(progress.pk))
    task_progress_start(progress_id=progress.pk, total=40)
    task_progress_advance(progress_id=progress.pk, done=17)
    TaskProgress.objects.filter(pk=progress.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=minutes_silent)
    )
    return progress


class StaleWorkTests(BaseTestCase):
    def test_it_validates_access(self) -> None:
        progress = _crashed_census(self.teammate)
        url = reverse("core:task_progress_rerun", args=[progress.pk])
        self.client.logout()
        self.assertEqual(self.client.post(url).status_code, 302)  # to the login page
        self.login(self.outsider)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.login(self.teammate)
        self.assertEqual(self.client.get(url).status_code, 405)
        progress.refresh_from_db()
        self.assertEqual(progress.status, TaskProgress.Status.RUNNING)  # nothing happened yet

    def test_work_whose_process_died_is_shown_failed_and_runs_again(self) -> None:
        progress = _crashed_census(self.teammate)
        self.login(self.teammate)
        page = self.client.get(reverse("core:task_progress_page", args=[progress.pk]))
        self.assertContains(page, 'data-status="failed"')
        self.assertContains(page, "le processus qui faisait ce travail s&#x27;est arrêté")
        self.assertContains(page, 'data-testid="progress-rerun"')
        progress.refresh_from_db()
        self.assertEqual((progress.status, progress.done), (TaskProgress.Status.FAILED, 17))

        response = self.client.post(reverse("core:task_progress_rerun", args=[progress.pk]))

        self.assertRedirects(response, reverse("core:task_progress_page", args=[progress.pk]))
        progress.refresh_from_db()  # the immediate backend of the tests ran it again
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED)
        self.assertIn("counts", progress.result)

    def test_the_polled_bar_fails_too(self) -> None:
        progress = _crashed_census(self.teammate)
        self.login(self.teammate)
        response = self.client.get(
            reverse("core:task_progress", args=[progress.pk]), HTTP_ACCEPT="application/json"
        )
        self.assertEqual(response.json()["status"], "failed")

    def test_work_with_a_recent_heartbeat_keeps_running(self) -> None:
        progress = _crashed_census(self.teammate, minutes_silent=2)
        self.assertEqual(task_progress_reap(), 0)
        progress.refresh_from_db()
        self.assertEqual(progress.status, TaskProgress.Status.RUNNING)

    @override_settings(MAILLAGE_TASK_STALE_SECONDS=60)
    def test_the_threshold_is_a_setting(self) -> None:
        _crashed_census(self.teammate, minutes_silent=2)
        self.assertEqual(task_progress_reap(), 1)

    def test_the_check_is_one_query_when_nothing_is_stale(self) -> None:
        _crashed_census(self.teammate, minutes_silent=1)
        with self.assertNumQueries(1):  # the indexed read of stale ids; no write
            self.assertEqual(task_progress_reap(), 0)

    def test_failed_work_that_consumed_its_input_offers_no_rerun(self) -> None:
        from maillage.core.services import task_progress_fail

        progress = _crashed_census(self.teammate)
        task_progress_fail(progress_id=progress.pk, message="Fichier illisible", can_rerun=False)
        self.login(self.teammate)
        page = self.client.get(reverse("core:task_progress_page", args=[progress.pk]))
        self.assertNotContains(page, 'data-testid="progress-rerun"')
        response = self.client.post(
            reverse("core:task_progress_rerun", args=[progress.pk]), follow=True
        )
        self.assertContains(response, "Ce travail ne peut pas être relancé.")


class HeartbeatTests(TransactionTestCase):
    """Committed rows: the beating thread has a database connection of its own."""

    @override_settings(MAILLAGE_TASK_HEARTBEAT_SECONDS=1)
    def test_a_long_step_still_beats(self) -> None:
        progress = task_progress_create(kind="census", label="Recensement")
        task_progress_start(progress_id=progress.pk)
        old = timezone.now() - timedelta(minutes=30)
        TaskProgress.objects.filter(pk=progress.pk).update(heartbeat_at=old)
        with task_progress_alive(progress.pk):
            time.sleep(1.6)  # one step that moves no bar
        progress.refresh_from_db()
        self.assertGreater(progress.heartbeat_at, timezone.now() - timedelta(seconds=5))
        self.assertEqual(task_progress_reap(), 0)


class RetentionTests(BaseTestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        override = override_settings(MAILLAGE_UPLOAD_DIR=Path(self.folder.name))
        override.enable()
        self.addCleanup(override.disable)
        self.addCleanup(self.folder.cleanup)

    def _file(self, relative: str, *, days_old: int) -> Path:
        path = Path(self.folder.name) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("DUPONT;Jean;jean@example.org\n")
        stamp = time.time() - days_old * 86400
        os.utime(path, (stamp, stamp))
        return path

    def test_files_past_the_retention_are_deleted_and_recent_ones_kept(self) -> None:
        old = [
            self._file("people/abandoned.csv", days_old=31),
            self._file("rejected/import-9-rejets.csv", days_old=45),
            self._file("elections/crashed.csv", days_old=31),
        ]
        recent = self._file("people/today.csv", days_old=29)
        # The engine's own table (accounts.Session since #17), as the housekeeping clears it.
        Session = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
        Session.objects.create(
            session_key="expired", session_data="x", expire_date=timezone.now() - timedelta(hours=1)
        )

        out = StringIO()
        call_command("housekeeping", stdout=out)

        self.assertEqual([path.exists() for path in old], [False, False, False])
        self.assertTrue(recent.exists())
        self.assertIn("expired_files: 3", out.getvalue())
        self.assertFalse(Session.objects.exists())

    @override_settings(MAILLAGE_UPLOAD_RETENTION_DAYS=7)
    def test_the_retention_is_a_setting(self) -> None:
        path = self._file("people/last-week.csv", days_old=8)
        housekeeping_run()
        self.assertFalse(path.exists())

    @override_settings(TASKS=DATABASE_TASKS)
    def test_task_results_past_the_retention_are_deleted(self) -> None:
        progress = task_progress_create(kind="census", label="Recensement")
        old = database_census.enqueue(str(progress.pk))
        waiting = database_census.enqueue(str(progress.pk))
        done = database_census.enqueue(str(progress.pk))
        DBTaskResult.objects.filter(pk__in=[old.id, done.id]).update(
            status=TaskResultStatus.SUCCESSFUL
        )
        DBTaskResult.objects.filter(pk__in=[old.id, waiting.id]).update(
            enqueued_at=timezone.now() - timedelta(days=40)
        )
        counts = housekeeping_run()
        self.assertEqual(counts["task_results"], 1)
        self.assertEqual(
            {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)},
            {waiting.id, done.id},  # a task still waiting is never deleted
        )


@override_settings(TASKS=DATABASE_TASKS)
class HousekeepingScheduleTests(BaseTestCase):
    def test_the_worker_schedules_one_run_however_often_it_starts(self) -> None:
        self.assertTrue(housekeeping_schedule(delay=timedelta(0)))
        self.assertFalse(housekeeping_schedule(delay=timedelta(0)))
        waiting = DBTaskResult.objects.get(task_path=housekeeping.module_path)
        self.assertEqual(waiting.status, TaskResultStatus.READY)

    def test_each_run_schedules_the_next(self) -> None:
        before = timezone.now()
        housekeeping.call()
        waiting = DBTaskResult.objects.get(task_path=housekeeping.module_path)
        self.assertGreaterEqual(waiting.run_after, before + timedelta(minutes=5))

    @override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    )
    def test_a_backend_that_runs_at_once_is_not_asked_to_schedule(self) -> None:
        self.assertFalse(housekeeping_schedule())


@override_settings(TASKS=DATABASE_TASKS)
class WorkerTests(TransactionTestCase):
    def test_the_worker_runs_the_housekeeping_at_start_and_schedules_the_next(self) -> None:
        progress = _crashed_census(None)
        # Its task was claimed by a worker that died with it.
        DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)

        call_command("worker", "--batch", "--queue-name", "*", "--no-startup-delay", "-v0")

        results = DBTaskResult.objects.filter(task_path=housekeeping.module_path)
        self.assertEqual(
            sorted(results.values_list("status", flat=True)),
            [TaskResultStatus.READY, TaskResultStatus.SUCCESSFUL],
        )
        progress.refresh_from_db()
        self.assertEqual(progress.status, TaskProgress.Status.FAILED)
