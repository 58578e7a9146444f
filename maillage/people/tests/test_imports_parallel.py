"""Big files read in parallel: the ranges of `csv_chunks`, and an import read by worker
processes, which must give exactly what reading the file in one piece gives."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db import transaction

from maillage.people.imports import parallel
from maillage.people.imports.generator import write_roll
from maillage.people.imports.reader import ReadState, csv_chunks, open_table
from maillage.people.models import Person
from maillage.people.services.imports import _Reading, import_file
from maillage.people.tests.fixtures.helpers import reu_row, write_reu
from maillage.territory.models import PollingStation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path / "uploads"


def _read_in_workers(settings, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int) -> None:  # type: ignore[no-untyped-def]
    """From now on, files of any size are read by two workers, in ranges of `chunk_bytes`."""
    settings.MAILLAGE_IMPORT_WORKERS = 2
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", chunk_bytes)


def _roll_with_quoted_newlines(path: Path, rows: int) -> Path:
    """A generated roll (with bad rows), then voters whose complement spans two lines."""
    write_roll(path, rows=rows, seed=5, stations=4, bad_rows=12)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index in range(3, len(lines), 97):  # "complément 1" is the 16th cell
        cells = lines[index].split(";")
        cells[15] = '"BAT A\nESC. 2"'
        lines[index] = ";".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _everything(path: Path, **chunking: object) -> list[tuple[int, list[str], str]]:
    table = open_table(path)
    if not chunking:
        return [
            (number, row, problems.get(i, ""))
            for numbers, rows, problems in table.batches(50)
            for i, (number, row) in enumerate(zip(numbers, rows, strict=True))
        ]
    found = []
    for chunk in csv_chunks(path, **chunking):  # type: ignore[arg-type]
        state = ReadState()
        for numbers, rows, problems in table.batches(50, chunk=chunk, state=state):
            found += [
                (number, row, problems.get(i, ""))
                for i, (number, row) in enumerate(zip(numbers, rows, strict=True))
            ]
        assert not state.cut_in_quotes
    return found


@pytest.mark.parametrize("size", [64, 1000, 4096])
def test_ranges_end_on_records_and_read_like_the_whole_file(tmp_path: Path, size: int) -> None:
    path = _roll_with_quoted_newlines(tmp_path / "roll.csv", rows=600)
    chunks = list(csv_chunks(path, size))
    assert len(chunks) > 3
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].end == path.stat().st_size
    assert _everything(path, size=size) == _everything(path)


def test_a_stray_quote_that_fools_the_cut_is_caught_at_the_end_of_its_range(
    tmp_path: Path,
) -> None:
    """`12"` (inches, a typo) is a quote the reader keeps in its cell; counting quotes, the
    cutter then takes the newline inside the next quoted field for a record's end. The range
    that ends there is flagged, and reading it again in one piece gives the right rows."""
    path = _stray_quote_roll(tmp_path / "roll.csv")
    flagged = []
    for chunk in csv_chunks(path, 100):
        state = ReadState()
        list(open_table(path).batches(50, chunk=chunk, state=state))
        flagged.append(state.cut_in_quotes)
    assert flagged.count(True) == 1


def _stray_quote_roll(path: Path, rows: int = 40, at: int = 5) -> Path:
    cells = [reu_row(n, f"NOM{n}") for n in range(1, rows + 1)]
    cells[at][13] = '12"'  # unquoted cell: the quote is stray
    cells[at + 4][15] = '"BAT A\nESC. 2"'  # a quoted cell over two lines
    lines = [";".join(open_table_headers())] + [";".join(row) for row in cells]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def open_table_headers() -> list[str]:
    from maillage.people.imports.presets import REU_HEADERS

    return list(REU_HEADERS)


def _outcome(path: Path, tmp_path: Path, name: str) -> tuple[dict, list[list[str]], list[tuple]]:
    """Import inside a transaction that is rolled back: counts, rejected rows, people."""
    rejected_path = tmp_path / f"{name}.csv"
    with transaction.atomic():
        summary = import_file(path=path, rejected_path=rejected_path, collect_new_ids=False)
        people = sorted(  # by repr: NULL cells sort too
            Person.objects.values_list(
                "roll_commune_code",
                "roll_station_code",
                "roll_number",
                "birth_name",
                "usage_name",
                "first_names",
                "birth_year",
                "birth_month",
                "birth_day",
                "address_complement",
                "household_key",
                "search_name",
                "polling_station_code",
            ),
            key=repr,
        )
        stations = sorted(PollingStation.objects.values_list("number", "name"))
        transaction.set_rollback(True)
    rejected = []
    if summary.rejected:
        with rejected_path.open(encoding="utf-8-sig", newline="") as handle:
            rejected = list(csv.reader(handle, delimiter=";"))
    return summary.counts(), rejected, [*people, *stations]


def test_an_import_read_by_workers_gives_what_reading_in_one_piece_gives(
    tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = _roll_with_quoted_newlines(tmp_path / "roll.csv", rows=900)
    with path.open("a", encoding="utf-8") as handle:  # a repeated identity, far from the first
        handle.write(";".join(f'"{cell}"' for cell in reu_row(3, "DOUBLON", station="0001")))
        handle.write("\n")
    settings.MAILLAGE_IMPORT_WORKERS = 1
    alone = _outcome(path, tmp_path, "alone")
    _read_in_workers(settings, monkeypatch, 8_000)
    calls = []
    convert = parallel.convert_in_workers

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        for result in convert(*args, **kwargs):
            calls.append(result.chunk)
            yield result

    monkeypatch.setattr(parallel, "convert_in_workers", counted)
    in_workers = _outcome(path, tmp_path, "workers")
    assert len(calls) > 10  # the file was read by the workers, range by range
    assert in_workers == alone
    counts, rejected, _people = alone
    assert counts["created"] == 900 - 12 and counts["rejected"] == 13
    assert rejected[-1][-1] == "numéro d'ordre déjà présent ligne 4"


def test_workers_hand_over_to_the_main_process_after_a_range_cut_inside_quotes(
    tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = _stray_quote_roll(tmp_path / "roll.csv", rows=400, at=250)
    settings.MAILLAGE_IMPORT_WORKERS = 1
    alone = _outcome(path, tmp_path, "alone")
    _read_in_workers(settings, monkeypatch, 2_000)
    resumed = []
    run_here = _Reading._run_here

    def recorded(self, resume_at=None):  # type: ignore[no-untyped-def]
        resumed.append(resume_at)
        return run_here(self, resume_at)

    monkeypatch.setattr(_Reading, "_run_here", recorded)
    assert _outcome(path, tmp_path, "workers") == alone
    assert len(resumed) == 1 and resumed[0] is not None and resumed[0].first_line > 2
    assert alone[0]["created"] == 400


def test_rows_of_a_known_commune_read_by_workers_go_through_matching(
    tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    old = write_reu(tmp_path / "roll.csv", [reu_row(n, f"NOM{n}") for n in range(1, 5)])
    import_file(path=old)
    rows = [reu_row(n, f"NOM{n}") for n in range(1, 4)]  # NOM4 is gone from 13999
    rows += [reu_row(n, f"NEUF{n}", commune="13998") for n in range(1, 300)]
    (tmp_path / "newer").mkdir()
    path = write_reu(tmp_path / "newer" / "roll.csv", rows)  # same name: the same source
    _read_in_workers(settings, monkeypatch, 4_000)
    counts, _rejected, _people = _outcome(path, tmp_path, "workers")
    assert (counts["created"], counts["unchanged"], counts["removed"]) == (299, 3, 1)
