"""Instructions per request under callgrind, each page against the bare page (load-independent).

The same pages, settings and in-process WSGI calls as bench_page_cpu, counted in machine
instructions by valgrind's callgrind, which no other process on the machine can disturb. Each
page runs `BENCH_INSTR_FEW` (2) then `BENCH_INSTR_MANY` (12) requests, each batch inside a call
of `math.fsum` (a C function nothing else calls here) so that `--toggle-collect=math_fsum
--dump-after=math_fsum` writes one count per batch; the difference between the two batches,
divided by the difference in requests, is what one request costs, set-up excluded. Needs
valgrind (a Debian package); without it the benchmark says so and stops. The database is
bench_page_cpu's (`BENCH_CPU_DIR` keeps it). Instructions do not count waiting for memory or
the kernel's time (SQLite's reads), which CPU time does, so the two ratios differ.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import bench_page_cpu, bench_pages

FEW = int(os.environ.get("BENCH_INSTR_FEW", "2"))
MANY = int(os.environ.get("BENCH_INSTR_MANY", "12"))


def worker() -> None:
    import django

    django.setup()
    from django.conf import settings

    setup = json.loads((settings.VAR_DIR / "bench_page_cpu_setup.json").read_text())
    only = os.environ.get("BENCH_INSTR_ONLY", "")
    pages = [p for p in bench_pages.PAGES if not only or any(o in p[0] for o in only.split(","))]
    bench_page_cpu.ROUNDS = 1
    for page in pages:
        bench_pages.PAGES[:] = [page]
        bench_page_cpu.WARMUP, bench_page_cpu.REQUESTS = 5, 1
        bench_page_cpu._measure(setup)  # caches, compiled templates, connection
        bench_page_cpu.WARMUP = 0
        for count in (FEW, MANY):
            bench_page_cpu.REQUESTS = count
            math.fsum(bench_page_cpu._measure(setup) and 0.0 for _ in [0])
    print("LABELS " + json.dumps([page[0] for page in pages]), flush=True)


def measure(env: dict[str, str], out_dir: str) -> dict[str, float]:
    """Instructions per request of each page, by label."""
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=math_fsum",
            "--dump-after=math_fsum",
            f"--callgrind-out-file={out_dir}/cg.out",
            sys.executable,
            "-m",
            "benchmarks.bench_page_instructions",
            "--worker",
        ],
        cwd=bench_pages.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    labels_line = [line for line in completed.stdout.splitlines() if line.startswith("LABELS ")]
    if not labels_line:
        raise RuntimeError(
            f"instructions benchmark failed:\n{completed.stdout}\n{completed.stderr}"
        )
    labels = json.loads(labels_line[0].removeprefix("LABELS "))
    dumps = sorted(
        Path(out_dir).glob("cg.out.*"), key=lambda path: int(path.name.rsplit(".", 1)[1])
    )
    totals = [
        int(re.search(r"^totals: (\d+)", path.read_text(), re.M).group(1))  # type: ignore[union-attr]
        for path in dumps
    ]
    totals = [total for total in totals if total]  # the dump at exit is empty
    return {
        label: (totals[2 * n + 1] - totals[2 * n]) / (MANY - FEW) for n, label in enumerate(labels)
    }


def run(report) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("valgrind") is None:
        print("  skipped: valgrind is not installed (apt-get install valgrind)")
        return
    with tempfile.TemporaryDirectory(prefix="maillage-bench-instr-") as tmp:
        var_dir = os.environ.get("BENCH_CPU_DIR", tmp)
        url = os.environ.get("BENCH_CPU_DATABASE_URL", f"sqlite:///{var_dir}/bench.sqlite3")
        env = bench_pages._server_env(url, var_dir)
        if not (Path(var_dir) / "bench_page_cpu_setup.json").exists():
            bench_page_cpu.prepare(env)
        figures = measure(env, tmp)
    bare_label = bench_pages.PAGES[0][0]
    bare = figures[bare_label]
    report.figure(f"{bare_label}, instructions per request", value=bare / 1e6, unit="M")
    for label, _who, _path, target in bench_pages.PAGES[1:]:
        report.figure(
            f"{label}, instructions per request",
            value=figures[label] / 1e6,
            unit="M",
            baseline=bare / 1e6,
            target=f">= {target}x" if target else "",
            higher_is_better=False,
        )


if __name__ == "__main__" and "--worker" in sys.argv:
    worker()
