"""data.gouv.fr CSV/TXT tables, read as a stream with the `csv` module, in whatever encoding they came.

Encodings seen in official files: UTF-8 (2024 per bureau), ISO-8859-1/CP1252 (2022 tables) and
CP850 (the 2024 XML-derived CSV, where "é" is byte 0x82). Latin-1 never fails to decode, so a
wrong guess gives mojibake silently: the guess is made on the bytes (see `detect_encoding`).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from maillage.core.spreadsheets import max_cell_chars
from maillage.elections.importers.base import (
    ParsedArea,
    ParsedFile,
    ResultFileError,
    round_from_name,
)
from maillage.elections.importers.tabular import areas_from_rows, layout_from_headers

SAMPLE_SIZE = 1 << 20
ENCODINGS = ("utf-8", "cp1252", "iso-8859-1", "cp850")
# Bytes CP850 uses for French lower-case accents (é è à ç ê ë î ï ô û ù ü â É …): in CP1252 the
# same bytes are rare punctuation, and in ISO-8859-1 they are control characters.
_CP850_ACCENTS = frozenset(range(0x80, 0xA6))
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def detect_encoding(sample: bytes) -> str:
    """UTF-8 when the bytes decode as UTF-8; otherwise CP850 or CP1252 by where the accents fall."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A sample cut in the middle of a multi-byte character is still UTF-8.
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"
    high = [byte for byte in sample if byte >= 0x80]
    dos = sum(1 for byte in high if byte in _CP850_ACCENTS)
    if high and dos * 2 > len(high):
        return "cp850"
    # ISO-8859-1 text is read as CP1252 (same letters, and CP1252 names most 0x80-0x9F bytes),
    # unless it holds one of the five bytes CP1252 leaves undefined.
    return "iso-8859-1" if any(byte in _CP1252_UNDEFINED for byte in high) else "cp1252"


def detect_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t", "|")}
    return max(counts, key=lambda delimiter: counts[delimiter])


def parse_csv(
    path: Path, *, encoding: str | None = None, source: str | None = None
) -> tuple[ParsedFile, Iterator[ParsedArea]]:
    source = source or path.name
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_SIZE)
    if not sample.strip():
        raise ResultFileError(_("%(source)s : le fichier est vide") % {"source": source})
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not encoding:
        encoding = "utf-16"  # Excel's "Unicode text": the codec reads the byte order from the mark
    elif b"\x00" in sample[:4096] and not (encoding or "").lower().startswith("utf-16"):
        raise ResultFileError(
            _(
                "%(source)s : ce n'est pas un fichier texte (CSV) ; encodages attendus : UTF-8, "
                "CP1252, ISO-8859-1, CP850, ou UTF-16 avec sa marque d'ordre des octets (BOM)"
            )
            % {"source": source}
        )
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ResultFileError(
                _("encodage inconnu « %(encoding)s »") % {"encoding": encoding}
            ) from None
    chosen = encoding or detect_encoding(sample)
    info = ParsedFile(format="csv", encoding=chosen, round_hint=round_from_name(source))
    return info, _areas(path, chosen, source, info)


def _areas(path: Path, encoding: str, source: str, info: ParsedFile) -> Iterator[ParsedArea]:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        line = 1
        try:
            header_line = text.readline(SAMPLE_SIZE)
            delimiter = detect_delimiter(header_line)
            csv.field_size_limit(max_cell_chars())
            headers = next(csv.reader([header_line], delimiter=delimiter), [])
            limit = int(settings.MAILLAGE_IMPORT_MAX_COLUMNS)
            if len(headers) > limit:
                raise ResultFileError(
                    _("%(source)s ligne 1 : %(count)s colonnes, %(limit)s au plus")
                    % {"source": source, "count": len(headers), "limit": limit}
                )
            layout = layout_from_headers(headers, where=f"{source} ligne 1")
            info.layout = layout.description
            reader = csv.reader(text, delimiter=delimiter)

            def rows() -> Iterator[tuple[int, list[str]]]:
                nonlocal line
                for row in reader:
                    line = reader.line_num + 1
                    yield line, row

            yield from areas_from_rows(rows(), layout, source=source)
        except UnicodeDecodeError:
            raise ResultFileError(
                _(
                    "%(source)s ligne %(line)s : caractères illisibles en %(encoding)s (encodage mélangé ?)"
                )
                % {"source": source, "line": line + 1, "encoding": encoding}
            ) from None
        except csv.Error as error:
            raise ResultFileError(
                _("%(source)s ligne %(line)s : CSV mal formé (%(error)s)")
                % {"source": source, "line": line, "error": error}
            ) from None
