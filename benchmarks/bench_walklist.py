"""Canvassing: the walk list of a 2,000-door turf in a database of 1,000,000 people.

Each backend runs in a subprocess with its own throwaway database (a temporary SQLite file;
PostgreSQL database `maillage_bench_walklist`, created then dropped), migrated with the real
migrations. The people are generated inside the database in one INSERT … SELECT: polling
stations of 3,000 people each, in streets of 100 numbers on both sides, one to three people per
door with building/flat complements, so one station is a 2,000-door turf. The turf is cut by the
real service (`turf_create_from_stations`, which orders the walk and stores it), then
`walk_list(turf=…)` is timed warm (median of 15 runs) against the raw baseline: one SQL query
returning the same rows in the same order (the members joined to people by the walk index),
fetched on the same connection in the same run. Sizes: WALKLIST_PEOPLE (default 1,000,000),
WALKLIST_TURF_PEOPLE (people of the turf's station, default 3,000).
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

PEOPLE = int(os.environ.get("WALKLIST_PEOPLE", "1000000"))
TURF_PEOPLE = int(os.environ.get("WALKLIST_TURF_PEOPLE", "3000"))
RUNS = 15
PG_NAME = "maillage_bench_walklist"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_NAME}"
ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0


def _generated_columns(vendor: str) -> dict[str, str]:
    """SQL expressions of n (1..PEOPLE): person n lives in station n % S, at rank k = n / S in
    it; three ranks make two doors (door = 2k/3), a hundred doors make a street."""
    stations = max(PEOPLE // TURF_PEOPLE, 1)
    pg = vendor == "postgresql"

    def text(expr: str) -> str:
        return f"CAST({expr} AS text)"

    k = f"(n / {stations})"
    door = f"(({k} * 2) / 3)"
    number = text(f"({door} % 100) + 1")
    street = f"'rue ' || {text(f'{door} / 100')}"
    # One door in four is a flat in building A or B: the complement tells them apart.
    complement = (
        f"CASE WHEN {door} % 4 = 0 THEN 'Bat ' || CASE WHEN {door} % 8 = 0 THEN 'A' ELSE 'B' END "
        f"|| ' Apt ' || {text(f'{door} % 7')} ELSE '' END"
    )
    station = (
        f"'13055_' || lpad({text(f'n % {stations}')}, 4, '0')"
        if pg
        else f"'13055_' || printf('%04d', n % {stations})"
    )
    building = f"'13055|' || {number} || '|' || {street}"
    return {
        "birth_name": f"'NOM' || {text('n')}",
        "first_names": "'Camille'",
        "birth_year": "1926 + (n % 80)",
        "polling_station_code": station,
        "commune_code": "'13055'",
        "department_code": "'13'",
        "constituency_code": "'1303'",
        "postcode": "'13055'",
        "commune_name": "'MARSEILLE'",
        "address_number": number,
        "address_street": street,
        "address_complement": complement,
        "building_key": building,
        "household_key": f"{building} || '|' || lower({complement})",
        "is_voter": "TRUE" if pg else "1",
        "search_name": f"'camille nom' || {text('n')}",
        "sort_name": f"'nom' || {text('n')} || ' camille'",
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
    insert = f"INSERT INTO people_person ({', '.join(columns)}) SELECT {', '.join(values)}"
    if vendor == "postgresql":
        return f"{insert} FROM generate_series(1, {PEOPLE}) AS n"
    return (
        f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {PEOPLE}) "
        f"{insert} FROM seq"
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


RAW_SQL = (
    "SELECT m.door, m.side, m.position, m.person_id, p.first_names, p.usage_name, "
    "p.birth_name, p.birth_year, p.address_number, p.address_street, p.address_complement, "
    "p.address_complement2, p.postcode, p.commune_name, p.latitude, p.longitude "
    "FROM canvassing_turfmember m INNER JOIN people_person p ON p.id = m.person_id "
    "WHERE m.turf_id = %s ORDER BY m.position"
)


def worker() -> None:
    """Runs inside the subprocess, with DATABASE_URL pointing at the throwaway database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from maillage.accounts.models import User
    from maillage.canvassing.selectors import walk_list
    from maillage.canvassing.services import turf_create_from_stations
    from maillage.core.roles import Role

    call_command("migrate", verbosity=0, interactive=False)
    vendor = connection.vendor
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(_fill_sql(vendor))
        cursor.execute("ANALYZE" if vendor == "sqlite" else "ANALYZE people_person")
    build_s = time.perf_counter() - started

    staff = User.objects.create_user(email="bench@example.org", password=None, role=Role.STAFF)
    started = time.perf_counter()
    turf = turf_create_from_stations(actor=staff, name="Bench", station_codes=["13055_0001"])
    cut_ms = (time.perf_counter() - started) * 1000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if vendor == "sqlite" else "ANALYZE canvassing_turfmember")

    def raw() -> list[tuple[object, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, [turf.pk])
            return list(cursor.fetchall())

    def walk() -> list[object]:
        return walk_list(turf=turf)  # type: ignore[return-value]

    doors = walk_list(turf=turf)
    rows = raw()
    flat = [(d.door, p.person_id) for d in doors for p in d.people]
    assert flat == [(row[0], row[3]) for row in rows], "walk list and raw rows differ"
    result = {
        "vendor": vendor,
        "build_s": build_s,
        "cut_ms": cut_ms,
        "doors": len(doors),
        "people": len(rows),
        "walk_ms": _median_ms(walk),
        "raw_ms": _median_ms(raw),
    }
    print("RESULT " + json.dumps(result), flush=True)


def _report(report, label: str, result: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    print(
        f"  {label}: {PEOPLE:,} people built in {result['build_s']:.1f} s; turf cut "
        f"({result['people']:,} people, {result['doors']:,} doors) in {result['cut_ms']:.0f} ms"
    )
    report.figure(
        f"walk list {result['doors']:,} doors in {PEOPLE:,} people ({label})",
        value=result["walk_ms"],
        unit="ms",
        baseline=result["raw_ms"],
        target=f"< {TARGET_MS:.0f} ms, ≥ 0.33× baseline",
        higher_is_better=False,
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="maillage-bench-walklist-") as tmp:
        sqlite = run_worker("bench_walklist", env=worker_env(f"sqlite:///{tmp}/bench.sqlite3"))
    _report(report, "SQLite", sqlite)
    try:
        pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME}")
        pg_admin(f"CREATE DATABASE {PG_NAME}")
    except Exception as exc:  # no server: say so rather than fail the whole bench run
        print(f"  PostgreSQL skipped: {exc}")
        return
    try:
        pg = run_worker("bench_walklist", env=worker_env(PG_URL))
    finally:
        pg_admin(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    _report(report, "PostgreSQL", pg)


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
