"""People import: a generated 1,000,000-row REU roll imported end to end on PostgreSQL and SQLite.

Each import runs `maillage import_people` in a subprocess (fresh database, `DATABASE_URL` set), so
wall time and peak memory (`RUSAGE_CHILDREN` max RSS: the largest child process) are the command's own. The
baseline, in the same run on the same file: PostgreSQL COPY of the flat file into a bare table
with two indexes; SQLite `executemany` of the parsed rows into such a table. On PostgreSQL a
second figure isolates the database's own share of the import: the people rows as the import
wrote them (dumped with COPY TO), COPYed into an empty `people_person` of a fresh database in
one transaction with its secondary indexes dropped and rebuilt, as the import does. No Python
touches a row there, so no import of this schema can beat it on this machine.

The command runs the likely-duplicate search among the new people after the import, as users
run it: the first load is measured twice on each database, on a fresh database each time, with
the search (the command's default: its wall time is when the user gets the prompt back) and
without it (`--no-dedupe`). The re-import and the database's share are measured without it.

`MAILLAGE_BENCH_ROWS=100000` for a quick run; `MAILLAGE_BENCH_BIN=/path/to/.venv/bin/maillage`
runs another checkout's command on the same file with the same baselines (before and after a
change, in one run); `MAILLAGE_BENCH_DB=name` names the PostgreSQL databases (default
`maillage_bench`, and `<name>_share`).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from maillage.people.imports.generator import write_roll
from maillage.people.imports.presets import REU_HEADERS

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = os.environ.get("MAILLAGE_BENCH_DB", "maillage_bench")
SHARE_DB = f"{BENCH_DB}_share"
PG_BENCH = f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
PG_SHARE = f"postgres://postgres@127.0.0.1:5432/{SHARE_DB}"
MAILLAGE = os.environ.get("MAILLAGE_BENCH_BIN") or str(Path(sys.executable).with_name("maillage"))
MAILLAGE_BIN_NOTE = bool(os.environ.get("MAILLAGE_BENCH_BIN"))
# The checkout whose command runs (its own settings and code).
CHECKOUT = Path(MAILLAGE).parents[2]


def _run(arguments: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (the process or its largest descendant: the import's
    workers), and stdout of one child process."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(arguments, env=env, stdout=stdout, stderr=stderr, cwd=CHECKOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode:
            raise RuntimeError(f"{' '.join(arguments)} failed: {stderr.read()[-2000:]}")
        return elapsed, usage.ru_maxrss / 1024, stdout.read()


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAILLAGE_DEV": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def _import_people(path: Path, database_url: str, *, dedupe: bool) -> tuple[float, float, str]:
    """One `import_people` of the roll; with `dedupe` the command's default search included."""
    arguments = [MAILLAGE, "import_people", str(path), "--preset", "reu", "--source", "bench"]
    return _run(arguments if dedupe else [*arguments, "--no-dedupe"], _env(database_url))


def _import(path: Path, database_url: str, *, dedupe: bool = False) -> tuple[float, float, str]:
    """Migrate a fresh database, then import the roll into it."""
    _run([MAILLAGE, "migrate", "-v0"], _env(database_url))
    return _import_people(path, database_url, dedupe=dedupe)


def _sqlite_baseline(path: Path, folder: Path) -> float:
    database = sqlite3.connect(folder / "baseline.sqlite3")
    columns = ", ".join(f"c{i} text" for i in range(len(REU_HEADERS)))
    database.execute(f"CREATE TABLE roll ({columns})")
    database.execute("CREATE INDEX roll_station ON roll (c21, c26)")
    database.execute("CREATE INDEX roll_name ON roll (c3)")
    placeholders = ", ".join("?" for _ in REU_HEADERS)
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) >= 20_000:
                database.executemany(f"INSERT INTO roll VALUES ({placeholders})", batch)
                batch.clear()
        database.executemany(f"INSERT INTO roll VALUES ({placeholders})", batch)
    database.commit()
    elapsed = time.perf_counter() - started
    database.close()
    return elapsed


def _pg_baseline(path: Path) -> float:
    import psycopg

    with psycopg.connect(PG_BENCH, autocommit=True) as connection:
        columns = ", ".join(f"c{i} text" for i in range(len(REU_HEADERS)))
        connection.execute("DROP TABLE IF EXISTS roll_baseline")
        connection.execute(f"CREATE TABLE roll_baseline ({columns})")
        connection.execute("CREATE INDEX roll_baseline_station ON roll_baseline (c21, c26)")
        connection.execute("CREATE INDEX roll_baseline_name ON roll_baseline (c3)")
        started = time.perf_counter()
        with (
            connection.transaction(),
            connection.cursor() as cursor,
            cursor.copy(
                "COPY roll_baseline FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE roll_baseline")
    return elapsed


def _pg_dump_people(path: Path) -> None:
    """The people rows of the bench database, in the columns and COPY text the import streams."""
    import psycopg

    from maillage.people.imports.writer import DIRECT_COLUMNS

    with (
        psycopg.connect(PG_BENCH) as connection,
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY (SELECT {', '.join(DIRECT_COLUMNS)} FROM people_person ORDER BY id) TO STDOUT"
        ) as copy,
        path.open("wb") as handle,
    ):
        for data in copy:
            handle.write(data)


