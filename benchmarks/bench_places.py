"""Places: registering a roll's polling stations in territory, and geocoding people in sets.

1. `polling_stations_register` for the stations of a department (`MAILLAGE_BENCH_STATIONS`,
   default 600, in 60 communes), new then all known (a re-import), against a raw baseline in
   the same run: one `executemany` INSERT of the same rows into a bare table with a unique
   index. Also its share of a whole roll import (`MAILLAGE_BENCH_PLACES_ROWS` generated REU
   rows, default 20,000, over the same number of stations), which is what the import pays.
2. `geocoding_run` over `MAILLAGE_BENCH_GEOCODE` people (default 20,000, two per address)
   against the local addok-csv server of the tests on 127.0.0.1, against a raw baseline: the
   same five columns written by an `executemany` UPDATE by id in one transaction, with no
   geocoder at all (what writing the answers costs without asking for them).

Runs in a throwaway test database (created and destroyed here) on the configured database.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

STATIONS = int(os.environ.get("MAILLAGE_BENCH_STATIONS", "600"))
ROWS = int(os.environ.get("MAILLAGE_BENCH_PLACES_ROWS", "20000"))
PEOPLE = int(os.environ.get("MAILLAGE_BENCH_GEOCODE", "20000"))
REPEATS = 3


def _stations(department: str) -> dict[tuple[str, str], tuple[str, ...]]:
    per_commune = max(1, STATIONS // 60)
    return {
        (f"{department}{c:03d}", f"{s:04d}"): (
            f"COMMUNE {c}",
            f"ÉCOLE {s}",
            f"CANTON {c % 7}",
            f"{c % 5 + 1}e circonscription",
        )
        for c in range(1, 61)
        for s in range(1, per_commune + 1)
    }


def _raw_insert(stations: dict[tuple[str, str], tuple[str, ...]], table: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (code varchar(20), commune varchar(5), number varchar(8), "
            "name varchar(150), canton varchar(150), constituency varchar(150))"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {table}_code ON {table} (code)")
        started = time.perf_counter()
        cursor.executemany(
            f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (f"{c}_{n}", c, n, labels[1], labels[2], labels[3])
                for (c, n), labels in stations.items()
            ],
        )
        return time.perf_counter() - started


def _register(report) -> None:  # type: ignore[no-untyped-def]
    from maillage.territory.services import polling_stations_register

    new, known, raw = [], [], []
    for attempt in range(REPEATS):
        stations = _stations(f"{attempt + 10}")
        raw.append(_raw_insert(stations, f"bench_raw_stations_{attempt}"))
        started = time.perf_counter()
        polling_stations_register(stations=stations)
        new.append(time.perf_counter() - started)
        started = time.perf_counter()
        polling_stations_register(stations=stations)
        known.append(time.perf_counter() - started)
    count = len(_stations("10"))
    report.figure(
        f"places: register {count} new polling stations (60 communes)",
        value=statistics.median(new) * 1000,
        unit="ms",
        baseline=statistics.median(raw) * 1000,
        higher_is_better=False,
    )
    report.figure(
        f"places: register the same {count} stations again (re-import)",
        value=statistics.median(known) * 1000,
        unit="ms",
        baseline=statistics.median(raw) * 1000,
        higher_is_better=False,
    )
    _import_share(report)


def _import_share(report) -> None:  # type: ignore[no-untyped-def]
    """The generated roll has one commune: its registration is timed on the same shape (one
    new commune, STATIONS new labelled stations)."""
    from maillage.people.imports.generator import write_roll
    from maillage.people.services.imports import import_file
    from maillage.territory.services import polling_stations_register

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roll.csv"
        write_roll(path, rows=ROWS, seed=7, commune="13999", stations=STATIONS)
        started = time.perf_counter()
        import_file(path=path, source="bench places", collect_new_ids=False)
        elapsed = time.perf_counter() - started
    same_shape = {
        ("13998", f"{n:04d}"): ("VALLON", f"BUREAU {n}", "CANTON", "99e circonscription")
        for n in range(1, STATIONS + 1)
    }
    started = time.perf_counter()
    polling_stations_register(stations=same_shape)
    register_seconds = time.perf_counter() - started
    report.figure(
        f"places: share of a {ROWS:,}-row roll import ({STATIONS} stations) spent registering them",
        value=100 * register_seconds / elapsed,
        unit="%",
        target="a few %",
        higher_is_better=False,
    )


def _geocode(report) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.test import override_settings
    from django.utils import timezone

    from maillage.people.models import Person
    from maillage.people.services.geocoding import geocoding_create, geocoding_run
    from maillage.territory.tests.addok_server import addok_server

    Person.objects.bulk_create(
        [
            Person(
                birth_name=f"NOM{n}",
                address_number="3" if n % 4 == 0 else str(n // 2),
                address_street="rue du Port" if n % 4 == 0 else "rue Longue",
                postcode="13999",
                commune_code="13999",
                commune_name="Vallon-sur-Mer",
            )
            for n in range(PEOPLE)
        ],
        batch_size=2000,
    )
    ids = list(Person.objects.values_list("pk", flat=True))
    measured, raw = [], []
    done = 0
    for _attempt in range(REPEATS):
        Person.objects.update(geocode_status=None, geocoded_at=None, latitude=None, longitude=None)
        with addok_server() as (url, _state), override_settings(GEOCODER_URL=url):
            progress = geocoding_create(actor=None)
            started = time.perf_counter()
            counts = geocoding_run(progress_id=str(progress.pk))
            measured.append(time.perf_counter() - started)
        done = counts["found"] + counts["not_found"]
        assert done >= PEOPLE, counts  # theirs, and the voters of the import above
        now = timezone.now()
        table = Person._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.executemany(
                f"UPDATE {table} SET latitude = %s, longitude = %s, geocode_score = %s, "
                "geocode_status = %s, geocoded_at = %s WHERE id = %s",
                [(43.3, 5.37, 97, 1, now, pk) for pk in ids],
            )
            raw.append(time.perf_counter() - started)
    report.figure(
        f"places: geocode {done:,} people (local addok-csv server, ~2 per address)",
        value=done / statistics.median(measured),
        unit="people/s",
        baseline=len(ids) / statistics.median(raw),
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        _register(report)
        _geocode(report)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
