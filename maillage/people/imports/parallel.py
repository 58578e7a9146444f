"""Reading and converting a big CSV in worker processes, one byte range each (`csv_chunks`).

The machine a campaign runs on has a few cores, and a million-row roll spends most of its time
in Python, parsing and normalising cells: worker processes read and convert ranges of the file
while the main process writes what comes back, in file order, so the outcome is the same as
reading it in one piece (same rows, same line numbers, same rejections, same station labels).
A range cut inside a quoted field (a stray quote can fool the cutting) is detected at its end:
its result and every later one are dropped, and the main process reads on from there itself.

Workers are started with `spawn` (a fresh interpreter: nothing of the parent's database
connections is inherited) and never touch the database. In direct mode (see the writer) they
also route each row and format the COPY text of the rows that go straight to `people_person`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.conf import settings

from maillage.people.imports.reader import Chunk, ReadState, Table, csv_chunks, open_table

if TYPE_CHECKING:
    from maillage.people.imports.rows import Ledger, RowConverter
    from maillage.people.imports.writer import DirectRoute

# This module is imported by a new worker before Django is set up (to find `_start_worker`):
# it imports nothing that needs the app registry at import time, and what it sends a worker
# to start with is plain data (the converter and the route are rebuilt there).

# Below this size a file is read in the main process: starting workers costs about a second.
PARALLEL_MIN_BYTES = 32 << 20
CHUNK_BYTES = 4 << 20


@dataclass
class ChunkResult:
    """What a worker made of one range, in line order."""

    chunk: Chunk
    rows: int = 0  # rows read, rejected ones included
    staged: list[tuple] = field(default_factory=list)  # for staging (all rows, unless direct)
    direct: bytes = b""  # COPY text of the rows that go straight to people_person
    direct_rows: int = 0
    direct_identities: list[tuple[int, str, str, int]] = field(default_factory=list)
    direct_last_line: int = 0
    rejected: list[tuple[int, list[str], str]] = field(default_factory=list)
    suppressed: int = 0
    stations: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    state: ReadState = field(default_factory=ReadState)


def import_workers() -> int:
    """How many processes convert a big file: `MAILLAGE_IMPORT_WORKERS`, or with 0 one per
    core, at most 4 (past that the database, not Python, is what waits). 1: no worker."""
    configured = int(getattr(settings, "MAILLAGE_IMPORT_WORKERS", 0) or 0)
    if configured:
        return configured
    return max(min(os.cpu_count() or 1, 4), 1)


def worth_parallel(table: Table, workers: int) -> bool:
    return workers > 1 and table.format == "csv" and table.path.stat().st_size >= PARALLEL_MIN_BYTES


@dataclass(frozen=True)
class ConverterSpec:
    """What a worker needs to build the same converter as the main process."""

    headers: list[str]
    mapping: dict[str, str]
    preset: str
    ledger: Ledger
    language: str


_converter: RowConverter | None = None
_route: DirectRoute | None = None


def _start_worker(
    spec: dict[str, Any], ledger: dict[str, set[str]], route: dict[str, Any] | None
) -> None:
    global _converter, _route
    # As in the main process: the cyclic collector would walk every row again and again, and
    # nothing here makes reference cycles.
    gc.disable()
    import django

    django.setup()
    from django.utils import translation

    from maillage.people.imports.rows import Ledger, RowConverter
    from maillage.people.imports.writer import DirectRoute

    translation.activate(spec["language"])  # rejection reasons in the importer's language
    _converter = RowConverter(
        headers=spec["headers"],
        mapping=spec["mapping"],
        preset=spec["preset"],
        ledger=Ledger(**ledger),
    )
    _route = DirectRoute(**route) if route is not None else None


def _convert_chunk(path: str, chunk: Chunk, batch_size: int) -> ChunkResult:
    converter = _converter
    assert converter is not None, "worker not started"
    table = open_table(path)
    result = ChunkResult(chunk=chunk)
    converter.stations = result.stations  # the labels this range gives, in its line order
    for numbers, batch, problems in table.batches(batch_size, chunk=chunk, state=result.state):
        result.rows += len(batch)
        for position in sorted(problems, reverse=True):
            result.rejected.append((numbers[position], batch[position], problems[position]))
            del numbers[position], batch[position]
        staged, refused, suppressed = converter.convert_rows(numbers, batch)
        result.rejected.extend(refused)
        result.suppressed += suppressed
        if _route is None:
            result.staged.extend(staged)
            continue
        text, identities, kept, last_line = _route.split(staged)
        result.direct += text
        result.direct_rows += len(staged) - len(kept)
        result.direct_identities.extend(identities)
        result.direct_last_line = max(result.direct_last_line, last_line)
        result.staged.extend(kept)
    result.rejected.sort(key=itemgetter(0))
    return result


def convert_in_workers(
    table: Table,
    spec: ConverterSpec,
    *,
    workers: int,
    batch_size: int,
    route: DirectRoute | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[ChunkResult]:
    """The results of every range of the file, in file order. Reading stops after a range that
    ends on a malformed line (as reading in one piece does), and after a range that was cut
    inside a quoted field (`ReadState.cut_in_quotes`): the caller drops that one and reads on
    from its `chunk.start` in one piece."""
    context = multiprocessing.get_context("spawn")
    chunks = csv_chunks(table.path, chunk_bytes)
    pending: deque[Any] = deque()
    plain_spec = {
        "headers": spec.headers,
        "mapping": spec.mapping,
        "preset": spec.preset,
        "language": spec.language,
    }
    plain_route = asdict(route) if route is not None else None
    initargs = (plain_spec, asdict(spec.ledger), plain_route)
    with context.Pool(workers, initializer=_start_worker, initargs=initargs) as pool:
        try:
            while True:
                # At most two ranges per worker in flight: results wait in memory.
                while len(pending) < 2 * workers and (chunk := next(chunks, None)) is not None:
                    pending.append(
                        pool.apply_async(_convert_chunk, (str(table.path), chunk, batch_size))
                    )
                if not pending:
                    return
                result = pending.popleft().get()
                yield result
                if result.state.stopped or result.state.cut_in_quotes:
                    return
        finally:
            pool.terminate()