def _pg_database_share(dump: Path) -> float:
    """Seconds PostgreSQL alone needs to store the import's rows: COPY of the dump into an empty
    people table whose secondary indexes are dropped first and rebuilt after, one transaction."""
    import psycopg

    from maillage.people.imports.writer import DIRECT_COLUMNS

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SHARE_DB}")
        connection.execute(f"CREATE DATABASE {SHARE_DB}")
    try:
        _run([MAILLAGE, "migrate", "-v0"], _env(PG_SHARE))
        with psycopg.connect(PG_SHARE) as connection, connection.cursor() as cursor:
            connection.commit()
            started = time.perf_counter()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'people_person' AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            with (
                cursor.copy(f"COPY people_person ({', '.join(DIRECT_COLUMNS)}) FROM STDIN") as copy,
                dump.open("rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("ANALYZE people_person (id)")
            connection.commit()
            return time.perf_counter() - started
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {SHARE_DB} WITH (FORCE)")


def _pg_fresh() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")


def _pg_reachable() -> bool:
    try:
        _pg_fresh()
        return True
    except Exception as error:  # noqa: BLE001 - any failure means: skip PostgreSQL, say why
        print(f"  PostgreSQL skipped: {error}", flush=True)
        return False


def _pg_drop() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        # PostgreSQL would otherwise write out the gigabyte of the runs above in the background
        # while the SQLite figures are taken on the same two cores and disk.
        connection.execute("CHECKPOINT")


def _summary(output: str) -> str:
    lines = output.strip().splitlines()
    return lines[-1] if lines else ""


def run(report) -> None:  # type: ignore[no-untyped-def]
    rows = int(os.environ.get("MAILLAGE_BENCH_ROWS", "1000000"))
    size = f"{rows // 1000:,}k"
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "roll.csv"
        started = time.perf_counter()
        write_roll(path, rows=rows, seed=2026, commune="13999", stations=max(rows // 1000, 1))
        print(
            f"  generated {rows:,} REU rows in {time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.0f} MB)",
            flush=True,
        )
        if MAILLAGE_BIN_NOTE:
            print(f"  command: {MAILLAGE}", flush=True)
        peaks, search_peaks = [], []
        if _pg_reachable():
            try:
                elapsed, peak, output = _import(path, PG_BENCH)
                first_elapsed = elapsed
                peaks.append(peak)
                print("  " + _summary(output), flush=True)
                baseline = _pg_baseline(path)
                report.figure(
                    f"people import {size} REU rows, no duplicate search (PostgreSQL)",
                    value=rows / elapsed,
                    unit="rows/s",
                    baseline=rows / baseline,
                    target="≥ 100,000 rows/s",
                )
                elapsed, _peak, _output = _import_people(path, PG_BENCH, dedupe=False)
                report.figure(
                    "people re-import, nothing changed (PostgreSQL)",
                    value=rows / elapsed,
                    unit="rows/s",
                    baseline=rows / baseline,
                )
                dump = folder / "people.copy"
                _pg_dump_people(dump)
                share = _pg_database_share(dump)
                dump.unlink()
                report.figure(
                    "PostgreSQL's own share: the import's rows COPYed, indexes rebuilt, no Python",
                    value=rows / share,
                    unit="rows/s",
                    baseline=rows / baseline,
                )
                report.figure(
                    "people import (PostgreSQL) against that share",
                    value=rows / first_elapsed,
                    unit="rows/s",
                    baseline=rows / share,
                )
                _pg_fresh()
                elapsed, peak, output = _import(path, PG_BENCH, dedupe=True)
                search_peaks.append(peak)
                print("  " + _summary(output), flush=True)
                report.figure(
                    f"people import {size} REU rows with the duplicate search (PostgreSQL)",
                    value=rows / elapsed,
                    unit="rows/s",
                    baseline=rows / baseline,
                )
            finally:
                _pg_drop()
        elapsed, peak, output = _import(path, f"sqlite:///{folder / 'bench.sqlite3'}")
        peaks.append(peak)
        print("  " + _summary(output), flush=True)
        baseline = _sqlite_baseline(path, folder)
        report.figure(
            f"people import {size} REU rows, no duplicate search (SQLite)",
            value=rows / elapsed,
            unit="rows/s",
            baseline=rows / baseline,
            target="≥ 25,000 rows/s",
        )
        (folder / "bench.sqlite3").unlink()
        elapsed, peak, output = _import(
            path, f"sqlite:///{folder / 'bench-search.sqlite3'}", dedupe=True
        )
        search_peaks.append(peak)
        print("  " + _summary(output), flush=True)
        report.figure(
            f"people import {size} REU rows with the duplicate search (SQLite)",
            value=rows / elapsed,
            unit="rows/s",
            baseline=rows / baseline,
        )
        report.figure(
            "people import peak memory (largest import process, no duplicate search)",
            value=max(peaks),
            unit="MB",
            target="< 300 MB",
            higher_is_better=False,
        )
        report.figure(
            "people import peak memory with the duplicate search",
            value=max(search_peaks),
            unit="MB",
            higher_is_better=False,
        )
