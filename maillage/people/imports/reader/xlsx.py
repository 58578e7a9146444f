"""XLSX rows, read with openpyxl's read-only mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from maillage.core.spreadsheets import max_cell_chars
from maillage.people.imports.reader.checks import ImportFileError

# What a cell of a row rejected for its length keeps in the rejected-rows file.
_KEPT_OF_LONG_CELL = 1000


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str], str]]:
    """(line, cells, problem) for every data row. The workbook passed `check_workbook` when the
    table was opened: no row is large; a cell longer than the cell limit (as in a CSV) rejects
    its row, and only its beginning is kept for the rejected-rows file."""
    import openpyxl

    limit = max_cell_chars()
    too_long = _("cellule de %(length)s caractères en colonne %(column)s, %(limit)s au plus")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(_("Ce classeur XLSX est illisible ou endommagé.")) from None
    try:
        sheet = workbook.worksheets[0]
        width = None
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception:  # a part that does not parse (entities, bad XML): one message
                raise ImportFileError(_("Ce classeur XLSX est illisible ou endommagé.")) from None
            if number == 1:
                width = len([v for v in values if v is not None]) or len(values)
                continue
            row = [_cell_text(value) for value in values]
            while len(row) > (width or 0) and not row[-1]:
                row.pop()
            if not any(row):
                continue
            problem = ""
            if max(map(len, row)) <= limit:
                yield number, row, problem
                continue
            for column, cell in enumerate(row):
                if len(cell) > limit:
                    problem = problem or too_long % {
                        "length": len(cell),
                        "column": column + 1,
                        "limit": limit,
                    }
                    row[column] = cell[:_KEPT_OF_LONG_CELL] + "…"
            yield number, row, problem
    finally:
        workbook.close()
