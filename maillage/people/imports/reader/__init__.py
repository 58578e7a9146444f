"""Streaming reader for the files people imports accept: CSV and XLSX.

`table` opens a file (`open_table`, `Table`, encoding and delimiter detection), `checks` holds
`ImportFileError` and the header checks, `chunks` the CSV rows and the byte ranges parallel
workers read, `xlsx` the spreadsheet rows. Every name other modules use is here.
"""

from maillage.people.imports.reader.checks import ImportFileError
from maillage.people.imports.reader.chunks import Chunk, ReadState, csv_chunks
from maillage.people.imports.reader.table import (
    DELIMITERS,
    SAMPLE_SIZE,
    Table,
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
