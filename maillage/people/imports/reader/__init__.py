"""Streaming reader for the files people imports accept: CSV and XLSX (see `table`)."""

from maillage.people.imports.reader.table import (
    DELIMITERS,
    SAMPLE_SIZE,
    Chunk,
    ImportFileError,
    ReadState,
    Table,
    csv_chunks,
    detect_encoding,
    open_table,
    sniff_delimiter,
)

__all__ = [
    "DELIMITERS",
    "SAMPLE_SIZE",
    "Chunk",
    "ImportFileError",
    "ReadState",
    "Table",
    "csv_chunks",
    "detect_encoding",
    "open_table",
    "sniff_delimiter",
]
