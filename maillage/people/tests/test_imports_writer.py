"""People imports, the writer's set-based statements: wide rows merged into known voters' `extra`,
statistics for the planner after a load."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.core.dialect import dialect
from maillage.people.models import Person
from maillage.people.services.imports import import_file
from maillage.people.tests.fixtures.helpers import reu_row, write_reu

pytestmark = pytest.mark.django_db


def _wide_roll(path: Path, *, voters: int, columns: int, value: str, start: int = 0) -> Path:
    """A roll of `voters` rows with `columns` extra columns COL<start>… holding `value<n>`."""
    headers = tuple(f"COL{n}" for n in range(start, start + columns))
    rows = [
        [
            *reu_row(number, f"VOTANT{number}"),
            *(f"{value}{n}" for n in range(start, start + columns)),
        ]
        for number in range(1, voters + 1)
    ]
    return write_reu(path, rows, extra_headers=headers)


def _queries_of(path: Path) -> tuple[int, dict[str, int]]:
    with CaptureQueriesContext(connection) as queries:
        summary = import_file(path=path, collect_new_ids=False)
    return len(queries.captured_queries), {
        "updated": summary.updated,
        "unchanged": summary.unchanged,
    }


def test_a_re_import_of_wide_rows_merges_extra_in_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    tmp_path: Path, settings
) -> None:
    """Matched voters' `extra` is merged by one statement for the whole file, whatever the
    number of rows and of keys (SQLite's `json_patch` took 52 s for three rows of 50,000
    columns: it walks the whole object for each key of the patch). The caps on columns and
    extra columns are raised here: a campaign that raises them still gets a set-based merge."""
    settings.MAILLAGE_IMPORT_MAX_COLUMNS = 10_000
    settings.MAILLAGE_IMPORT_MAX_EXTRA_COLUMNS = 10_000
    import_file(path=_wide_roll(tmp_path / "a.csv", voters=3, columns=300, value="a"))
    # Half the columns change value, and as many new ones arrive.
    small = _wide_roll(tmp_path / "b.csv", voters=3, columns=300, value="b", start=150)
    count, summary = _queries_of(small)
    # SQLite 25: the ledger (1); staging: cache size, drop ×3, create ×3 (7); savepoint (1);
    # polling stations registered in territory, all known (3: one select per table); staging roll index (1); voters known (1); roll matching (1); person
    # index (1); absent voters read for moves (1) and marked (1); the one update of the matched
    # voters, `extra` merged there (1); rows left new (1); release (1); drop ×3, cache size (4).
    # PostgreSQL 32: no roll index nor cache size, but temp_buffers in a savepoint (3), the
    # statistics of staging (1), and direct mode's probes: communes with voters (1), the id
    # reservation (lock, sequence, read, move: 4), the table's size (1).
    assert count == {"sqlite": 25, "postgresql": 32}[connection.vendor]
    assert summary == {"updated": 3, "unchanged": 0}
    # Twice the rows, ten times the keys: the same statements.
    import_file(path=_wide_roll(tmp_path / "c.csv", voters=6, columns=3000, value="a"))
    wide = _wide_roll(tmp_path / "d.csv", voters=6, columns=3000, value="b", start=1500)
    assert _queries_of(wide) == (count, {"updated": 6, "unchanged": 0})
    extra = Person.objects.get(roll_number=2).extra
    assert len(extra) == 4500
    assert (extra["COL0"], extra["COL1499"], extra["COL1500"], extra["COL4499"]) == (
        "a0",
        "a1499",
        "b1500",
        "b4499",
    )
    # The same file again: every key already there with that value, nothing to write.
    assert _queries_of(wide)[1] == {"updated": 0, "unchanged": 6}
    assert Person.objects.get(roll_number=2).extra == extra


def test_after_a_first_load_the_planner_knows_how_many_people_there_are(tmp_path: Path) -> None:
    """A table the planner believes empty gets nested loops: the re-import's search for absent
    voters then scanned staging once per voter (5,000 voters re-imported at once: 40 s, not
    1 s). A load at least as big as the table refreshes the statistics."""
    sql, table = dialect(), Person._meta.db_table
    sql.analyze(table)  # the planner's picture of the table: empty
    import_file(path=_wide_roll(tmp_path / "a.csv", voters=40, columns=1, value="a"))
    assert sql.planned_rows(table) == 40
