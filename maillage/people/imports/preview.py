"""What the mapping screen shows: the headers, the first rows, and the mapping to start from."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from maillage.people.imports import presets
from maillage.people.imports.reader import open_table
from maillage.people.models import ImportJob, ImportMapping

# The mapping screen shows the beginning of each sample cell: a cell may hold a megabyte.
PREVIEW_CELL_CHARS = 200
PREVIEW_COLUMNS = 1000


def _sample(cell: str) -> str:
    return cell if len(cell) <= PREVIEW_CELL_CHARS else cell[:PREVIEW_CELL_CHARS] + "…"


@dataclass
class Preview:
    headers: list[str]
    rows: list[list[str]]
    preset: str
    mapping: dict[str, str]
    saved: bool  # the mapping comes from an earlier import of the same source
    encoding: str
    delimiter: str


def import_job_preview(*, job: ImportJob, rows: int = 10) -> Preview:
    table = open_table(job.stored_path)
    preset = job.preset or presets.detect_preset(table.headers)
    saved = False
    if preset == presets.GENERIC:
        stored = ImportMapping.objects.filter(source=job.source).first()
        if stored and set(stored.mapping) & set(table.headers):
            mapping = {header: stored.mapping.get(header, "") for header in table.headers}
            saved = True
        else:
            mapping = presets.guess_mapping(table.headers)
    else:
        mapping = presets.mapping_for(preset=preset, headers=table.headers)
    first = [
        [_sample(cell) for cell in row[:PREVIEW_COLUMNS]]
        for _line, row, _problem in islice(table.rows(), rows)
    ]
    return Preview(
        headers=table.headers,
        rows=first,
        preset=preset,
        mapping=mapping,
        saved=saved,
        encoding=table.encoding,
        delimiter={";": "« ; »", ",": "« , »", "\t": "tabulation"}.get(
            table.delimiter, table.delimiter
        ),
    )
