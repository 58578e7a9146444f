"""People: the persuasion figures and the contact cap over a large contact-attempt ledger.

Runs in a subprocess on a throwaway SQLite database (PostgreSQL too with BENCH_PERSUASION_PG=1,
database `maillage_bench_persuasion`, created then dropped), migrated with the real migrations.
BENCH_PERSUASION_PEOPLE people (default 100,000) each get three door attempts over twelve
weeks (a seeded mix of levels, some undecided coming round), so the ledger holds three rows a
person. Timed warm, median of RUNS:
- `support_history` (the dashboard's one pass: transitions, flips, conversations by station,
  actor and source, weekly distribution) against the raw baseline that only fetches the same
  ordered rows over the same connection: the ratio is the cost of the Python pass;
- `Person.objects.exclude(over_contact_cap_q()).count()` against the same NOT IN written as SQL.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import pg_admin, run_worker, worker_env

PEOPLE = int(os.environ.get("BENCH_PERSUASION_PEOPLE", "100000"))
RUNS = int(os.environ.get("BENCH_PERSUASION_RUNS", "5"))
PG_URL = "postgres://postgres@127.0.0.1:5432/maillage_bench_persuasion"
ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn) -> float:  # type: ignore[no-untyped-def]
    fn()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def worker() -> None:
    import random
    import uuid
    from datetime import timedelta

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from maillage.accounts.models import User
    from maillage.core.roles import Role
    from maillage.people.models import Interaction, Person
    from maillage.people.selectors.contact_cap import (
        CAP_CHANNELS,
        contact_policy,
        over_contact_cap_q,
    )
    from maillage.people.selectors.persuasion import support_history

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    staff = User.objects.create(email="bench@example.org", role=Role.STAFF)
    volunteers = [User.objects.create(email=f"v{n}@example.org") for n in range(20)]
    Person.objects.bulk_create(
        [
            Person(birth_name=f"NOM{n}", polling_station_code=f"13055_{n % 200:04d}")
            for n in range(PEOPLE)
        ],
        batch_size=5000,
    )
    ids = list(Person.objects.values_list("id", flat=True))
    rng = random.Random(2026)
    now = timezone.now()
    rows = []
    for person_id in ids:
        level = rng.choice([1, 2, 3, 3, 4, 5])
        for visit in range(3):
            if visit and level in (3, 4):
                level = rng.choice([level, level, level - 1])
            rows.append(
                Interaction(
                    client_uuid=uuid.uuid4(),
                    person_id=person_id,
                    channel="door",
                    result="talked" if rng.random() < 0.7 else "not_home",
                    support_level=level,
                    occurred_at=now - timedelta(days=84 - 28 * visit - rng.randrange(0, 27)),
                    actor_id=rng.choice(volunteers).pk,
                )
            )
        if len(rows) >= 30000:
            Interaction.objects.bulk_create(rows, batch_size=5000)
            rows = []
    Interaction.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    build_s = time.perf_counter() - started

    raw_history = (
        "SELECT i.person_id, i.occurred_at, i.support_level, i.result, i.actor_id, i.source_kind,"
        " i.source_id, p.polling_station_code FROM people_interaction i"
        " JOIN people_person p ON p.id = i.person_id"
        " WHERE i.support_level IS NOT NULL OR i.result = 'talked'"
        " ORDER BY i.person_id, i.occurred_at, i.id"
    )

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(raw_history)
            return len(cursor.fetchall())

    def dashboard() -> int:
        # With `now` given the cache is bypassed: this times the pass itself, not a cache hit.
        history, _boundaries = support_history(user=staff, now=now)
        return history.overall.flips

    policy = contact_policy()
    since = now - timedelta(days=policy.cap_days)
    raw_cap_sql = (
        "SELECT COUNT(*) FROM people_person WHERE id NOT IN (SELECT person_id FROM"
        f" people_interaction WHERE channel IN ({', '.join(['%s'] * len(CAP_CHANNELS))})"
        " AND occurred_at >= %s GROUP BY person_id HAVING COUNT(id) >= %s)"
    )

    def raw_cap() -> int:
        with connection.cursor() as cursor:
            cursor.execute(raw_cap_sql, [*CAP_CHANNELS, since, policy.cap_attempts])
            return int(cursor.fetchone()[0])

    def cap() -> int:
        return Person.objects.exclude(over_contact_cap_q(now=now, policy=policy)).count()

    assert raw_cap() == cap(), (raw_cap(), cap())
    result = {
        "vendor": connection.vendor,
        "build_s": build_s,
        "rows": raw(),
        "flips": dashboard(),
        "history_ms": _median_ms(dashboard),
        "raw_ms": _median_ms(raw),
        "cap_ms": _median_ms(cap),
        "raw_cap_ms": _median_ms(raw_cap),
    }
    print("RESULT " + json.dumps(result), flush=True)


def _report(report, result: dict[str, float], label: str) -> None:  # type: ignore[no-untyped-def]
    print(
        f"  {label}: {PEOPLE:,} people, {result['rows']:,} ledger rows built in "
        f"{result['build_s']:.1f} s; {result['flips']:,} flips"
    )
    report.figure(
        f"persuasion history pass, {result['rows']:,} rows ({label})",
        value=result["history_ms"],
        unit="ms",
        baseline=result["raw_ms"],
        higher_is_better=False,
    )
    report.figure(
        f"people under the contact cap, {PEOPLE:,} people ({label})",
        value=result["cap_ms"],
        unit="ms",
        baseline=result["raw_cap_ms"],
        higher_is_better=False,
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="maillage-bench-persuasion-") as tmp:
        _report(
            report,
            run_worker("bench_persuasion", env=worker_env(f"sqlite:///{tmp}/bench.sqlite3")),
            "SQLite",
        )
    if os.environ.get("BENCH_PERSUASION_PG") == "1":
        pg_admin("DROP DATABASE IF EXISTS maillage_bench_persuasion")
        pg_admin("CREATE DATABASE maillage_bench_persuasion")
        try:
            _report(report, run_worker("bench_persuasion", env=worker_env(PG_URL)), "PostgreSQL")
        finally:
            pg_admin("DROP DATABASE IF EXISTS maillage_bench_persuasion WITH (FORCE)")


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
