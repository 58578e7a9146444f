"""Limits checked on an XLSX workbook before a spreadsheet library opens it (people and results
imports): a zip can expand one megabyte into gigabytes, and openpyxl holds a workbook's shared
strings, styles and each row it reads in memory.

`check_workbook` reads the zip's directory (declared sizes), then every XML part as a stream,
counting the bytes really decompressed (the directory can lie) and measuring each record (a
sheet row, a shared string): whatever openpyxl later builds in memory is bounded by the
largest record. It also refuses DOCTYPE and entity declarations, which no spreadsheet writes.
The limits are settings (see docs/imports.md, "Limits").
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError

# Parts of an Office file that are XML (images and binary parts are never parsed).
_XML_PARTS = (".xml", ".rels", ".vml")
MAX_PARTS = 10_000
# A record (a row, a shared string) may hold this many times the cell limit of XML: several
# long cells, markup and formatting runs.
RECORD_FACTOR = 16
_BLOCK = 1 << 20
# The start of a row or of a shared string, with or without a namespace prefix, and its attributes.
_RECORD = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|si)(?=[\s/>])([^>]*)>")
_ROW_NUMBER = re.compile(rb"(?:^|\s)r\s*=\s*[\"'](\d{1,12})[\"']")
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")


class WorkbookRefused(ApplicationError):
    """The workbook breaks a limit, or is not a readable zip: the message says which."""


@dataclass(frozen=True)
class WorkbookFacts:
    last_row: int  # an upper bound of the row numbers of every sheet


def max_cell_chars() -> int:
    return int(settings.MAILLAGE_IMPORT_MAX_CELL_CHARS)


def max_rows() -> int:
    return int(settings.MAILLAGE_IMPORT_XLSX_MAX_ROWS)


def check_workbook(path: Path | str) -> WorkbookFacts:
    """Raise `WorkbookRefused` when the workbook breaks a limit; otherwise what was learnt."""
    cap = int(settings.MAILLAGE_IMPORT_XLSX_MAX_BYTES)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise WorkbookRefused(_("classeur XLSX illisible ou endommagé")) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise WorkbookRefused(
                _("le classeur contient %(count)s parties, %(limit)s au plus")
                % {"count": len(parts), "limit": MAX_PARTS}
            )
        declared = sum(part.file_size for part in parts)
        if declared > cap:
            raise WorkbookRefused(_too_big(declared, cap))
        scan = _Scan(cap=cap, record_limit=RECORD_FACTOR * max_cell_chars(), rows=max_rows())
        try:
            for part in parts:
                if part.filename.lower().endswith(_XML_PARTS):
                    with archive.open(part) as stream:
                        scan.part(stream)
        except WorkbookRefused:
            raise
        except Exception:  # zlib, CRC, truncated or lying sizes: one message for all
            raise WorkbookRefused(_("classeur XLSX illisible ou endommagé")) from None
    return WorkbookFacts(last_row=scan.last_row)


def _too_big(size: int, cap: int) -> str:
    return _("le classeur décompressé dépasse %(limit)s Mo (%(size)s Mo déclarés)") % {
        "limit": _megabytes(cap),
        "size": _megabytes(size),
    }


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.0f}" if size >= 1 << 20 else f"{size / (1 << 20):.2f}"


class _Scan:
    def __init__(self, *, cap: int, record_limit: int, rows: int) -> None:
        self.cap, self.record_limit, self.rows = cap, record_limit, rows
        self.read = 0
        self.last_row = 0

    def part(self, stream) -> None:  # type: ignore[no-untyped-def]
        """One XML part, a block at a time. A tag cut by a block's end is carried to the next
        block, so every record start is seen whole."""
        start = 0  # offset of the current record's start (or of the part's start)
        offset = 0  # offset of `data` in the part
        carry = b""
        row = 0
        first = True
        while block := stream.read(_BLOCK):
            if first and b"\x00" in block[:4096]:
                # UTF-16 XML: the checks below read bytes as ASCII; no spreadsheet writes it.
                raise WorkbookRefused(_("classeur XLSX illisible ou endommagé"))
            first = False
            self.read += len(block)
            if self.read > self.cap:  # the directory lied: stop decompressing now
                raise WorkbookRefused(_too_big(self.read, self.cap))
            data = carry + block
            if any(declaration in data for declaration in _DECLARATIONS):
                raise WorkbookRefused(
                    _("le classeur déclare des entités XML (DOCTYPE) : refusé par sécurité")
                )
            cut = data.rfind(b"<")
            if cut < 0 or data.find(b">", cut) >= 0:
                cut = len(data)
            for match in _RECORD.finditer(data, 0, cut):
                at = offset + match.start()
                self._check_record(at - start)
                start = at
                if match.group(1) == b"row":
                    number = _ROW_NUMBER.search(match.group(2))
                    row = int(number.group(1)) if number else row + 1
                    if row > self.last_row:
                        self.last_row = row
                        if row > self.rows:
                            raise WorkbookRefused(
                                _("la feuille dépasse %(limit)s lignes") % {"limit": self.rows}
                            )
            carry = data[cut:]
            offset += cut
            if len(carry) > self.record_limit:
                self._check_record(len(carry))
            self._check_record(offset - start)
        self._check_record(offset + len(carry) - start)

    def _check_record(self, size: int) -> None:
        if size > self.record_limit:
            raise WorkbookRefused(
                _(
                    "une ligne ou une cellule du classeur dépasse %(limit)s Mo de XML "
                    "(cellules de %(chars)s caractères au plus)"
                )
                % {"limit": _megabytes(self.record_limit), "chars": max_cell_chars()}
            )
