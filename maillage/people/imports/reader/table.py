"""Streaming reader for the files people imports accept: CSV (UTF-8 with or without BOM,
CP1252/ISO-8859-1, CP850, UTF-16 with BOM; `;`, `,` or tab) and XLSX.

The file is never loaded whole: CSV is decoded line by line (a line that does not decode is
reported as a rejected row instead of failing the file), XLSX is checked against the limits of
`maillage.core.spreadsheets` (a zip bomb is refused before openpyxl opens it) and read with
openpyxl's read-only mode. Problems with the file itself raise `ImportFileError` with a French
message.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from maillage.core.spreadsheets import WorkbookRefused, check_workbook, max_cell_chars
from maillage.people.imports.reader.checks import (
    ImportFileError,
    _binary_message,
    _check_columns,
    _printable,
)
from maillage.people.imports.reader.chunks import (
    Chunk,
    ReadState,
    _csv_batches,
    _csv_rows,
    _grouped,
)
from maillage.people.imports.reader.xlsx import _cell_text, _xlsx_rows

SAMPLE_SIZE = 256 * 1024
DELIMITERS = (";", "\t", ",")
# Letters a French list is written with: the encoding that turns the high bytes into these wins.
_FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ")

# Excel's "Unicode text": UTF-16 with a byte-order mark, usually tab-separated.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class Table:
    path: Path
    format: str  # "csv" or "xlsx"
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    last_row: int = 0  # XLSX: an upper bound of the sheet's row numbers
    _rows: Iterator[tuple[int, list[str], str]] | None = field(default=None, repr=False)

    def batches(
        self, size: int, *, chunk: Chunk | None = None, state: ReadState | None = None
    ) -> Iterator[tuple[list[int], list[list[str]], dict[int, str]]]:
        """The data rows in batches: (line numbers, fields, problems by position in the batch);
        with `chunk`, only the rows of that range of a CSV (see `csv_chunks`)."""
        if self.format == "xlsx":
            return _grouped(_xlsx_rows(self.path), size)
        return _csv_batches(
            self.path, self.encoding, self.delimiter, size, chunk=chunk, state=state
        )

    @property
    def splittable(self) -> bool:
        """Whether byte ranges of the file can be read apart (`csv_chunks` cuts at newline
        bytes, which UTF-16 spreads over two bytes)."""
        return self.format == "csv" and not self.encoding.startswith("utf-16")

    def rows(self) -> Iterator[tuple[int, list[str], str]]:
        """(line number, fields, problem) for every data row; problem is "" when the row read fine."""
        if self.format == "xlsx":
            return _xlsx_rows(self.path)
        return _csv_rows(self.path, self.encoding, self.delimiter)


def detect_encoding(sample: bytes) -> str:
    """Decide the encoding from the first bytes, deterministically.

    UTF-8 when the sample decodes strictly, or when valid multi-byte sequences clearly outnumber
    the invalid bytes (a BOM gives utf-8-sig); otherwise cp1252 or cp850,
    whichever turns more high bytes into French letters (cp850 decodes cp1252's é/è/à into
    box-drawing characters and the other way round). Ties go to cp1252, the Windows default.
    ISO-8859-1 text is read as cp1252, which is a superset for every printable letter.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few stray bytes (a line pasted from elsewhere): still UTF-8, and those
    # lines are rejected one by one. Single-byte French text almost never forms valid sequences.
    decoded = sample.decode("utf-8", errors="replace")
    invalid = decoded.count("\ufffd")
    valid = sum(1 for char in decoded if ord(char) > 127) - invalid
    if valid > invalid * 2:
        return "utf-8"
    high = bytes(b for b in sample if b >= 0x80)
    scores = {}
    for encoding in ("cp1252", "cp850"):
        text = high.decode(encoding, errors="replace")
        scores[encoding] = sum(1 for char in text if char in _FRENCH_LETTERS)
    return "cp850" if scores["cp850"] > scores["cp1252"] else "cp1252"


