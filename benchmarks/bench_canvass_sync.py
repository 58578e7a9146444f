"""Canvassing sync under load: 200 volunteers post their door results at once to one server.

For each backend (a temporary SQLite file; a throwaway PostgreSQL database, `BENCH_PG_DB`,
default `maillage_bench_sync`, created then dropped) a subprocess migrates, creates
BENCH_SYNC_VOLUNTEERS volunteers (default 200), each with a turf of BENCH_SYNC_RESULTS people
(default 10) assigned to them, and opens a session and a CSRF token for each. Then gunicorn
serves the production settings (DEBUG off, as benchmarks/bench_pages.py starts it, 2 sync
workers) on 127.0.0.1 and one thread per volunteer posts its results the way the doorstep
app's outbox does: batches of BENCH_SYNC_BATCH (default 5) results with client-made UUIDs,
then the whole first batch again (an answer lost on a bad network) and one result twice in one
batch (a double tap). All threads start together.

Checks: every result is stored exactly once (the ledger's count equals volunteers × results;
every resend answered `duplicate`, none stored twice). Figures: the median and p99 latency of
a sync POST, against the bare Django page (benchmarks/bare_page.py) loaded by as many threads
with as many requests, in the same run.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.bench_pages import _server_env, _start_server, _stop_server
from benchmarks.harness import pg_admin, run_worker

ROOT = Path(__file__).resolve().parents[1]
VOLUNTEERS = int(os.environ.get("BENCH_SYNC_VOLUNTEERS", "200"))
RESULTS = int(os.environ.get("BENCH_SYNC_RESULTS", "10"))
BATCH = int(os.environ.get("BENCH_SYNC_BATCH", "5"))
PG_DB = os.environ.get("BENCH_PG_DB", "maillage_bench_sync")
SYNC_PATH = "/canvassing/doorstep/sync/"


# --- inside the subprocess -------------------------------------------------------------------


def _setup() -> dict[str, object]:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.utils import timezone

    from maillage.accounts.backends import PASSWORD_BACKEND
    from maillage.accounts.models import User
    from maillage.canvassing.models import Turf, TurfAssignment, TurfMember
    from maillage.core.roles import Role
    from maillage.people.models import Person

    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.localdate() - timedelta(days=1)
    volunteers = []
    for n in range(VOLUNTEERS):
        user = User.objects.create_user(
            email=f"benevole{n}@bench.example", password=None, role=Role.VOLUNTEER
        )
        turf = Turf.objects.create(name=f"Secteur {n}", kind=Turf.Kind.STATION)
        people = Person.objects.bulk_create(
            Person(
                birth_name=f"NOM{n}",
                first_names=f"Prénom{k}",
                household_key=f"{n} rue {k // 2}",
                commune_code="13055",
                polling_station_code="13055_0001",
                is_voter=True,
            )
            for k in range(RESULTS)
        )
        TurfMember.objects.bulk_create(
            TurfMember(turf=turf, person=person, position=k, door=k // 2 + 1)
            for k, person in enumerate(people, 1)
        )
        TurfAssignment.objects.create(turf=turf, user=user, starts_on=today)
        # Through the engine the server uses: its table, the user's id saved with the row.
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = PASSWORD_BACKEND
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        token = secrets.token_hex(16)  # a 32-character CSRF secret, as Django's cookie holds
        volunteers.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
                f"{settings.CSRF_COOKIE_NAME}={token}",
                "token": token,
                "turf": turf.pk,
                "people": [person.pk for person in people],
            }
        )
    return {"volunteers": volunteers}


def _count() -> dict[str, object]:
    from django.db.models import Count

    from maillage.people.models import Interaction

    turf_results = Interaction.objects.filter(source_kind="turf")
    twice = (
        turf_results.values("person_id", "source_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    return {"stored": turf_results.count(), "people_with_two": twice}


def worker(step: str) -> None:
    import django

    django.setup()
    result = _setup() if step == "setup" else _count()
    print("RESULT " + json.dumps(result), flush=True)


# --- in the benchmark process ----------------------------------------------------------------


def _item(volunteer: dict, person: int) -> dict:  # type: ignore[type-arg]
    return {
        "uuid": str(uuid.uuid4()),
        "person": person,
        "turf": volunteer["turf"],
        "result": "talked" if person % 3 else "not_home",
        "support_level": 3 if person % 3 else None,
        "note": "",
        "question": "",
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def _batches(volunteer: dict) -> tuple[list[list[dict]], int]:  # type: ignore[type-arg]
    """The posts of one volunteer, and how many of their results are resends."""
    items = [_item(volunteer, person) for person in volunteer["people"]]
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    batches[-1] = batches[-1] + [dict(items[-1])]  # a double tap: the last result twice
    batches.append([dict(item) for item in batches[0]])  # the first batch's answer was lost
    return batches, len(batches[0]) + 1


class _Client:
    def __init__(self, host: str, port: int) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=600)

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started


def _parallel(work, count: int) -> None:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # noqa: BLE001 - reported below, the run fails
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed, first: {errors[0]!r}")


def _sync_load(base: str, volunteers: list[dict]) -> dict:  # type: ignore[type-arg]
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    plans = [_batches(volunteer) for volunteer in volunteers]
    resent = sum(extra for _posts, extra in plans)

    def work(index: int) -> None:
        volunteer = volunteers[index]
        client = _Client(host, int(port))
        for batch in plans[index][0]:
            status, data, seconds = client.request(
                "POST",
                SYNC_PATH,
                json.dumps({"results": batch}).encode(),
                {
                    "Cookie": volunteer["cookie"],
                    "X-CSRFToken": volunteer["token"],
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            if status != 200:
                raise RuntimeError(f"sync answered {status}: {data[:300]!r}")
            answers = json.loads(data)["results"]
            with lock:
                latencies.append(seconds)
                for answer in answers:
                    statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1

    started = time.perf_counter()
    _parallel(work, len(volunteers))
    return {
        "latencies": latencies,
        "statuses": statuses,
        "resent": resent,
        "seconds": time.perf_counter() - started,
        "posts": sum(len(plan[0]) for plan in plans),
    }


def _bare_load(base: str, clients: int, per_client: int) -> tuple[list[float], float]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    lock = threading.Lock()

    def work(_index: int) -> None:
        client = _Client(host, int(port))
        for _ in range(per_client):
            status, _data, seconds = client.request("GET", "/bench/bare/", None, {})
            if status != 200:
                raise RuntimeError(f"bare page answered {status}")
            with lock:
                latencies.append(seconds)

    started = time.perf_counter()
    _parallel(work, clients)
    return latencies, time.perf_counter() - started


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _backend(report, name: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="maillage-bench-sync-") as var_dir:
        env = _server_env(database_url, var_dir)
        volunteers = run_worker("bench_canvass_sync", "setup", env=env)["volunteers"]
        print(f"  {name}: {len(volunteers)} volunteers, {RESULTS} results each", flush=True)
        server, base = _start_server(env)
        try:
            sync = _sync_load(base, volunteers)
            bare, bare_seconds = _bare_load(
                base, len(volunteers), max(1, round(sync["posts"] / len(volunteers)))
            )
        finally:
            _stop_server(server)
        counted = run_worker("bench_canvass_sync", "count", env=env)
    expected = len(volunteers) * RESULTS
    statuses = sync["statuses"]
    print(
        f"  {name}: {sync['posts']} posts in {sync['seconds']:.1f} s; answers {statuses}; "
        f"ledger {counted['stored']} results (expected {expected})",
        flush=True,
    )
    if counted["stored"] != expected or statuses.get("stored") != expected:
        raise RuntimeError(f"{name}: {counted['stored']} stored, {expected} expected")
    if statuses.get("duplicate") != sync["resent"] or counted["people_with_two"]:
        raise RuntimeError(f"{name}: a resend was stored twice: {statuses}, {counted}")
    latencies = sync["latencies"]
    report.figure(
        f"sync POST of {BATCH} results, median, {len(volunteers)} volunteers at once ({name})",
        value=statistics.median(latencies) * 1000,
        unit="ms",
        baseline=statistics.median(bare) * 1000,
        higher_is_better=False,
    )
    report.figure(
        f"sync POST p99, {len(volunteers)} volunteers at once ({name})",
        value=_p(latencies, 0.99),
        unit="ms",
        baseline=_p(bare, 0.99),
        higher_is_better=False,
    )
    report.figure(
        f"sync POSTs per second, {len(volunteers)} volunteers at once ({name})",
        value=sync["posts"] / sync["seconds"],
        unit="req/s",
        baseline=len(bare) / bare_seconds,
    )
    report.figure(
        f"results stored exactly once ({name}; {sync['resent']} resends answered duplicate)",
        value=counted["stored"],
        unit="results",
        target=f"= {expected}",
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    backends = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="maillage-bench-sync-db-") as tmp:
            _backend(report, "SQLite", f"sqlite:///{tmp}/bench.sqlite3")
    if "postgresql" in backends:
        try:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {PG_DB}")
        except Exception as exc:  # no server: say so rather than fail the whole bench run
            print(f"  PostgreSQL skipped: {exc}")
            return
        try:
            _backend(report, "PostgreSQL", f"postgres://postgres@127.0.0.1:5432/{PG_DB}")
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__" and "--worker" in sys.argv:
    worker(sys.argv[sys.argv.index("--worker") + 1])
