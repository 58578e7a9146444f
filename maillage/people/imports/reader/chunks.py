"""CSV rows, decoded line by line, and byte ranges of a CSV read apart by parallel workers."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from django.utils.translation import gettext as _

from maillage.core.spreadsheets import max_cell_chars
from maillage.people.imports.reader.checks import ImportFileError

csv.field_size_limit(1024 * 1024)


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
