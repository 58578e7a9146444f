"""CPU per request in one process, each page against the bare page (load-independent).

The load benchmark (bench_pages) needs a quiet machine; this one measures what a request costs
the web process itself, so it can be trusted on a busy one. A subprocess migrates a temporary
SQLite database (or `BENCH_CPU_DATABASE_URL`), loads the demo campaign, and then, with the
**production settings** of bench_pages (no MAILLAGE_DEV, DEBUG off, cached template loader),
calls Django's WSGI handler directly — the whole middleware stack, the session cookie, the
database work — `BENCH_CPU_REQUESTS` times per page (default 200, after 20 warm-up requests),
taking `time.process_time()` around the calls; the pages take turns in `BENCH_CPU_ROUNDS`
rounds (default 5) and each keeps its best round. The figure is the bare page's CPU time divided
by the page's: the throughput ratio a CPU-bound server would reach. Database server CPU (on
PostgreSQL) is not counted: SQLite runs in-process, so on SQLite everything is counted.
`BENCH_CPU_DIR` keeps the database and the sessions between runs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from benchmarks import bench_pages

REQUESTS = int(os.environ.get("BENCH_CPU_REQUESTS", "200"))
WARMUP = 20
ROUNDS = int(os.environ.get("BENCH_CPU_ROUNDS", "5"))


def _measure(setup: dict) -> dict[str, float]:  # type: ignore[type-arg]
    from io import BytesIO

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def call(path: str, cookie: str | None) -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        status = []
        body = handler(environ, lambda s, h, *a: status.append(s))
        for _chunk in body:
            pass
        body.close()  # type: ignore[attr-defined]
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path} answered {status[0]}")

    pages = [
        (label, path.format(person=setup["person"], segment=setup["segment"]))
        for label, _who, path, _target in bench_pages.PAGES
    ]
    cookies = {
        label: setup["cookies"][who] if who else None for label, who, *_ in bench_pages.PAGES
    }
    for label, url in pages:
        for _ in range(WARMUP):
            call(url, cookies[label])
    # The pages take turns, ROUNDS times; each keeps its best round: a burst of load from
    # other processes (which slows a process's CPU time too, through caches) then spoils a
    # round of every page rather than one page's whole figure.
    figures: dict[str, float] = {}
    per_round = max(1, REQUESTS // ROUNDS)
    for _round in range(ROUNDS):
        for label, url in pages:
            started = time.process_time()
            for _ in range(per_round):
                call(url, cookies[label])
            spent = (time.process_time() - started) / per_round * 1000
            figures[label] = min(figures.get(label, spent), spent)
    return figures


def worker() -> None:
    import django

    django.setup()
    from django.conf import settings

    saved = settings.VAR_DIR / "bench_page_cpu_setup.json"
    if saved.exists():  # BENCH_CPU_DIR: the database and the sessions of an earlier run
        setup = json.loads(saved.read_text())
    else:
        setup = bench_pages._setup()
        saved.write_text(json.dumps(setup))
    if "--prepare" in sys.argv:
        return
    print("RESULT " + json.dumps(_measure(setup)), flush=True)


def prepare(env: dict[str, str]) -> None:
    """Migrate, load the demo and open the sessions (bench_pages._setup), measure nothing."""
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_page_cpu", "--worker", "--prepare"],
        cwd=bench_pages.ROOT,
        env=env,
        capture_output=True,
        check=True,
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    with tempfile.TemporaryDirectory(prefix="maillage-bench-cpu-") as tmp:
        # BENCH_CPU_DIR keeps the database between runs (while tuning; delete it after a
        # migration).
        var_dir = os.environ.get("BENCH_CPU_DIR", tmp)
        url = os.environ.get("BENCH_CPU_DATABASE_URL", f"sqlite:///{var_dir}/bench.sqlite3")
        env = bench_pages._server_env(url, var_dir)
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_page_cpu", "--worker"],
            cwd=bench_pages.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(f"page CPU benchmark failed:\n{completed.stdout}\n{completed.stderr}")
    figures = json.loads(lines[0].removeprefix("RESULT "))
    bare_label = bench_pages.PAGES[0][0]
    bare = figures[bare_label]
    report.figure(f"{bare_label}, CPU per request", value=bare, unit="ms")
    for label, _who, _path, target in bench_pages.PAGES[1:]:
        report.figure(
            f"{label}, CPU per request",
            value=figures[label],
            unit="ms",
            baseline=bare,
            target=f">= {target}x" if target else "",
            higher_is_better=False,
        )


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
