"""People: segment count over 1,000,000 people with three filters (age, polling station, support).

Each backend runs in a subprocess with its own throwaway database (a temporary SQLite file;
PostgreSQL database `maillage_bench_segments`, created then dropped), migrated with the real
migrations so the real indexes are measured. One million people are generated inside the
database in one INSERT … SELECT (a seeded spread of birth years, 1,000 polling stations and
support levels, 70 % of people without one), then `segment_queryset(...).count()` is timed
warm (median of 15 runs, compile included) against the raw baseline: the same COUNT(*) with
the same WHERE, sent as SQL on the same connection in the same run.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import pg_admin, run_worker, worker_env

PEOPLE = 1_000_000
STATIONS = 1_000
RUNS = 15
PG_URL = "postgres://postgres@127.0.0.1:5432/maillage_bench_segments"
ROOT = Path(__file__).resolve().parents[1]

DEFINITION = {
    "op": "and",
    "filters": [
        {"field": "age", "min": 60, "max": 90},
        {"field": "polling_station", "values": ["13055_0003", "13055_0004", "13055_0005"]},
        {"field": "support", "values": [2, 3]},
    ],
}


def _generated_columns(vendor: str) -> dict[str, str]:
    """SQL expressions for the columns the segment reads, as functions of n (1..PEOPLE)."""
    # A deterministic hash of n keeps the data seeded (same spread every run) on both engines.
    h = "((CAST(n AS bigint) * 2654435761) % 4294967296)"
    h2 = "((CAST(n AS bigint) * 40503 + 12345) % 65536)"
    station = (
        f"'13055_' || lpad(CAST(n % {STATIONS} AS text), 4, '0')"
        if vendor == "postgresql"
        else f"'13055_' || printf('%04d', n % {STATIONS})"
    )
    return {
        "birth_name": "'NOM' || CAST(n AS text)" if vendor == "postgresql" else "'NOM' || n",
        "first_names": "'Camille'",
        # Two hashes summed: a hump around the 1960s-70s, from 1926 to 2008.
        "birth_year": f"1926 + ({h} % 42) + ({h2} % 42)",
        "polling_station_code": station,
        "commune_code": "'13055'",
        "department_code": "'13'",
        "constituency_code": "'1303'",
        # 70 % never expressed a level; the rest spread over 1..5.
        "current_support": f"CASE WHEN {h} % 10 < 7 THEN NULL ELSE 1 + ({h2} % 5) END",
        "is_voter": "TRUE" if vendor == "postgresql" else "1",
        "search_name": "'camille nom'",
    }


def _fill_sql(vendor: str) -> str:
    from maillage.people.models import Person

    generated = _generated_columns(vendor)
    columns, values = [], []
    for field in Person._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in generated:
            values.append(generated[field.name])
        elif field.null:
            values.append("NULL")
        elif field.get_internal_type() == "BooleanField":
            values.append("FALSE" if vendor == "postgresql" else "0")
        elif field.get_internal_type() == "JSONField":
            values.append("'[]'" if field.name == "sources" else "'{}'")
        elif field.get_internal_type() == "DateTimeField":
            values.append("CURRENT_TIMESTAMP")
        else:
            values.append("''")
    if vendor == "postgresql":
        source = f"generate_series(1, {PEOPLE}) AS n"
        return f"INSERT INTO people_person ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
    return (
        f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {PEOPLE}) "
        f"INSERT INTO people_person ({', '.join(columns)}) SELECT {', '.join(values)} FROM seq"
    )


def _median_ms(fn) -> float:  # type: ignore[no-untyped-def]
    fn()
    fn()  # warm: plans cached, pages in memory
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def worker() -> None:
    """Runs inside the subprocess, with DATABASE_URL pointing at the throwaway database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from maillage.core.roles import Role
    from maillage.people.selectors.segments import segment_queryset

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(_fill_sql(vendor))
        cursor.execute("ANALYZE" if vendor == "sqlite" else "ANALYZE people_person")
    build_s = time.perf_counter() - started

    class Staff:  # the acting user: staff see everyone, so the scope adds no condition
        is_authenticated = True
        role = Role.STAFF

    user = Staff()
    year = timezone.localdate().year
    stations = DEFINITION["filters"][1]["values"]
    raw_sql = (
        "SELECT COUNT(*) FROM people_person WHERE birth_year IS NOT NULL AND birth_year <= %s AND birth_year >= %s "
        f"AND polling_station_code IN ({', '.join(['%s'] * len(stations))}) AND current_support IN (%s, %s)"
    )
    raw_params = [year - 60, year - 90, *stations, 2, 3]

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(raw_sql, raw_params)
            return int(cursor.fetchone()[0])

    def segment() -> int:
        return segment_queryset(user=user, definition=DEFINITION).count()

    assert raw() == segment(), (raw(), segment())
    result = {
        "vendor": vendor,
        "build_s": build_s,
        "count": segment(),
        "segment_ms": _median_ms(segment),
        "raw_ms": _median_ms(raw),
    }
    print("RESULT " + json.dumps(result), flush=True)


def run(report) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="maillage-bench-segments-") as tmp:
        sqlite = run_worker(
            "bench_people_segments", env=worker_env(f"sqlite:///{tmp}/bench.sqlite3")
        )
    print(
        f"  SQLite: {PEOPLE:,} people built in {sqlite['build_s']:.1f} s; the segment holds {sqlite['count']:,}"
    )
    report.figure(
        "segment count 1M people, 3 filters (SQLite)",
        value=sqlite["segment_ms"],
        unit="ms",
        baseline=sqlite["raw_ms"],
        target="< 100 ms",
        higher_is_better=False,
    )
    try:
        pg_admin("DROP DATABASE IF EXISTS maillage_bench_segments")
        pg_admin("CREATE DATABASE maillage_bench_segments")
    except Exception as exc:  # no server: say so rather than fail the whole bench run
        print(f"  PostgreSQL skipped: {exc}")
        return
    try:
        pg = run_worker("bench_people_segments", env=worker_env(PG_URL))
    finally:
        pg_admin("DROP DATABASE IF EXISTS maillage_bench_segments WITH (FORCE)")
    print(
        f"  PostgreSQL: {PEOPLE:,} people built in {pg['build_s']:.1f} s; the segment holds {pg['count']:,}"
    )
    report.figure(
        "segment count 1M people, 3 filters (PostgreSQL)",
        value=pg["segment_ms"],
        unit="ms",
        baseline=pg["raw_ms"],
        target="< 50 ms",
        higher_is_better=False,
    )


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
