"""Phone bank: simulated callers claiming and completing calls at once, zero double claims,
zero lost results, claim latency p50/p99, against raw claim SQL in the same run.

Each backend runs in a subprocess with its own throwaway database (a temporary SQLite file;
PostgreSQL database `maillage_bench_phonebank`, created then dropped), migrated with the real
migrations. PEOPLE people with a phone and phone consent go into a running campaign's queue
(the real set-based build). Then CALLERS simulated callers (200 on PostgreSQL, 15 on SQLite)
work for DURATION seconds: each one claims the next person (`call_claim_next`, timed), then
records a result (`call_result_record`: the people ledger's interaction, the Call row, the
queue entry's next state), and claims again. Every caller holds a person between the two, so
all of them hold claims at the same time; they are served by WORKERS database connections
(threads: a web server's workers), each driving its share of the callers in turn.

Checked while running: no person is ever handed to a caller while another caller holds it
(double claims); checked at the end: every result recorded is in the database (a Call row and
an interaction each: lost results). The baseline: the same loop of claim + finish written as
the two raw statements only (`UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)` on
PostgreSQL, the compare-and-swap on SQLite, then `UPDATE … SET state = 'done'`), on a second
campaign's queue, for BASELINE_DURATION seconds.

Sizes: BENCH_PHONEBANK_SECONDS (60; SQLite runs a quarter of it, at least 15),
BENCH_PHONEBANK_CALLERS (200), BENCH_PHONEBANK_SQLITE_CALLERS (15), BENCH_PHONEBANK_WORKERS
(30 PostgreSQL connections), BENCH_PHONEBANK_PEOPLE (30,000).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.harness import pg_admin, run_worker, worker_env

ROOT = Path(__file__).resolve().parents[1]
PG_NAME = "maillage_bench_phonebank"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
SECONDS = int(os.environ.get("BENCH_PHONEBANK_SECONDS", "60"))
CALLERS = int(os.environ.get("BENCH_PHONEBANK_CALLERS", "200"))
SQLITE_CALLERS = int(os.environ.get("BENCH_PHONEBANK_SQLITE_CALLERS", "15"))
WORKERS = int(os.environ.get("BENCH_PHONEBANK_WORKERS", "30"))
PEOPLE = int(os.environ.get("BENCH_PHONEBANK_PEOPLE", "30000"))
# A fixed Tuesday 11:00 in Paris: inside the calling hours whatever day the bench runs.
NOW = datetime(2026, 12, 1, 11, 0, tzinfo=ZoneInfo("Europe/Paris"))
RESULTS = ("talked", "talked", "no_answer", "busy", "left_message")


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _setup(callers: int) -> tuple[object, list[object], object]:
    from django.core.management import call_command

    from maillage.accounts.models import User
    from maillage.core.roles import Role
    from maillage.people.models import Person, PhoneNumber, Segment
    from maillage.phonebank.models import CallCampaign
    from maillage.phonebank.services import call_queue_build

    call_command("migrate", verbosity=0, interactive=False)
    lead = User.objects.create_user(email="lead@bench.test", password="x", role=Role.STAFF)
    users = User.objects.bulk_create(
        [User(email=f"caller{n}@bench.test", role=Role.VOLUNTEER) for n in range(callers)]
    )
    people = Person.objects.bulk_create(
        [
            Person(birth_name=f"NOM{n}", first_names="Camille", consent_phone=True, is_voter=True)
            for n in range(PEOPLE)
        ],
        batch_size=2000,
    )
    PhoneNumber.objects.bulk_create(
        [
            PhoneNumber(person=p, number=f"+336{n:08d}", is_primary=True)
            for n, p in enumerate(people)
        ],
        batch_size=2000,
    )
    segment = Segment.objects.create(name="Tout le monde", definition={"op": "and", "filters": []})
    campaigns = []
    for name in ("Bench", "Baseline"):
        campaign = CallCampaign.objects.create(
            name=name, segment=segment, status="running", max_attempts=3, created_by=lead
        )
        campaign.callers.set(users)
        call_queue_build(actor=lead, campaign=campaign, now=NOW.replace(hour=9))
        campaigns.append(campaign)
    return lead, users, campaigns


def _drive(callers: list[object], workers: int, seconds: float, claim, finish) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Run the callers for `seconds`: claim (timed), finish, repeat. Returns the figures."""
    from django.db import connections

    holder: dict[int, int] = {}  # entry id -> caller id, while held
    lock = threading.Lock()
    latencies: list[float] = []
    finished: list[int] = []
    doubles: list[tuple[int, int, int]] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    shares = [callers[i::workers] for i in range(workers)]

    def work(mine: list[object]) -> None:
        held: dict[int, int | None] = {c.pk: None for c in mine}  # type: ignore[attr-defined]
        try:
            while time.perf_counter() < deadline:
                for caller in mine:
                    entry_id = held[caller.pk]  # type: ignore[attr-defined]
                    if entry_id is None:
                        started = time.perf_counter()
                        entry_id = claim(caller)
                        elapsed = (time.perf_counter() - started) * 1000
                        if entry_id is None:
                            continue
                        with lock:
                            latencies.append(elapsed)
                            other = holder.get(entry_id)
                            if other is not None:
                                doubles.append((entry_id, other, caller.pk))  # type: ignore[attr-defined]
                            holder[entry_id] = caller.pk  # type: ignore[attr-defined]
                        held[caller.pk] = entry_id  # type: ignore[attr-defined]
                    else:
                        with lock:
                            holder.pop(entry_id, None)
                        finish(caller, entry_id, len(finished))
                        with lock:
                            finished.append(entry_id)
                        held[caller.pk] = None  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - reported in the figures
            errors.append(f"{error.__class__.__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(share,)) for share in shares if share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "claims": len(latencies),
        "finished": len(finished),
        "doubles": len(doubles),
        "errors": errors[:5],
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies) if latencies else 0.0,
        "per_s": len(finished) / wall if wall else 0.0,
        "wall_s": wall,
    }


