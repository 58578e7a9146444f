"""Elections: import the whole 2024 legislative election (both rounds) and rank the close races.

Measured against a raw baseline in the same run: one openpyxl read-only pass over the same two
workbooks with no database at all, i.e. the cost of merely reading the official files. The
import runs in a throwaway test database (created and destroyed here), so `make bench` never
touches real data.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "maillage" / "elections" / "tests" / "fixtures"
FILES = [
    FIXTURES / "Leg_2024_Resultats_T1_officiel.xlsx",
    FIXTURES / "Leg_2024_Resultats_T2_officiel.xlsx",
]
REPEATS = 3


def _raw_read() -> int:
    from openpyxl import load_workbook

    cells = 0
    for path in FILES:
        with path.open("rb") as handle:
            workbook = load_workbook(handle, read_only=True, data_only=True)
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                cells += sum(1 for value in row if value is not None)
            workbook.close()
    return cells


def _import_and_rank(slug: str) -> int:
    from maillage.elections.models import Election
    from maillage.elections.selectors import (
        RaceFilters,
        close_race_counts,
        close_race_list,
        race_rows,
    )
    from maillage.elections.services import results_import

    for path in FILES:
        results_import(path=path, election_slug=slug)
    election = Election.objects.get(slug=slug)
    rows = race_rows(close_race_list(election=election, filters=RaceFilters(max_gap=5)))
    counts = close_race_counts(election=election, filters=RaceFilters())
    assert len(rows) == 109 and counts["margin_1"] == 24, (len(rows), counts["margin_1"])
    return len(rows)


def run(report) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        baseline = []
        measured = []
        for attempt in range(REPEATS):
            started = time.perf_counter()
            _raw_read()
            baseline.append(time.perf_counter() - started)
            started = time.perf_counter()
            _import_and_rank(f"bench-legislatives-2024-{attempt}")
            measured.append(time.perf_counter() - started)
        report.figure(
            "elections: import 2024 both rounds + close races",
            value=statistics.median(measured),
            unit="s",
            baseline=statistics.median(baseline),
            target="< 5 s",
            higher_is_better=False,
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
