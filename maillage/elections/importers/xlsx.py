"""data.gouv.fr XLSX workbooks, read with openpyxl in read-only mode (rows streamed, never loaded whole).

2017-style workbooks hold one sheet per level with two title rows before the header; the
constituency sheet ("Circo. leg. T1") is the one imported. 2024-style workbooks have one sheet
with numbered candidate blocks and store codes as numbers in round 1 and as text in round 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from maillage.core.spreadsheets import WorkbookRefused, check_workbook
from maillage.elections.importers.base import (
    ParsedArea,
    ParsedFile,
    ResultFileError,
    round_from_name,
)
from maillage.elections.importers.tabular import (
    areas_from_rows,
    layout_from_headers,
    recognised_area_columns,
)

HEADER_SEARCH_ROWS = 10


def parse_xlsx(
    path: Path, *, source: str | None = None, sheet: str | None = None
) -> tuple[ParsedFile, Iterator[ParsedArea]]:
    source = source or path.name
    try:
        check_workbook(path)  # a zip bomb is refused before openpyxl opens it
    except WorkbookRefused as error:
        raise ResultFileError(
            _("%(source)s : classeur refusé : %(reason)s")
            % {"source": source, "reason": error.message}
        ) from None
    try:
        # A file object, not a path: openpyxl refuses paths whose extension is not .xlsx, and
        # uploads are stored under a server-chosen name.
        handle = path.open("rb")
    except OSError as error:
        raise ResultFileError(
            _("%(source)s : fichier illisible (%(strerror)s)")
            % {"source": source, "strerror": error.strerror}
        ) from None
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types on broken parts: one message for all
        handle.close()
        raise ResultFileError(
            _("%(source)s : classeur XLSX illisible (%(kind)s)")
            % {"source": source, "kind": error.__class__.__name__}
        ) from None
    names = workbook.sheetnames
    if sheet:
        if sheet not in names:
            workbook.close()
            handle.close()
            raise ResultFileError(
                _("%(source)s : pas de feuille « %(sheet)s » (feuilles : %(choices)s)")
                % {"source": source, "sheet": sheet, "choices": ", ".join(names)}
            )
        chosen = sheet
    else:
        constituency_sheets = [name for name in names if re.search(r"circo", name, re.IGNORECASE)]
        chosen = constituency_sheets[0] if constituency_sheets else names[0]
    info = ParsedFile(
        format="xlsx",
        round_hint=round_from_name(chosen) or round_from_name(source),
    )
    return info, _areas(workbook, handle, chosen, source, info)


def _areas(
    workbook, handle, sheet_name: str, source: str, info: ParsedFile
) -> Iterator[ParsedArea]:  # type: ignore[no-untyped-def]
    where = f"{source}, feuille « {sheet_name} »"
    try:
        rows = _readable(workbook[sheet_name].iter_rows(values_only=True), where)
        layout = None
        header_line = 0
        for line, row in enumerate(rows, start=1):
            if recognised_area_columns(row) >= 3:
                layout = layout_from_headers(list(row), where=f"{where} ligne {line}")
                header_line = line
                break
            if line >= HEADER_SEARCH_ROWS:
                break
        if layout is None:
            raise ResultFileError(
                _("%(where)s : aucune ligne d'en-tête reconnue dans les %(rows)s premières lignes")
                % {"where": where, "rows": HEADER_SEARCH_ROWS}
            )
        info.layout = layout.description
        numbered = ((header_line + offset, row) for offset, row in enumerate(rows, start=1))
        yield from areas_from_rows(numbered, layout, source=where)
    finally:
        workbook.close()
        handle.close()


def _readable(rows: Iterator[tuple], where: str) -> Iterator[tuple]:  # type: ignore[type-arg]
    """The sheet's rows; a part that does not parse (entity declarations, broken XML) is one
    error, not openpyxl's traceback."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except ResultFileError:
            raise
        except Exception as error:
            raise ResultFileError(
                _("%(where)s : classeur XLSX illisible (%(error)s)")
                % {"where": where, "error": error.__class__.__name__}
            ) from None
        yield row
