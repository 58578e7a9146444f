"""The people app's CSV files as a spreadsheet reads them: the segment export and the rejected
rows of an import never hand it a formula (see maillage/core/csv_export.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from maillage.core.tests.base import BaseTestCase
from maillage.people.models import PhoneNumber, Segment
from maillage.people.services.imports import import_file
from maillage.people.tests.fixtures.helpers import reu_row
from maillage.people.tests.helpers import make_person

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://x","y")'


def _write_reu(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    """A roll file with every cell quoted the CSV way (the formulas hold quotes and commas)."""

    def line(cells: list[str]) -> str:
        return ";".join('"' + cell.replace('"', '""') + '"' for cell in cells)

    path.write_text("\n".join(line(cells) for cells in [headers, *rows]) + "\n", encoding="utf-8")
    return path


def _reu_headers() -> list[str]:
    from maillage.people.imports.presets import REU_HEADERS

    return [*REU_HEADERS, "PORTABLE"]


def _formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.MAILLAGE_UPLOAD_DIR


class SegmentExportFormulaTests(BaseTestCase):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def test_the_segment_export_neutralises_formula_cells_from_an_imported_file(self) -> None:
        path = _write_reu(
            self.tmp_path / "roll.csv",
            _reu_headers(),
            [
                [
                    *reu_row(1, birth_name=HYPERLINK, first_names="+SUM(1,2)", usage="-2+3"),
                    "0612345678",
                ],
                [*reu_row(2, birth_name="@SUM(1+1)", street="-1+1 RUE"), ""],
            ],
        )
        summary = import_file(path=path)
        self.assertEqual((summary.created, summary.rejected), (2, 0))
        tab = make_person(
            birth_name="\t=1+1", first_names="\r=2+2", polling_station_code="13999_0001"
        )
        PhoneNumber.objects.create(person=tab, number="+33698765432", is_primary=True)
        segment = Segment.objects.create(
            name="Bureau 1 de Vallon",
            definition={
                "op": "and",
                "filters": [{"field": "polling_station", "values": ["13999_0001"]}],
            },
        )
        self.login(self.owner)
        response = self.client.get(reverse("people:segment_export", args=[segment.pk]))
        text = b"".join(response.streaming_content).decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
        self.assertEqual(len(rows), 4)
        self.assertEqual(_formula_cells(rows), [])
        cells = {cell for row in rows[1:] for cell in row}
        imported = next(row for row in rows[1:] if "HYPERLINK" in row[1])
        self.assertEqual(imported[1], "'" + HYPERLINK)  # the import keeps the name as it was
        self.assertEqual((imported[2], imported[3]), ("'-2+3", "'+SUM(1,2)"))
        self.assertEqual(imported[10], "'+33612345678")  # E.164, kept as text, never a number
        self.assertIn("'@SUM(1+1)", cells)
        self.assertIn("'\t=1+1", cells)
        self.assertIn("'\r=2+2", cells)
        self.assertIn("'+33698765432", cells)


@pytest.mark.django_db
def test_the_rejected_rows_file_neutralises_formula_cells(tmp_path: Path) -> None:
    path = _write_reu(
        tmp_path / "bad.csv",
        _reu_headers(),
        [
            [*reu_row(1, birth_name="", first_names=HYPERLINK), "+SUM(1,2)"],  # no name
            [*reu_row(2, first_names="@SUM(1+1)"), "-2+3"],  # bad phone
            [*reu_row(3, born="31/02/1980", usage="\t=1+1", street="\r=2+2"), ""],
        ],
    )
    summary = import_file(path=path, rejected_path=tmp_path / "rejected.csv")
    assert (summary.created, summary.rejected) == (0, 3)
    raw = Path(summary.rejected_path).read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert _formula_cells(rows) == []
    first, second, third = rows[1:]
    assert first[5] == "'" + HYPERLINK
    assert first[27] == "'+SUM(1,2)"
    assert (second[5], second[27]) == ("'@SUM(1+1)", "'-2+3")
    assert (third[4], third[14]) == ("'\t=1+1", "'\r=2+2")
    assert [row[-2:] for row in rows[1:]] == [
        ["2", "nom manquant"],
        ["3", "téléphone invalide : -2+3"],
        ["4", "date de naissance impossible : 31/02/1980"],
    ]
