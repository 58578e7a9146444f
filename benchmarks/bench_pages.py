"""Pages at national scale: gunicorn (2 workers) under wrk (32 connections) on 1,000,000 people.

For each backend (a temporary SQLite file; a throwaway PostgreSQL database, `BENCH_PG_DB`,
default `maillage_bench_pages`, created then dropped) a subprocess migrates with the real
migrations, loads the demo campaign (a 20,000-voter roll, a volunteer with a 150-person list,
segments, election results), collects the static files and opens one session for the demo
volunteer and one for the demo staff member (2FA is off for both, as for any user without a
device). Then gunicorn serves the production settings (no MAILLAGE_DEV, DEBUG off, a 50-char
SECRET_KEY, cached template loader) with 2 sync workers, and `wrk` loads each page at 32
connections in BENCH_PAIRS (default 3) slices of BENCH_SECONDS (default 3) each, every slice
right after a slice of the bare Django page (benchmarks/bare_page.py: 50 rows from a template,
no query). A page's ratio is its requests over its slices against the bare page's over the
slices paired with them: on a virtual machine whose speed drifts by a quarter within minutes
(seen on 2026-12-04), a bare page measured once at the start compared each page with another
moment of the machine.

The pages run twice: on the demo database (about 20,000 people), then after 980,000 more people
are generated inside the database in one INSERT … SELECT (the generator of
bench_people_segments, another commune) and analysed. Before it grows, the database is copied
(a file copy; PostgreSQL's CREATE DATABASE … TEMPLATE): the scale check then serves the copy
and the grown database side by side, one server each, and loads the volunteer's list on each in
alternate slices, so that both sizes are measured at the same moments of the machine. Targets:
the volunteer's pages ≥ 0.6× the bare page, staff's ≥ 0.4×, and the volunteer's list at 1 M no
slower than 1.3× its time at 20,000.

`wrk` is a Debian package (`apt-get install wrk`); without it the benchmark says so and stops.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.harness import pg_admin, run_worker

ROOT = Path(__file__).resolve().parents[1]
TOTAL = 1_000_000
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
PAIRS = int(os.environ.get("BENCH_PAIRS", "3"))
CONNECTIONS = 32
PG_DB = os.environ.get("BENCH_PG_DB", "maillage_bench_pages")
SECRET = "bench-only-secret-key-" + "x" * 40
# The volunteer: the demo's 150-person walk list, handed to them and nothing else.
# The demo's own volunteer (benevole@) also canvasses their team's turfs, whole polling
# stations (about 7,900 people): measured too, as a heavier case with no target of its own.
VOLUNTEER = "benevole-liste@bench.maillage.fr"
TURF_VOLUNTEER = "benevole@demo.maillage.fr"
STAFF = "staff@demo.maillage.fr"

# (label, who, path template, target ratio to the bare page)
PAGES = [
    ("bare Django page, 50 rows", None, "/bench/bare/", None),
    ("volunteer /people/", "volunteer", "/people/", 0.6),
    ("volunteer contact sheet", "volunteer", "/people/{person}/", 0.6),
    ("volunteer /dashboard/", "volunteer", "/dashboard/", 0.6),
    ("staff /people/", "staff", "/people/", 0.4),
    ("staff segment people page", "staff", "/people/segments/{segment}/", 0.4),
    ("staff close races", "staff", "/elections/close-races/", 0.4),
    ("turf volunteer /people/ (7,900 in scope)", "turf_volunteer", "/people/", None),
    ("turf volunteer /dashboard/", "turf_volunteer", "/dashboard/", None),
]


def _server_env(database_url: str, var_dir: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MAILLAGE_DEV", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        DATABASE_URL=database_url,
        MAILLAGE_VAR_DIR=var_dir,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        MAILLAGE_BENCH_PAGE="1",
        LOG_LEVEL="WARNING",
    )
    return env


# --- inside the subprocess -------------------------------------------------------------------


def _setup() -> dict[str, object]:
    """Migrate, load the demo, collect static files, open the two sessions."""
    import io
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db.models import Q
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    from maillage.accounts.backends import PASSWORD_BACKEND
    from maillage.accounts.models import User
    from maillage.core.roles import Role
    from maillage.people.models import PersonList, Segment

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("load_demo", stdout=io.StringIO())
    # The demo hands the walk list to the turf volunteer's team; the volunteer gets
    # that list alone.
    walk_list = PersonList.objects.filter(
        Q(assigned_users__email=TURF_VOLUNTEER) | Q(assigned_teams__members__email=TURF_VOLUNTEER)
    ).get()
    list_volunteer = User.objects.create_user(
        email=VOLUNTEER,
        password=None,
        full_name="Bénévole d'une liste",
        role=Role.VOLUNTEER,
        is_active=True,
    )
    walk_list.assigned_users.add(list_volunteer)
    cookies = {}
    for who, email in (
        ("volunteer", VOLUNTEER),
        ("turf_volunteer", TURF_VOLUNTEER),
        ("staff", STAFF),
    ):
        user = User.objects.get(email=email)
        # Through the engine the server uses: its table, the user's id saved with the row.
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = PASSWORD_BACKEND
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        # And the CSRF cookie a browser holds from its first page: without it each request
        # would mint a new secret and set it again, which no signed-in browser asks for.
        csrf_secret = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
        cookies[who] = (
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf_secret}"
        )
    person = walk_list.members.order_by("birth_name", "first_names", "pk").first()
    segment = Segment.objects.order_by("pk").first()
    return {
        "cookies": cookies,
        "person": person.pk if person else 0,
        "segment": segment.pk if segment else 0,
        "in_scope": walk_list.members.count(),
    }


def _grow() -> dict[str, object]:
    """Add people up to TOTAL, generated inside the database, outside every list; analyse."""
    from django.db import connection

    from benchmarks import bench_people_segments as generator
    from maillage.people.models import Person

    missing = TOTAL - Person.objects.count()
    generator.PEOPLE = missing
    sql = generator._fill_sql(connection.vendor).replace("'13055'", "'13201'")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        # PostgreSQL's autovacuum vacuums a table after a bulk insert (PostgreSQL 13 and
        # later), within a minute: measured as a campaign runs, not in that minute, when
        # index-only scans still read the table for rows not yet marked visible.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"added": missing, "seconds": time.perf_counter() - started}


def worker(step: str) -> None:
    import django

    django.setup()
    result = _setup() if step == "setup" else _grow()
    from maillage.people.models import Person

    result["people"] = Person.objects.count()
    print("RESULT " + json.dumps(result), flush=True)


# --- in the benchmark process ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(env: dict[str, str], workers: int = 2) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    """gunicorn with sync workers: 2 by default (the issue's figure); docs/operations.md
    advises 3 on 2 cores, which bench_forum measures as well."""
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/bench/bare/", timeout=2).read()
            return server, base
        except OSError:
            time.sleep(0.1)
    _stop_server(server)
    raise RuntimeError("gunicorn did not start")


def _stop_server(server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _check(url: str, cookie: str | None) -> None:
    """The page answers 200 to this session (no redirect to the login or 2FA page)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(request, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(url: str, cookie: str | None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} non-2xx responses\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"\s50%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"\s99%\s+(\S+)", output).group(1)),  # type: ignore[union-attr]
    }


def _warm(url: str, cookie: str | None) -> None:
    """Both workers warm (caches, connections, compiled templates) before the clock runs."""
    with ThreadPoolExecutor(2) as pool:
        for _ in range(3):
            list(pool.map(_check, [url, url], [cookie, cookie]))


def _alternate(
    first: tuple[str, str | None], second: tuple[str, str | None]
) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """PAIRS slices of each of two (url, cookie), alternately, each of `first` just before one of
    `second`: both measured at the same moments of the machine."""
    firsts, seconds = [], []
    for _ in range(PAIRS):
        firsts.append(_wrk(*first))
        seconds.append(_wrk(*second))
    return firsts, seconds


def _slices(figures: list[dict[str, float]]) -> dict[str, float]:
    """Slices of equal length as one figure: the mean rate, the median p50, the worst p99."""
    p50s = sorted(figure["p50"] for figure in figures)
    return {
        "rps": sum(figure["rps"] for figure in figures) / len(figures),
        "p50": p50s[len(p50s) // 2],
        "p99": max(figure["p99"] for figure in figures),
    }


def _load(env: dict[str, str], setup: dict) -> dict[str, dict[str, float]]:  # type: ignore[type-arg]
    """Each page's figure ("rps", "p50", "p99") and "bare_rps", the bare page's rate over the
    slices paired with it; the bare page's own figure is over all its slices."""
    server, base = _start_server(env)
    figures = {}
    bare_label, _who, bare_path, _target = PAGES[0]
    bare_url = base + bare_path
    bare_slices: list[dict[str, float]] = []
    try:
        _warm(bare_url, None)
        for label, who, path, _target in PAGES[1:]:
            url = base + path.format(person=setup["person"], segment=setup["segment"])
            cookie = setup["cookies"][who] if who else None
            _warm(url, cookie)
            paired, page = _alternate((bare_url, None), (url, cookie))
            bare_slices += paired
            figures[label] = {**_slices(page), "bare_rps": _slices(paired)["rps"]}
            each_bare = ", ".join(f"{figure['rps']:.0f}" for figure in paired)
            each_page = ", ".join(f"{figure['rps']:.0f}" for figure in page)
            print(
                f"    {label}: {figures[label]['rps']:.0f} req/s ({each_page}), "
                f"p50 {figures[label]['p50']:.1f} ms, p99 {figures[label]['p99']:.1f} ms; "
                f"the bare page in the slices before: {figures[label]['bare_rps']:.0f} req/s "
                f"({each_bare}), ratio {figures[label]['rps'] / figures[label]['bare_rps']:.2f}",
                flush=True,
            )
        figures[bare_label] = _slices(bare_slices)
    finally:
        _stop_server(server)
    return figures


def _scale(small_env: dict[str, str], large_env: dict[str, str], setup: dict) -> dict[str, float]:  # type: ignore[type-arg]
    """The volunteer's list on both databases at once, one server each, in alternate slices:
    "small_rps" and "large_rps", each over its PAIRS slices. A drift of the machine's speed
    between the two sizes' runs no longer counts as growth."""
    _label, who, path, _target = PAGES[1]
    cookie = setup["cookies"][who]
    small_server, small_base = _start_server(small_env)
    try:
        large_server, large_base = _start_server(large_env)
        try:
            _warm(small_base + path, cookie)
            _warm(large_base + path, cookie)
            small, large = _alternate((small_base + path, cookie), (large_base + path, cookie))
        finally:
            _stop_server(large_server)
    finally:
        _stop_server(small_server)
    figures = {"small_rps": _slices(small)["rps"], "large_rps": _slices(large)["rps"]}
    print(
        "    scale check, alternate slices: "
        + ", ".join(f"{a['rps']:.0f} / {b['rps']:.0f}" for a, b in zip(small, large, strict=True))
        + f" req/s ({setup['people']:,} / {TOTAL:,} people)",
        flush=True,
    )
    return figures


def _backend(report, name: str, database_url: str, small_url: str, keep_small) -> None:  # type: ignore[no-untyped-def]
    """`keep_small()` copies the database, as it is before it grows, to `small_url`."""
    with tempfile.TemporaryDirectory(prefix="maillage-bench-pages-") as var_dir:
        env = _server_env(database_url, var_dir)
        setup = run_worker("bench_pages", "setup", env=env)
        print(
            f"  {name}: demo loaded, {setup['people']:,} people, {setup['in_scope']} in the volunteer's list"
        )
        small = _load(env, setup)
        keep_small()
        grown = run_worker("bench_pages", "grow", env=env)
        print(
            f"  {name}: {grown['added']:,} people added in {grown['seconds']:.1f} s ({grown['people']:,} in all)"
        )
        large = _load(env, setup)
        scale = _scale(_server_env(small_url, var_dir), env, setup)
    bare = large[PAGES[0][0]]
    report.figure(
        f"{PAGES[0][0]}, 1M people ({name}), all its slices; p50 {bare['p50']:.1f} ms, "
        f"p99 {bare['p99']:.1f} ms",
        value=bare["rps"],
        unit="req/s",
    )
    for label, _who, _path, target in PAGES[1:]:
        figure = large[label]
        report.figure(
            f"{label}, 1M people ({name}); p50 {figure['p50']:.1f} ms, p99 {figure['p99']:.1f} ms",
            value=figure["rps"],
            unit="req/s",
            baseline=figure["bare_rps"],
            target=f">= {target}x" if target else "",
        )
    report.figure(
        f"volunteer /people/ time per request, 1M vs {setup['people']:,} people, "
        f"in alternate slices ({name})",
        value=scale["small_rps"] / scale["large_rps"],
        unit="x",
        target="<= 1.3x",
        higher_is_better=False,
    )
    # The same pages' runs at both sizes, minutes apart: the machine's speed may differ
    # between them, so these two are shown without a target (before the ninth pass they
    # were the scale check).
    label = PAGES[1][0]
    report.figure(
        f"the same from the two sizes' page runs, minutes apart ({name})",
        value=small[label]["rps"] / large[label]["rps"],
        unit="x",
        higher_is_better=False,
    )
    report.figure(
        f"the same, each run's time relative to its own bare slices ({name})",
        value=(large[label]["bare_rps"] / large[label]["rps"])
        / (small[label]["bare_rps"] / small[label]["rps"]),
        unit="x",
        higher_is_better=False,
    )
    print(
        "RESULTS " + json.dumps({"backend": name, "small": small, "large": large, "scale": scale}),
        flush=True,
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("wrk") is None:
        print("  skipped: wrk is not installed (apt-get install wrk)")
        return
    backends = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="maillage-bench-pages-db-") as tmp:
            database, small = Path(tmp) / "bench.sqlite3", Path(tmp) / "small.sqlite3"

            def keep_small_file() -> None:
                # No server is running: the last connection's close checkpointed the WAL,
                # and whatever a -wal file still holds is copied with it.
                for suffix in ("", "-wal"):
                    if Path(f"{database}{suffix}").exists():
                        shutil.copyfile(f"{database}{suffix}", f"{small}{suffix}")

            _backend(
                report, "SQLite", f"sqlite:///{database}", f"sqlite:///{small}", keep_small_file
            )
    if "postgresql" in backends:
        small_db = f"{PG_DB}_small"
        try:
            for db in (PG_DB, small_db):
                pg_admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {PG_DB}")
        except Exception as exc:  # no server: say so rather than fail the whole bench run
            print(f"  PostgreSQL skipped: {exc}")
            return
        try:
            _backend(
                report,
                "PostgreSQL",
                f"postgres://postgres@127.0.0.1:5432/{PG_DB}",
                f"postgres://postgres@127.0.0.1:5432/{small_db}",
                # A copy made by the server; no one is connected to the template by then.
                lambda: pg_admin(f"CREATE DATABASE {small_db} TEMPLATE {PG_DB}"),
            )
        finally:
            for db in (PG_DB, small_db):
                pg_admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__" and "--worker" in sys.argv:
    worker(sys.argv[sys.argv.index("--worker") + 1])
