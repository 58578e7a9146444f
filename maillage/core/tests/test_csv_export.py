"""The one CSV writer: formula cells neutralised (OWASP), phones kept as text, one separator and
BOM; and a scan that keeps it the only one."""

from __future__ import annotations

import ast
import csv
import io
import shutil
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

import maillage
from maillage.core import csv_export
from maillage.core.csv_export import CsvFile, csv_cell, csv_file_write, csv_lines, csv_response

WRITER_MODULE = Path(csv_export.__file__).resolve()


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


class CsvCellTests(SimpleTestCase):
    def test_it_prefixes_every_formula_start_with_a_quote(self) -> None:
        cases = {
            '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
            "+SUM(1,2)": "'+SUM(1,2)",
            "-2+3": "'-2+3",
            "@SUM(1+1)": "'@SUM(1+1)",
            "\t=1+1": "'\t=1+1",
            "\r=1+1": "'\r=1+1",
            "\tplain": "'\tplain",  # a tab or CR is refused first, whatever follows
        }
        for value, written in cases.items():
            with self.subTest(value=value):
                self.assertEqual(csv_cell(value), written)

    def test_it_sees_a_formula_behind_leading_spaces_and_line_breaks(self) -> None:
        self.assertEqual(csv_cell("  =1+1"), "'  =1+1")
        self.assertEqual(csv_cell("\n@SUM(A1)"), "'\n@SUM(A1)")
        self.assertEqual(csv_cell(" -2+3"), "' -2+3")

    def test_it_keeps_a_phone_number_as_text_with_its_plus(self) -> None:
        self.assertEqual(csv_cell("+33612345678"), "'+33612345678")
        self.assertEqual(csv_cell("+5"), "'+5")

    def test_it_leaves_plain_negative_numbers_as_numbers(self) -> None:
        for value in ("-5", "-0,75", "-12.5", -5, -0.25):
            with self.subTest(value=value):
                self.assertEqual(csv_cell(value), str(value))
        for value in ("-5-1", "-A1", "--1", "-1,5,2", "-", "-1e3", "-5 "):
            with self.subTest(value=value):
                self.assertEqual(csv_cell(value), "'" + value)

    def test_it_leaves_everything_else_alone(self) -> None:
        for value in ("MARTIN", "06 12 34 56 78", "13055_0003", "a=b", "0,06", "'quoted", "5-3"):
            with self.subTest(value=value):
                self.assertEqual(csv_cell(value), value)
        self.assertEqual(csv_cell(None), "")
        self.assertEqual(csv_cell(""), "")
        self.assertEqual(csv_cell(35), "35")


class CsvOutputTests(SimpleTestCase):
    def test_lines_start_with_the_bom_and_use_semicolons_and_crlf(self) -> None:
        text = "".join(csv_lines([["code", "zone"], ["0703", "Ardèche; 3e"]]))
        self.assertEqual(text, '\ufeffcode;zone\r\n0703;"Ardèche; 3e"\r\n')

    def test_a_separator_or_a_line_break_never_opens_a_new_cell(self) -> None:
        text = "".join(csv_lines([["a", "x;=1+1", 'y"\n=2+2', "z,@A1"]]))
        self.assertEqual(_read(text), [["a", "x;=1+1", 'y"\n=2+2', "z,@A1"]])

    def test_the_response_streams_the_same_text_with_its_filename(self) -> None:
        response = csv_response(filename="export.csv", rows=iter([["nom"], ["=1+1"]]))
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="export.csv"')
        self.assertEqual(b"".join(response.streaming_content), "\ufeffnom\r\n'=1+1\r\n".encode())

    def test_files_hold_the_same_bytes_as_the_response(self) -> None:
        rows = [["nom", "téléphone", "marge"], ["@SUM(1+1)", "+33612345678", "-5"]]
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        csv_file_write(path=folder / "all.csv", rows=rows)
        with CsvFile(folder / "row-by-row.csv") as handle:
            for row in rows:
                handle.writerow(row)
        streamed = b"".join(csv_response(filename="x.csv", rows=rows).streaming_content)
        self.assertEqual((folder / "all.csv").read_bytes(), streamed)
        self.assertEqual((folder / "row-by-row.csv").read_bytes(), streamed)
        self.assertEqual(_read(streamed.decode()), [rows[0], ["'@SUM(1+1)", "'+33612345678", "-5"]])

    def test_a_row_by_row_file_with_no_rows_is_never_created(self) -> None:
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        with CsvFile(folder / "none.csv"):
            pass
        self.assertEqual(list(folder.iterdir()), [])


def _csv_writers_built_in(path: Path) -> list[str]:
    """Where a module reaches for `csv.writer` or `csv.DictWriter` (attribute or import)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"writer", "DictWriter"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        ):
            found.append(f"{path}:{node.lineno} csv.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module in {"csv", "_csv"}:
            for alias in node.names:
                if alias.name in {"writer", "DictWriter"}:
                    found.append(f"{path}:{node.lineno} from csv import {alias.name}")
    return found


class OneWriterTests(SimpleTestCase):
    def test_no_module_but_the_writer_builds_a_csv_writer(self) -> None:
        # Tests may write hostile input files as they like; everything shipped writes CSV
        # through maillage/core/csv_export.py, which neutralises formulas.
        root = Path(maillage.__file__).resolve().parent
        offenders = [
            hit
            for path in sorted(root.rglob("*.py"))
            if path != WRITER_MODULE and "tests" not in path.relative_to(root).parts
            for hit in _csv_writers_built_in(path)
        ]
        self.assertEqual(offenders, [])

    def test_the_scan_finds_both_spellings(self) -> None:
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        path = folder / "sample.py"
        path.write_text(
            "import csv\nfrom csv import DictWriter\nw = csv.writer(open('x', 'w'))\n",
            encoding="utf-8",
        )
        self.assertEqual(
            [hit.split(" ", 1)[1] for hit in _csv_writers_built_in(path)],
            ["from csv import DictWriter", "csv.writer"],
        )
