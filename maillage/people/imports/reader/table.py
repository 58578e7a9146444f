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
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError
from maillage.core.spreadsheets import WorkbookRefused, check_workbook, max_cell_chars

SAMPLE_SIZE = 256 * 1024
DELIMITERS = (";", "\t", ",")
# Letters a French list is written with: the encoding that turns the high bytes into these wins.
_FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ")

csv.field_size_limit(1024 * 1024)
# Excel's "Unicode text": UTF-16 with a byte-order mark, usually tab-separated.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# What a cell of a row rejected for its length keeps in the rejected-rows file.
_KEPT_OF_LONG_CELL = 1000


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (format, encoding, no header)."""


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


def _binary_message(sample: bytes) -> str:
    """Null bytes: UTF-16 without its byte-order mark (a zero every other byte), or not text."""
    head = sample[:4096]
    even, odd = head[0::2], head[1::2]
    zeros = sorted((even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)))
    if zeros[1] > 0.5 and zeros[0] < 0.1:  # Latin text in UTF-16: one byte of two is zero
        return _(
            "Ce fichier semble être en UTF-16 sans marque d'ordre des octets (BOM) : "
            "enregistrez-le en UTF-8, ou en UTF-16 avec BOM (« Texte Unicode » d'Excel)."
        )
    return _(
        "Ce fichier n'est ni un CSV ni un classeur XLSX (contenu binaire) ; un CSV est attendu "
        "en UTF-8, CP1252, ISO-8859-1, CP850, ou en UTF-16 avec BOM."
    )


def _check_columns(count: int) -> None:
    limit = int(settings.MAILLAGE_IMPORT_MAX_COLUMNS)
    if count > limit:
        raise ImportFileError(
            _("Le fichier a %(count)s colonnes, %(limit)s au plus.")
            % {"count": count, "limit": limit}
        )


def _printable(text: str) -> bool:
    return all(char.isprintable() for char in text)


def _decoded_lines(
    path: Path,
    encoding: str,
    bad_lines: set[int],
    *,
    start: int = 0,
    end: int | None = None,
    lines_before: int = 0,
) -> Iterator[str]:
    """Lines as text, decoded a megabyte at a time (one decode call per chunk, not per line),
    from byte `start` to `end` (`lines_before`: physical lines before `start`).

    A chunk that does not decode is decoded again line by line: the lines that fail are
    replaced (so the row can still be reported) and their numbers noted."""
    if encoding.startswith("utf-16"):
        yield from _utf16_lines(path, encoding)
        return
    decoding_bom = encoding == "utf-8-sig"
    encoding = "utf-8" if decoding_bom else encoding
    number = lines_before  # lines before the current chunk
    left = None if end is None else end - start
    rest = b""
    with path.open("rb") as handle:
        handle.seek(start)
        while True:
            block = handle.read(1 << 20 if left is None else min(1 << 20, left))
            if left is not None:
                left -= len(block)
            data = rest + block
            if not data:
                return
            if block:
                cut = data.rfind(b"\n") + 1
                if not cut:
                    rest = data
                    continue
                chunk, rest = data[:cut], data[cut:]
            else:
                chunk, rest = data, b""
            if decoding_bom and number == 0 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            try:
                text = chunk.decode(encoding)
            except UnicodeDecodeError:
                lines = []
                for offset, raw in enumerate(chunk.splitlines(keepends=True), start=number + 1):
                    try:
                        lines.append(raw.decode(encoding))
                    except UnicodeDecodeError:
                        bad_lines.add(offset)
                        lines.append(raw.decode(encoding, errors="replace"))
                text = "".join(lines)
            number += chunk.count(b"\n")
            yield from io.StringIO(text, newline="")
            if not block:
                return


def _utf16_lines(path: Path, encoding: str) -> Iterator[str]:
    """A UTF-16 file's lines, decoded a megabyte at a time (never the whole file in memory);
    a UTF-16 file holding bytes that do not decode is refused (it is not a text file)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    rest = ""
    lines = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(1 << 20)
            try:
                text = rest + decoder.decode(block, final=not block)
            except UnicodeDecodeError:
                raise ImportFileError(
                    _("Octets illisibles en UTF-16 après la ligne %(line)s.") % {"line": lines}
                ) from None
            if not block:
                if text:
                    yield text
                return
            cut = text.rfind("\n") + 1
            text, rest = text[:cut], text[cut:]
            if text:
                lines += text.count("\n")
                yield from io.StringIO(text, newline="")


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str], str]]:
    """(line number, fields, problem) row by row: the batches of `_csv_batches`, unpacked."""
    for numbers, rows, problems in _csv_batches(path, encoding, delimiter, 1000):
        for position, (number, row) in enumerate(zip(numbers, rows, strict=True)):
            yield number, row, problems.get(position, "")


@dataclass
class ReadState:
    """How reading a range ended: `stopped` on a malformed line (reading stops there, as it
    does for the whole file); `cut_in_quotes` when the range ended inside a quoted field, so
    `csv_chunks` cut it in the wrong place (a stray quote fooled its count): the caller reads
    on from the range's start in one piece."""

    stopped: bool = False
    cut_in_quotes: bool = False


