"""Importers of official result files, one per format, behind one entry point with format detection.

`open_results(path, format="auto")` returns what the file says about itself and a stream of
`ParsedArea`s; `maillage.elections.services.results_import` validates and stores them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from maillage.elections.importers.base import (
    ParsedArea,
    ParsedCandidate,
    ParsedFile,
    ResultFileError,
)
from maillage.elections.importers.csv import parse_csv
from maillage.elections.importers.xlsx import parse_xlsx
from maillage.elections.importers.xml import looks_like_xml, parse_xml

FORMATS = ("auto", "xml", "csv", "xlsx")

__all__ = [
    "FORMATS",
    "ResultFileError",
    "ParsedArea",
    "ParsedCandidate",
    "ParsedFile",
    "detect_format",
    "open_results",
]


def detect_format(path: Path) -> str:
    """By content first (a zip is a workbook, "<?xml" is the feed), by extension last."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as error:
        raise ResultFileError(
            _("%(name)s : fichier illisible (%(strerror)s)")
            % {"name": path.name, "strerror": error.strerror}
        ) from None
    if not head.strip():
        raise ResultFileError(_("%(name)s : le fichier est vide") % {"name": path.name})
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if looks_like_xml(head):
        return "xml"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ResultFileError(
            _("%(name)s : ancien format Excel (.xls) ; enregistrez-le en .xlsx ou en CSV")
            % {"name": path.name}
        )
    if path.suffix.lower() in {".csv", ".txt", ".tsv"} or b";" in head or b"," in head:
        return "csv"
    raise ResultFileError(
        _("%(name)s : format non reconnu (attendu XML du ministère, CSV/TXT ou XLSX)")
        % {"name": path.name}
    )


def open_results(
    path: Path, *, format: str = "auto", encoding: str | None = None, source: str | None = None
) -> tuple[ParsedFile, Iterator[ParsedArea]]:
    if format not in FORMATS:
        raise ResultFileError(
            _("format inconnu « %(format)s » (choix : %(choices)s)")
            % {"format": format, "choices": ", ".join(FORMATS)}
        )
    chosen = detect_format(path) if format == "auto" else format
    if chosen == "xml":
        return parse_xml(path, source=source)
    if chosen == "xlsx":
        return parse_xlsx(path, source=source)
    return parse_csv(path, encoding=encoding, source=source)