def worker(callers: int, workers: int, seconds: float) -> None:
    import django

    django.setup()
    from django.db import connection

    from maillage.core.dialect import dialect
    from maillage.people.models import Interaction
    from maillage.phonebank.models import Call, QueueEntry
    from maillage.phonebank.services import CallResult, call_claim_next, call_result_record

    _lead, users, (campaign, baseline_campaign) = _setup(callers)
    vendor = connection.vendor

    def claim(caller):  # type: ignore[no-untyped-def]
        entry = call_claim_next(caller=caller, campaign=campaign, now=NOW)
        return entry.pk if entry else None

    def finish(caller, entry_id, n):  # type: ignore[no-untyped-def]
        call_result_record(
            caller=caller,
            entry_id=entry_id,
            outcome=CallResult(result=RESULTS[n % len(RESULTS)], client_uuid=uuid.uuid4()),
            now=NOW,
        )

    maillage = _drive(users, workers, seconds, claim, finish)
    stored_calls = Call.objects.filter(campaign=campaign, finished_at__isnull=False).count()
    stored_interactions = Interaction.objects.filter(source_id=campaign.pk).count()

    table = QueueEntry._meta.db_table

    def raw_claim(caller):  # type: ignore[no-untyped-def]
        return dialect().claim_one(
            table,
            where="campaign_id = %s AND state = %s AND available_at <= %s",
            where_params=[baseline_campaign.pk, "waiting", NOW],
            order="available_at, id",
            assignments="state = %s, claimed_by_id = %s",
            assignment_params=["claimed", caller.pk],
        )

    def raw_finish(caller, entry_id, n):  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET state = %s, claimed_by_id = NULL WHERE id = %s AND claimed_by_id = %s",  # noqa: S608
                ["done", entry_id, caller.pk],
            )

    raw = _drive(users, workers, max(5.0, seconds / 3), raw_claim, raw_finish)
    print(
        "RESULT "
        + json.dumps(
            {
                "vendor": vendor,
                "callers": callers,
                "workers": workers,
                "maillage": maillage,
                "raw": raw,
                "stored_calls": stored_calls,
                "stored_interactions": stored_interactions,
            }
        ),
        flush=True,
    )


def _run_worker(database_url: str, callers: int, workers: int, seconds: float) -> dict:  # type: ignore[type-arg]
    args = (str(callers), str(workers), str(seconds))
    return run_worker("bench_phonebank", *args, env=worker_env(database_url))  # type: ignore[no-any-return]


def _report(report, label: str, result: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    m, r = result["maillage"], result["raw"]
    lost = m["finished"] - result["stored_calls"]
    lost_interactions = m["finished"] - result["stored_interactions"]
    print(
        f"  {label}: {result['callers']} callers on {result['workers']} connections, "
        f"{m['wall_s']:.0f} s: {m['claims']:,} claims, {m['finished']:,} results "
        f"({m['per_s']:.1f}/s); double claims {m['doubles']}, lost results {lost} "
        f"(interactions {lost_interactions}); errors {m['errors'] or 'none'}; "
        f"raw baseline {r['finished']:,} in {r['wall_s']:.0f} s ({r['per_s']:.1f}/s), doubles {r['doubles']}"
    )
    report.figure(
        f"claim latency p50, {label}",
        value=m["p50_ms"],
        unit="ms",
        baseline=r["p50_ms"],
        higher_is_better=False,
    )
    report.figure(
        f"claim latency p99, {label}",
        value=m["p99_ms"],
        unit="ms",
        baseline=r["p99_ms"],
        higher_is_better=False,
    )
    report.figure(
        f"calls completed per second, {label}",
        value=m["per_s"],
        unit="calls/s",
        baseline=r["per_s"],
    )
    report.figure(f"double claims, {label}", value=m["doubles"], unit="", target="0")
    report.figure(f"lost results, {label}", value=max(lost, lost_interactions), unit="", target="0")


def run(report) -> None:  # type: ignore[no-untyped-def]
    sqlite_seconds = max(15, SECONDS // 4)
    with tempfile.TemporaryDirectory(prefix="maillage-bench-phonebank-") as tmp:
        sqlite = _run_worker(
            f"sqlite:///{tmp}/bench.sqlite3", SQLITE_CALLERS, SQLITE_CALLERS, sqlite_seconds
        )
    _report(report, "SQLite", sqlite)
    try:
        pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME}")
        pg_admin(f"CREATE DATABASE {PG_NAME}")
    except Exception as exc:  # noqa: BLE001 - no server: say so rather than fail the whole run
        print(f"  PostgreSQL skipped: {exc}")
        return
    try:
        pg = _run_worker(PG_URL, CALLERS, min(WORKERS, CALLERS), SECONDS)
    finally:
        pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    _report(report, "PostgreSQL", pg)


if __name__ == "__main__" and "--worker" in sys.argv:
    index = sys.argv.index("--worker")
    worker(int(sys.argv[index + 1]), int(sys.argv[index + 2]), float(sys.argv[index + 3]))
