"""Redis, as docs/operations.md tells campaigns to use it: the cache that web processes share
(rate limits), and the RQ task queue (TASKS_BACKEND=rq), each checked across real processes
against the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from maillage.core.tests.test_settings_env import ROOT, run_maillage

# A database of its own, so that nothing else on this Redis is touched.
REDIS_URL = "redis://127.0.0.1:6379/15"

POST_TWICE = """
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from maillage.core.ratelimit import ratelimit

view = ratelimit(key="{group}", limit=3, period=86400)(lambda request: HttpResponse("ok"))
for _ in range(2):
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    request.user = AnonymousUser()
    print(view(request).status_code)
"""


def rq_queues_empty() -> None:
    """A job left by an interrupted run would be the one the worker picks."""
    import redis

    redis.Redis.from_url(REDIS_URL).delete("rq:queue:default", "rq:queue:imports")


def post_twice(tmp_path: Path, group: str, **env: str) -> list[str]:
    result = run_maillage(
        "shell",
        "--no-imports",
        "-c",
        POST_TWICE.format(group=group),
        MAILLAGE_DEV="1",
        MAILLAGE_VAR_DIR=str(tmp_path),
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.services
def test_two_web_processes_share_their_rate_limits_through_redis(tmp_path: Path) -> None:
    # A group of its own, so no earlier count; a day's window, which the test is most unlikely to
    # straddle (django-ratelimit counts in fixed windows: crossing one starts the count again).
    group = f"test-{uuid.uuid4().hex}"
    assert post_twice(tmp_path, group, REDIS_URL=REDIS_URL) == ["200", "200"]
    # Another process: its third POST is the limit, its fourth is refused.
    assert post_twice(tmp_path, group, REDIS_URL=REDIS_URL) == ["200", "429"]
    # Without REDIS_URL each process counts on its own, which is why the docs ask for it.
    assert post_twice(tmp_path, group) == ["200", "200"]


@pytest.mark.services
def test_a_task_enqueued_by_one_process_is_run_by_an_rq_worker_in_another(
    tmp_path: Path,
) -> None:
    rq_queues_empty()
    env = {
        "MAILLAGE_DEV": "1",
        "MAILLAGE_VAR_DIR": str(tmp_path),
        "TASKS_BACKEND": "rq",
        "REDIS_URL": REDIS_URL,
    }
    assert run_maillage("migrate", "--noinput", **env).returncode == 0
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "maillage.cli", *args],
            cwd=ROOT,
            env=clean,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # The worker waits for one job; `census --enqueue` hands the count to the queue and
    # follows its progress record until the worker has finished it.
    worker = start("rqworker", "--job-class", "django_tasks_rq.Job", "--max-jobs", "1", "default")
    follower = start("census", "--enqueue")
    try:
        out, err = follower.communicate(timeout=90)
        worker_out, worker_err = worker.communicate(timeout=30)
    finally:
        follower.kill()
        worker.kill()
    assert worker.returncode == 0, worker_err
    assert "maillage.core.tasks.database_census" in worker_err
    assert "state=SUCCESSFUL" in worker_err
    assert follower.returncode == 0, err
    assert "Recensement terminé" in out
    assert "people.Person" in out


def test_the_rq_backend_asks_for_a_redis_url(tmp_path: Path) -> None:
    result = run_maillage(
        "check", MAILLAGE_DEV="1", MAILLAGE_VAR_DIR=str(tmp_path), TASKS_BACKEND="rq"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "maillage: configuration error: TASKS_BACKEND=rq needs REDIS_URL (or TASKS_REDIS_URL): "
        "redis://127.0.0.1:6379/1."
    )
