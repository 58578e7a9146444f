"""Forum at the scale of the 2007 site: 130,000 contributions, 1,000,000 ratings, 55,000 members.

A throwaway PostgreSQL database (`BENCH_PG_DB`, default `maillage_bench_forum`, created then
dropped; `BENCH_BACKENDS=sqlite,postgresql` adds SQLite) is migrated with the real migrations
and filled by `maillage/forum/seed.py` (ids reserved, rows streamed with COPY through
`core/dialect.py`): eight themes, the members, the contributions with their counters and rank
scores, the ratings, and one contribution with a 200-comment thread. Sizes come from
`BENCH_FORUM_MEMBERS`, `BENCH_FORUM_CONTRIBUTIONS`, `BENCH_FORUM_RATINGS`; `BENCH_FORUM_RECOUNT=0`
skips the timing of the reputation recount.

In the same process the benchmark times one rating (`rating_set`: the item's counters and rank,
nothing else) and the periodic reputation recount over every rating. Then gunicorn serves the
production settings with sync workers and `wrk` loads, for BENCH_SECONDS each (default 10),
the bare Django page (50 rows from a template), a theme page (best order, 30 items with their
counts) and the 200-comment contribution page, anonymous, at 32 connections (throughput) and
at 4 connections (median latency), with 2 then 3 sync workers (`BENCH_FORUM_WORKERS`). Targets:
each forum page ≥ 0.5× the bare page's req/s, and p50 < 50 ms at 4 connections.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.bench_pages import _check, _ms, _server_env, _start_server, _stop_server
from benchmarks.harness import pg_admin

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
MEMBERS = int(os.environ.get("BENCH_FORUM_MEMBERS", "55000"))
CONTRIBUTIONS = int(os.environ.get("BENCH_FORUM_CONTRIBUTIONS", "130000"))
RATINGS = int(os.environ.get("BENCH_FORUM_RATINGS", "1000000"))
THREAD = 200
PG_DB = os.environ.get("BENCH_PG_DB", "maillage_bench_forum")
# gunicorn sync workers: 2 (as bench_pages, the measure) and 3 (what
# docs/operations.md advises on 2 cores: a worker waiting on PostgreSQL leaves its core idle).
WORKERS = [int(n) for n in os.environ.get("BENCH_FORUM_WORKERS", "2,3").split(",")]


# --- inside the subprocess -------------------------------------------------------------------


def _setup() -> dict[str, object]:
    from django.core.management import call_command
    from django.db import connection

    from maillage.accounts.models import User
    from maillage.forum.models import Contribution, Theme
    from maillage.forum.seed import forum_seed
    from maillage.forum.services import rating_set, reputation_recompute

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    themes = [
        Theme.objects.create(name=f"Thème {i}", slug=f"theme-{i}", description="Banc d'essai")
        for i in range(1, 9)
    ]
    started = time.perf_counter()
    report = forum_seed(
        themes=themes,
        members=MEMBERS,
        contributions=CONTRIBUTIONS,
        ratings=RATINGS,
        long_thread=THREAD,
        domain="bench.example.org",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded = time.perf_counter() - started
    # One rating at scale: the item's own counters and ranks, whatever the theme's size.
    raters = list(User.objects.filter(pk__in=report.members[-200:]))
    items = list(Contribution.objects.filter(theme=themes[0]).order_by("-id")[:100])
    started = time.perf_counter()
    done = 0
    for rater, item in zip(raters, items, strict=False):
        if rater.pk != item.author_id:
            rating_set(user=rater, item=item, value=1)
            done += 1
    rating_ms = (time.perf_counter() - started) * 1000 / max(done, 1)
    recount = 0.0
    if os.environ.get("BENCH_FORUM_RECOUNT", "1") == "1":
        started = time.perf_counter()
        reputation_recompute()
        recount = time.perf_counter() - started
    return {
        "theme": themes[0].slug,
        "contribution": report.contributions[0],
        "members": len(report.members),
        "contributions": len(report.contributions),
        "ratings": report.ratings,
        "seed_seconds": seeded,
        "rating_ms": rating_ms,
        "recount_seconds": recount,
    }


def worker() -> None:
    import django

    django.setup()
    print("RESULT " + json.dumps(_setup()), flush=True)


# --- in the benchmark process ----------------------------------------------------------------

PAGES = [
    ("bare Django page, 50 rows", "/bench/bare/"),
    ("theme page, best order, 30 items", "/forum/t/{theme}/"),
    ("contribution page, 200 comments", "/forum/c/{contribution}/"),
]


def _wrk(url: str, connections: int) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} non-2xx responses\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"\s50%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
    }


def _backend(report, name: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="maillage-bench-forum-") as var_dir:
        env = _server_env(database_url, var_dir)
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_forum", "--worker"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            raise RuntimeError(f"forum setup failed:\n{completed.stdout}\n{completed.stderr}")
        setup = json.loads(lines[0].removeprefix("RESULT "))
        print(
            f"  {name}: {setup['members']:,} members, {setup['contributions']:,} contributions, "
            f"{setup['ratings']:,} ratings seeded in {setup['seed_seconds']:.0f} s",
            flush=True,
        )
        by_workers: dict[int, dict[str, dict[str, dict[str, float]]]] = {}
        for workers in WORKERS:
            server, base = _start_server(env, workers=workers)
            figures: dict[str, dict[str, dict[str, float]]] = {}
            by_workers[workers] = figures
            try:
                for label, path in PAGES:
                    url = base + path.format(**setup)
                    with ThreadPoolExecutor(workers) as pool:
                        for _ in range(3):
                            list(pool.map(_check, [url] * workers, [None] * workers))
                    figures[label] = {"32": _wrk(url, 32), "4": _wrk(url, 4)}
                    print(
                        f"    {workers} workers, {label}: {figures[label]['32']['rps']:.0f} req/s "
                        f"at 32 connections, p50 {figures[label]['4']['p50']:.1f} ms at 4",
                        flush=True,
                    )
            finally:
                _stop_server(server)
    size = f"{setup['contributions']:,} contributions, {setup['ratings']:,} ratings"
    for workers, figures in by_workers.items():
        bare = figures[PAGES[0][0]]["32"]["rps"]
        for label, _path in PAGES[1:]:
            report.figure(
                f"{label} ({name}, {size}, gunicorn {workers} workers)",
                value=figures[label]["32"]["rps"],
                unit="req/s",
                baseline=bare,
                target=">= 0.5x",
            )
            report.figure(
                f"{label}, p50 at 4 connections ({name}, {workers} workers)",
                value=figures[label]["4"]["p50"],
                unit="ms",
                target="< 50 ms",
                higher_is_better=False,
            )
    report.figure(
        f"one rating (counters and rank of the item only) ({name})",
        value=setup["rating_ms"],
        unit="ms",
        higher_is_better=False,
    )
    if setup["recount_seconds"]:
        report.figure(
            f"reputation recount over every rating ({name})",
            value=setup["recount_seconds"],
            unit="s",
            higher_is_better=False,
        )
    print(
        "RESULTS " + json.dumps({"backend": name, "setup": setup, "pages": by_workers}), flush=True
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("wrk") is None:
        print("  skipped: wrk is not installed (apt-get install wrk)")
        return
    backends = os.environ.get("BENCH_BACKENDS", "postgresql").split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="maillage-bench-forum-db-") as tmp:
            _backend(report, "SQLite", f"sqlite:///{tmp}/bench.sqlite3")
    if "postgresql" in backends:
        try:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {PG_DB}")
        except Exception as exc:  # no server: say so rather than fail the whole bench run
            print(f"  PostgreSQL skipped: {exc}")
            return
        try:
            _backend(report, "PostgreSQL", f"postgres://postgres@127.0.0.1:5432/{PG_DB}")
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