# A line the reader of a range appends after the range's last line: read back as a row of its
# own, it proves the range ended outside any quoted field; swallowed into a field, it shows
# that the cut fell inside one.
_END_OF_RANGE = "\x1e\x1f end of range \x1f\x1e"


def _csv_batches(
    path: Path,
    encoding: str,
    delimiter: str,
    size: int,
    *,
    chunk: Chunk | None = None,
    state: ReadState | None = None,
) -> Iterator[tuple[list[int], list[list[str]], dict[int, str]]]:
    """The data rows in batches, without a generator step per row (a million-row roll): the whole
    file after its header, or only the records of `chunk`. With a `state`, a range is checked
    to have been cut outside quoted fields (`ReadState.cut_in_quotes`)."""
    bad_lines: set[int] = set()
    check_cut = chunk is not None and state is not None  # a range read by a worker
    state = state if state is not None else ReadState()
    lines: Iterator[str]
    if chunk is None:
        lines = _decoded_lines(path, encoding, bad_lines)
        offset = 0  # reader.line_num counts from the top of the file
    else:
        decoded = _decoded_lines(
            path,
            encoding,
            bad_lines,
            start=chunk.start,
            end=chunk.end,
            lines_before=chunk.first_line - 1,
        )
        lines = chain(decoded, [_END_OF_RANGE + "\n"]) if check_cut else decoded
        offset = chunk.first_line - 1
    end_of_range = [_END_OF_RANGE]
    csv.field_size_limit(max_cell_chars())
    reader = csv.reader(lines, delimiter=delimiter)
    undecodable = _("octets illisibles dans l'encodage %(encoding)s") % {"encoding": encoding}
    if chunk is None and next(reader, None) is None:  # header
        return
    line = offset + reader.line_num
    while True:
        numbers: list[int] = []
        rows: list[list[str]] = []
        problems: dict[int, str] = {}
        taken = 0
        try:
            for row in islice(reader, size):
                taken += 1
                start = line + 1
                line = offset + reader.line_num
                if row:
                    numbers.append(start)
                    rows.append(row)
        except csv.Error as error:
            problems[len(rows)] = _("ligne CSV mal formée (%(error)s) : lecture arrêtée") % {
                "error": error
            }
            numbers.append(offset + reader.line_num)
            rows.append([])
            taken = -1  # reading stops here
            state.stopped = True
        if bad_lines:
            problems.update(
                (i, undecodable) for i, number in enumerate(numbers) if number in bad_lines
            )
        if check_cut and 0 <= taken < size:  # the range's last batch
            if rows and rows[-1] == end_of_range:
                del rows[-1], numbers[-1]
            else:
                state.cut_in_quotes = True
        if numbers:
            yield numbers, rows, problems
        if taken < size:
            return


@dataclass(frozen=True)
class Chunk:
    """A byte range of a CSV's data rows that begins and ends on a record boundary."""

    start: int
    end: int
    first_line: int  # physical line number of its first record (the header is line 1)


def csv_chunks(path: Path | str, size: int, *, limit: int = 64 << 20) -> Iterator[Chunk]:
    """Cut the data rows of a CSV into ranges of about `size` bytes, for reading in parallel.

    A cut is made only after a newline preceded by an even number of quote characters: outside
    any quoted field, provided every quote of the file opens or closes a field (`ReadState`
    tells a reader of a range when a cell holds a quote, and the caller then reads on in one
    piece). Bytes are enough: `"` and newline are single bytes in every accepted encoding. A
    range that finds no cut within `limit` bytes ends the cutting: the last range runs to the
    end of the file."""
    path = Path(path)
    with path.open("rb") as handle:
        start = len(handle.readline())  # the header
        line = 2
        buffer = b""
        while True:
            block = handle.read(size)
            buffer += block
            if not block or len(buffer) > limit:
                if buffer:
                    yield Chunk(start, path.stat().st_size, line)
                return
            cut = _even_cut(buffer)
            if cut:
                yield Chunk(start, start + cut, line)
                line += buffer.count(b"\n", 0, cut)
                start += cut
                buffer = buffer[cut:]


def _even_cut(data: bytes) -> int:
    """The position after the last newline of `data` that an even number of quotes precedes
    (counted from the start of `data`, which is itself such a position), or 0."""
    newline = data.rfind(b"\n")
    if newline < 0:
        return 0
    quotes = data.count(b'"', 0, newline)
    while quotes % 2:
        previous = data.rfind(b"\n", 0, newline)
        if previous < 0:
            return 0
        quotes -= data.count(b'"', previous, newline)
        newline = previous
    return newline + 1


def _grouped(
    rows: Iterator[tuple[int, list[str], str]], size: int
) -> Iterator[tuple[list[int], list[list[str]], dict[int, str]]]:
    while chunk := list(islice(rows, size)):
        yield (
            [number for number, _row, _problem in chunk],
            [row for _number, row, _problem in chunk],
            {i: problem for i, (_n, _r, problem) in enumerate(chunk) if problem},
        )


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
