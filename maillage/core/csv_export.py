"""CSV out: the one writer of every export and reject file (formula cells neutralised, one
separator, one BOM).

Every CSV the project hands out goes through here: segment exports, close races (the page and
`close_races --csv`), the rejected rows of an import, and any later export. A test in
`core/tests/test_csv_export.py` fails when another module builds a `csv.writer` or
`csv.DictWriter` of its own.

The dialect, settled once:

- `;` between cells, CRLF between rows, cells quoted only when they need it (a `;`, a quote or a
  line break inside), a UTF-8 BOM first. French Excel splits on `;` and reads the file as
  UTF-8 only with the BOM; LibreOffice and Python's `csv` (`encoding="utf-8-sig"`) read it too.
  Decimal numbers are written by the callers with a comma (`0,06`), which `;` leaves alone.

- Formula injection (OWASP, "CSV Injection"): a cell whose text starts with `=`, `+`, `-`,
  `@`, a tab or a carriage return, or with spaces or line breaks before one of `= + - @`, is
  written with a `'` in front, so a spreadsheet shows it as text and never runs it:
  `=HYPERLINK("http://x","y")` reaches the sheet as `'=HYPERLINK("http://x","y")`. Quoting
  alone would not do: spreadsheets strip the CSV quotes before they look for a formula.

- Phone numbers are stored in E.164 (`+33612345678`): they start with `+`, so they get the `'`
  too (`'+33612345678`). That is what we want: written bare, a spreadsheet would read
  `+33612345678` as the number 33612345678 and drop the `+`. The `'` shows in the cell (a CSV
  has no other way to say "text"), and the people import reads such a number back unchanged
  (`phonenumbers` skips the `'`).

- Plain negative numbers (`-5`, `-0,75`, `-12.5`) are the one exception to the rule above:
  a cell that is entirely an optional `-`, digits and at most one decimal `,` or `.` is a number
  to every spreadsheet and cannot hold a formula, so it is written as it is and a margin column
  stays numeric. Anything more (`-2+3`, `-A1`, `--1`, `+5`) gets the `'`.

The subject-access text (`people/services/gdpr.py`) is plain text, not CSV, and no spreadsheet
opens it: it does not come through here.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from django.http import StreamingHttpResponse

SEPARATOR = ";"
BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
# OWASP's list: what makes a spreadsheet read a cell as a formula (or, for tab and CR, makes
# it skip them and read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(?:[.,][0-9]+)?")

Row = Iterable[Any]


def csv_cell(value: Any) -> str:
    """The text of one cell as it is written: `None` is empty, a formula start gets a `'`."""
    if value is None:
        return ""
    text = str(value)
    if not text:
        return text
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        if _NEGATIVE_NUMBER.fullmatch(text):
            return text
        return "'" + text
    return text


class _Line:
    """What `csv.writer` writes to: the line it formats, handed back."""

    def write(self, value: str) -> str:
        return value


class CsvFormatter:
    """Formats rows as CSV lines in the dialect above, every cell neutralised. One per export
    (a `csv.writer` keeps a buffer, so threads do not share one)."""

    def __init__(self) -> None:
        self._writer = csv.writer(_Line(), delimiter=SEPARATOR, lineterminator="\r\n")

    def line(self, row: Row) -> str:
        """One row as CSV text, CRLF at the end."""
        text: str = self._writer.writerow([csv_cell(value) for value in row])
        return text


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    """The BOM, then one line per row (the header is the first row): what a streamed
    response or any text handle takes."""
    formatter = CsvFormatter()
    yield BOM
    for row in rows:
        yield formatter.line(row)


def csv_response(*, filename: str, rows: Iterable[Row]) -> StreamingHttpResponse:
    """A download of these rows, streamed: a big export is never held in memory. `rows` may be
    a generator; it is read as the response is sent."""
    response = StreamingHttpResponse(csv_lines(rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CsvFile:
    """A CSV file written row by row (a reject file grows while an import reads): opened, BOM
    written, on the first row, so a run with nothing to write leaves no file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._handle: TextIO | None = None
        self._formatter = CsvFormatter()

    def writerow(self, row: Row) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._handle.write(BOM)
        self._handle.write(self._formatter.line(row))

    def writerows(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.writerow(row)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def csv_file_write(*, path: Path | str, rows: Iterable[Row]) -> None:
    """Write these rows (header first) to a file; the file exists afterwards even without rows
    (OSError as `open` raises it)."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(csv_lines(rows))
