"""Streaming reader for the files people imports accept: CSV (UTF-8 with or without BOM,
CP1252/ISO-8859-1, CP850; `;`, `,` or tab) and XLSX.

The file is never loaded whole: CSV is decoded line by line (a line that does not decode is
reported as a rejected row instead of failing the file), XLSX is read with openpyxl's
read-only mode. Problems with the file itself raise `ImportFileError` with a French message.
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

from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError

SAMPLE_SIZE = 256 * 1024
DELIMITERS = (";", "\t", ",")
# Letters a French list is written with: the encoding that turns the high bytes into these wins.
_FRENCH_LETTERS = frozenset("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ")

csv.field_size_limit(1024 * 1024)


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (format, encoding, no header)."""


@dataclass
class Table:
    path: Path
    format: str  # "csv" or "xlsx"
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
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
    if b"\x00" in sample:
        raise ImportFileError(
            _("Ce fichier n'est ni un CSV ni un classeur XLSX (contenu binaire).")
        )
    encoding = encoding or detect_encoding(sample)
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        header_text = first.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileError(
            _("La ligne d'en-tête n'est pas lisible dans l'encodage %(encoding)s.")
            % {"encoding": encoding}
        ) from None
    delimiter = sniff_delimiter(header_text)
    headers = [
        h.strip() for h in next(csv.reader([header_text.rstrip("\r\n")], delimiter=delimiter))
    ]
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
    finally:
        workbook.close()
    if not first:
        raise ImportFileError(_("Le classeur est vide."))
    headers = [_cell_text(value).strip() for value in first]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) < 2:
        raise ImportFileError(
            _("Impossible de trouver les colonnes dans la première ligne du classeur.")
        )
    return Table(path=path, format="xlsx", headers=headers)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str], str]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        width = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number == 1:
                width = len([v for v in values if v is not None]) or len(values)
                continue
            row = [_cell_text(value) for value in values]
            while len(row) > (width or 0) and not row[-1]:
                row.pop()
            if not any(row):
                continue
            yield number, row, ""
    finally:
        workbook.close()