def sniff_delimiter(header_line: str) -> str:
    """The separator used most in the header line (outside quotes)."""
    outside = []
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    text = "".join(outside)
    counts = {delimiter: text.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def open_table(path: Path | str, *, encoding: str | None = None) -> Table:
    """Look at the file and return how to read it; raises ImportFileError on a bad file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_SIZE)
    except OSError as error:
        raise ImportFileError(
            _("Fichier illisible : %(error)s") % {"error": error.strerror}
        ) from None
    if not sample.strip():
        raise ImportFileError(_("Le fichier est vide."))
    if sample.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if sample.startswith(_UTF16_BOMS):
        encoding = "utf-16"  # the codec reads the mark and the byte order from it
        header_text = _utf16_first_line(sample)
    else:
        if b"\x00" in sample:
            raise ImportFileError(_binary_message(sample))
        encoding = encoding or detect_encoding(sample)
        with path.open("rb") as handle:
            first = handle.readline(SAMPLE_SIZE)
        try:
            header_text = first.decode(encoding)
        except UnicodeDecodeError:
            raise ImportFileError(
                _("La ligne d'en-tête n'est pas lisible dans l'encodage %(encoding)s.")
                % {"encoding": encoding}
            ) from None
    delimiter = sniff_delimiter(header_text)
    csv.field_size_limit(max_cell_chars())
    try:
        headers = [
            h.strip()
            for h in next(csv.reader([header_text.rstrip("\r\n")], delimiter=delimiter), [])
        ]
    except csv.Error as error:
        raise ImportFileError(
            _("La ligne d'en-tête est mal formée (%(error)s).") % {"error": error}
        ) from None
    _check_columns(len(headers))
    if len(headers) < 2:
        raise ImportFileError(
            _(
                "Impossible de trouver les colonnes : une seule colonne dans l'en-tête (séparateur attendu « ; », « , » ou tabulation)."
            )
        )
    if any(not _printable(h) for h in headers):
        raise ImportFileError(
            _(
                "L'en-tête contient des caractères illisibles : ce n'est pas un fichier texte lisible."
            )
        )
    return Table(path=path, format="csv", headers=headers, encoding=encoding, delimiter=delimiter)


def _utf16_first_line(sample: bytes) -> str:
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    try:
        text = decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        raise ImportFileError(
            _("La ligne d'en-tête n'est pas lisible dans l'encodage %(encoding)s.")
            % {"encoding": "utf-16"}
        ) from None
    return text.splitlines()[0] if text else ""


def _open_xlsx(path: Path) -> Table:
    try:
        facts = check_workbook(path)
    except WorkbookRefused as error:
        raise ImportFileError(
            _("Classeur refusé : %(reason)s.") % {"reason": error.message}
        ) from None
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - installed with the project
        raise ImportFileError(_("Lecture XLSX indisponible.")) from None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types on broken zips: one message for all
        raise ImportFileError(_("Ce classeur XLSX est illisible ou endommagé.")) from None
    try:
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(values_only=True), None)
    except Exception:  # a part that does not parse (entities, bad XML): one message
        raise ImportFileError(_("Ce classeur XLSX est illisible ou endommagé.")) from None
    finally:
        workbook.close()
    if not first:
        raise ImportFileError(_("Le classeur est vide."))
    headers = [_cell_text(value).strip() for value in first]
    while headers and not headers[-1]:
        headers.pop()
    _check_columns(len(headers))
    if any(len(header) > max_cell_chars() for header in headers):
        raise ImportFileError(
            _("Un en-tête dépasse %(limit)s caractères.") % {"limit": max_cell_chars()}
        )
    if len(headers) < 2:
        raise ImportFileError(
            _("Impossible de trouver les colonnes dans la première ligne du classeur.")
        )
    return Table(path=path, format="xlsx", headers=headers, last_row=facts.last_row)
