"""People import: a generated 1,000,000-row REU roll imported end to end on PostgreSQL and SQLite.

Each import runs `maillage import_people` in a subprocess (fresh database, `DATABASE_URL` set), so
wall time and peak memory (`RUSAGE_CHILDREN` max RSS: the largest child process) are the command's own. The
baseline, in the same run on the same file: PostgreSQL COPY of the flat file into a bare table
with two indexes; SQLite `executemany` of the parsed rows into such a table. The likely-duplicate
search that follows an import (`--no-dedupe` here) is not part of these figures.
`MAILLAGE_BENCH_ROWS=100000` for a quick run.
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
PG_BENCH = "postgres://postgres@127.0.0.1:5432/maillage_bench"
MAILLAGE = str(Path(sys.executable).with_name("maillage"))


def _run(arguments: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB, and stdout of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        arguments, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    # communicate() has reaped the child; ru_maxrss of our children is then at least its peak.
    import resource

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if process.returncode:
        raise RuntimeError(f"{' '.join(arguments)} failed: {stderr[-2000:]}")
    return elapsed, peak, stdout


def _import(path: Path, database_url: str) -> tuple[float, float, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAILLAGE_DEV": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    _run([MAILLAGE, "migrate", "-v0"], env)
    return _run(
        [
            MAILLAGE,
            "import_people",
            str(path),
            "--preset",
            "reu",
            "--source",
            "bench",
            "--no-dedupe",
        ],
        env,
    )


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


def _pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as connection:
            connection.execute("DROP DATABASE IF EXISTS maillage_bench")
            connection.execute("CREATE DATABASE maillage_bench")
        return True
    except Exception as error:  # noqa: BLE001 - any failure means: skip PostgreSQL, say why
        print(f"  PostgreSQL skipped: {error}", flush=True)
        return False


def _pg_drop() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS maillage_bench WITH (FORCE)")


def run(report) -> None:  # type: ignore[no-untyped-def]
    rows = int(os.environ.get("MAILLAGE_BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="maillage-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "roll.csv"
        started = time.perf_counter()
        write_roll(path, rows=rows, seed=2026, commune="13999", stations=max(rows // 1000, 1))
        print(
            f"  generated {rows:,} REU rows in {time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:.0f} MB)",
            flush=True,
        )
        peaks = []
        if _pg_reachable():
            try:
                elapsed, peak, output = _import(path, PG_BENCH)
                peaks.append(peak)
                print("  " + output.strip().splitlines()[-1], flush=True)
                baseline = _pg_baseline(path)
                report.figure(
                    f"people import {rows // 1000:,}k REU rows (PostgreSQL)", value=rows / elapsed, unit="rows/s",
                    baseline=rows / baseline, target="≥ 100,000 rows/s",
                )  # fmt: skip
                elapsed, _peak, _output = _run(
                    [
                        MAILLAGE,
                        "import_people",
                        str(path),
                        "--preset",
                        "reu",
                        "--source",
                        "bench",
                        "--no-dedupe",
                    ],
                    {
                        **os.environ,
                        "DATABASE_URL": PG_BENCH,
                        "MAILLAGE_DEV": "1",
                        "DJANGO_SETTINGS_MODULE": "config.settings",
                    },
                )
                report.figure(
                    "people re-import, nothing changed (PostgreSQL)",
                    value=rows / elapsed,
                    unit="rows/s",
                    baseline=rows / baseline,
                )
            finally:
                _pg_drop()
        database = folder / "bench.sqlite3"
        elapsed, peak, output = _import(path, f"sqlite:///{database}")
        peaks.append(peak)
        print("  " + output.strip().splitlines()[-1], flush=True)
        baseline = _sqlite_baseline(path, folder)
        report.figure(
            f"people import {rows // 1000:,}k REU rows (SQLite)", value=rows / elapsed, unit="rows/s",
            baseline=rows / baseline, target="≥ 25,000 rows/s",
        )  # fmt: skip
        report.figure(
            "people import peak memory (largest import process)",
            value=max(peaks),
            unit="MB",
            target="< 300 MB",
            higher_is_better=False,
        )
