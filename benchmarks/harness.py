"""What the benchmarks share: a measuring subprocess that prints one RESULT line, and the
PostgreSQL server's admin connection for the throwaway databases they create and drop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def worker_env(database_url: str) -> dict[str, str]:
    """This process's environment on `database_url` with the test settings."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
    }


def run_worker(module: str, *args: str, env: dict[str, str], flag: str = "--worker") -> Any:
    """Run `python -m benchmarks.<module> <flag> <args>` and return its RESULT line's JSON."""
    completed = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", flag, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    raise RuntimeError(f"{module} {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")


def pg_admin(sql: str) -> None:
    """One statement on the server's admin database, outside a transaction (CREATE/DROP)."""
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)
