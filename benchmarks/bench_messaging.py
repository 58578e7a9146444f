"""Messaging: an email blast into a local SMTP server vs raw smtplib, a worker SIGKILLed three
times mid-blast (nobody skipped, duplicates counted), an SMS blast under a rate limit.

Sizes (env): BENCH_MESSAGING_EMAILS (default 100,000), BENCH_MESSAGING_CRASH (20,000),
BENCH_MESSAGING_SMS (100,000), BENCH_MESSAGING_SMS_RATE (messages/s, default 1,000),
BENCH_MESSAGING_BATCH (the send batch, default 50); BENCH_MESSAGING_PHASES (email,crash,sms).
The kills fall when the counting server has received 20 %, 45 % and 70 % of the blast, which
are whole batches: the worker has just sent a batch and not yet marked it, the worst case. Each phase runs the real sender
(`campaign_send_run`, as the task does) in a subprocess with a throwaway SQLite database
filled set-based (people with an email/mobile and consent), against servers started here on
127.0.0.1: aiosmtpd that discards (or counts per recipient), and the local Twilio-speaking
HTTP server of the test suite. The baselines are the same transport driven raw in the same
run: smtplib.sendmail of one pre-built message per recipient on one connection, and
requests.post of the provider's form per message.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.harness import run_worker

ROOT = Path(__file__).resolve().parents[1]
EMAILS = int(os.environ.get("BENCH_MESSAGING_EMAILS", "100000"))
CRASH = int(os.environ.get("BENCH_MESSAGING_CRASH", "20000"))
SMS = int(os.environ.get("BENCH_MESSAGING_SMS", "100000"))
SMS_RATE = int(os.environ.get("BENCH_MESSAGING_SMS_RATE", "1000"))
BATCH = int(os.environ.get("BENCH_MESSAGING_BATCH", "50"))
KILLS = 3
# Which phases to run (comma-separated): email, crash, sms.
PHASES = set(os.environ.get("BENCH_MESSAGING_PHASES", "email,crash,sms").split(","))


# The child: runs with DATABASE_URL pointing at the throwaway database -------------------------


def _fill(people: int) -> None:
    from django.db import connection

    from maillage.people.models import Person

    values = {
        "birth_name": "'NOM' || n",
        "first_names": "'Camille'",
        "commune_code": "'13055'",
        "commune_name": "'MARSEILLE'",
        "polling_station_code": "'13055_0001'",
        "department_code": "'13'",
        "is_voter": "1",
        "consent_email": "1",
        "consent_sms": "1",
    }
    columns, exprs = [], []
    for field in Person._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.name in values:
            exprs.append(values[field.name])
        elif field.null:
            exprs.append("NULL")
        elif field.get_internal_type() == "BooleanField":
            exprs.append("0")
        elif field.get_internal_type() == "JSONField":
            exprs.append("'[]'" if field.name == "sources" else "'{}'")
        elif field.get_internal_type() == "DateTimeField":
            exprs.append("CURRENT_TIMESTAMP")
        else:
            exprs.append("''")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {people}) "
            f"INSERT INTO people_person ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM seq"
        )
        cursor.execute(
            "INSERT INTO people_emailaddress (person_id, address, status, is_primary, source, created_at, updated_at) "
            "SELECT id, 'p' || id || '@bench.test', 'unverified', 1, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM people_person"
        )
        cursor.execute(
            "INSERT INTO people_phonenumber (person_id, number, kind, status, is_primary, source, created_at, updated_at) "
            "SELECT id, '+337' || printf('%08d', id), 'mobile', 'unverified', 1, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM people_person"
        )
        cursor.execute("ANALYZE")


def child_setup(people: int, channel: str) -> dict[str, Any]:
    from django.core.management import call_command

    from maillage.accounts.models import User
    from maillage.core.roles import Role
    from maillage.messaging.services import campaign_create, campaign_start
    from maillage.people.services.segments import segment_create

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    _fill(people)
    fill_s = time.perf_counter() - started
    staff = User.objects.create_user("bench@bench.test", "x", role=Role.STAFF, is_active=True)
    segment = segment_create(
        actor=staff,
        name="bench",
        definition={"op": "and", "filters": [{"field": "commune", "values": ["13055"]}]},
    )
    campaign = campaign_create(
        actor=staff,
        name="bench",
        channel=channel,
        segment_id=segment.pk,
        sender="Maillage <campagne@localhost>",
        subject="Bonjour {{ first_name }}",
        body="Bonjour **{{ first_name }}**,\n\nRendez-vous à {{ commune }} : on compte sur vous.\n",
    )
    started = time.perf_counter()
    campaign_start(actor=staff, campaign=campaign)
    return {"campaign_id": campaign.pk, "fill_s": fill_s, "freeze_s": time.perf_counter() - started}


def child_send(campaign_id: int, rate: float) -> dict[str, Any]:
    from maillage.messaging.services import campaign_send_run

    started = time.perf_counter()
    report = campaign_send_run(campaign_id=campaign_id, rate=rate, batch=BATCH, quiet_hours=False)
    return {
        "sent": report.sent,
        "failed": report.failed,
        "requeued": report.requeued,
        "seconds": time.perf_counter() - started,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_baseline_smtp(port: int, count: int, prebuilt: bool) -> dict[str, Any]:
    """Raw smtplib on one connection. `prebuilt`: one message's bytes sent to everyone (the
    transport alone, a ceiling no personalised blast can reach); otherwise each recipient's
    message is built by hand with the standard library, as a script without Maillage would:
    the same text and HTML parts, personalised, with the unsubscribe headers."""
    import smtplib
    from email.message import EmailMessage

    def build(n: int) -> bytes:
        message = EmailMessage()
        message["From"] = "Maillage <campagne@localhost>"
        message["To"] = f"p{n}@bench.test"
        message["Subject"] = "Bonjour Camille"
        message["List-Unsubscribe"] = f"<http://127.0.0.1:8000/messaging/u/{n}:sig/>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(
            "Bonjour **Camille**,\n\nRendez-vous à Marseille : on compte sur vous.\n"
        )
        message.add_alternative(
            "<p>Bonjour <strong>Camille</strong>,</p>\n<p>Rendez-vous à Marseille : on compte sur vous.</p>",
            subtype="html",
        )
        return message.as_bytes()

    raw = build(0)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail("campagne@localhost", [f"p{n}@bench.test"], raw if prebuilt else build(n))
    return {"seconds": time.perf_counter() - started}


def child_baseline_http(url: str, count: int) -> dict[str, Any]:
    import requests

    from maillage.messaging.tests import provider_servers as ps

    endpoint = f"{url}/2010-04-01/Accounts/{ps.TWILIO_SID}/Messages.json"
    started = time.perf_counter()
    for n in range(count):
        requests.post(
            endpoint,
            data={"To": f"+337{n:08d}", "From": "Maillage", "Body": "Bonjour Camille"},
            auth=(ps.TWILIO_SID, ps.TWILIO_TOKEN),
            timeout=15,
        ).raise_for_status()
    return {"seconds": time.perf_counter() - started}


def child(argv: list[str]) -> None:
    import django

    django.setup()
    mode = argv[0]
    if mode == "setup":
        result = child_setup(int(argv[1]), argv[2])
    elif mode == "send":
        result = child_send(int(argv[1]), float(argv[2]))
    elif mode == "baseline-smtp":
        result = child_baseline_smtp(int(argv[1]), int(argv[2]), argv[3] == "prebuilt")
    else:
        result = child_baseline_http(argv[1], int(argv[2]))
    print("RESULT " + json.dumps(result), flush=True)


# The parent: servers, subprocesses, kills, figures ---------------------------------------------


class CountingSink:
    def __init__(self) -> None:
        self.per_rcpt: Counter[str] = Counter()
        self.total = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        for rcpt in envelope.rcpt_tos:
            self.per_rcpt[rcpt] += 1
        self.total += 1
        return "250 OK"


def _env(db: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "benchmarks.messaging_settings",
        "TASKS_BACKEND": "dummy",
        "MAILLAGE_MESSAGING_LEASE_SECONDS": "1",
        **extra,
    }


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return dict(run_worker("bench_messaging", *args, env=env, flag="--child"))


def _smtp_server(sink: Any) -> tuple[Any, int]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def _email_throughput(report: Any, tmp: str) -> None:
    sink = CountingSink()
    controller, port = _smtp_server(sink)
    try:
        env = _env(f"{tmp}/email.sqlite3", BENCH_SMTP_PORT=str(port))
        setup = _child(["setup", str(EMAILS), "email"], env)
        print(
            f"  {EMAILS:,} people filled in {setup['fill_s']:.1f} s; audience frozen in {setup['freeze_s']:.1f} s"
        )
        sent = _child(["send", str(setup["campaign_id"]), "0"], env)
        baseline_n = min(EMAILS, 10_000)
        base = _child(["baseline-smtp", str(port), str(baseline_n), "built"], env)
        transport = _child(["baseline-smtp", str(port), str(baseline_n), "prebuilt"], env)
    finally:
        controller.stop()
    assert sent["sent"] == EMAILS, sent
    report.figure(
        f"email blast {EMAILS:,} (render + send, end to end)",
        value=sent["sent"] / sent["seconds"],
        unit="msg/s",
        baseline=baseline_n / base["seconds"],
        target="≥ 0.5× raw smtplib building each message",
    )
    report.figure(
        f"email blast {EMAILS:,} vs transport only (one pre-built message)",
        value=sent["sent"] / sent["seconds"],
        unit="msg/s",
        baseline=baseline_n / transport["seconds"],
    )
    report.figure(
        f"email blast {EMAILS:,}: worker peak memory",
        value=sent["maxrss_mb"],
        unit="MB",
        target="< 300 MB",
        higher_is_better=False,
    )


def _crash_resume(report: Any, tmp: str) -> None:
    sink = CountingSink()
    controller, port = _smtp_server(sink)
    kills = 0
    try:
        env = _env(f"{tmp}/crash.sqlite3", BENCH_SMTP_PORT=str(port))
        setup = _child(["setup", str(CRASH), "email"], env)
        marks = [int(CRASH * f) for f in (0.2, 0.45, 0.7)]
        while True:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_messaging",
                    "--child",
                    "send",
                    str(setup["campaign_id"]),
                    "0",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            target = marks[kills] if kills < KILLS else None
            while proc.poll() is None:
                if target is not None and sink.total >= target:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    print(f"  SIGKILL #{kills} at {sink.total:,} messages received", flush=True)
                    time.sleep(1.2)  # past the 1 s lease: the next worker takes over
                    break
                time.sleep(0.005)
            else:
                out, err = proc.communicate()
                if proc.returncode != 0:
                    raise RuntimeError(err[-3000:])
                break
    finally:
        controller.stop()
    recipients = {f"p{n}@bench.test" for n in range(1, CRASH + 1)}
    missing = recipients - set(sink.per_rcpt)
    duplicates = sum(c - 1 for c in sink.per_rcpt.values() if c > 1)
    print(
        f"  {KILLS} kills: {len(missing)} missing, {duplicates} duplicates (bound: {KILLS} × batch {BATCH} = {KILLS * BATCH})"
    )
    assert kills == KILLS and not missing and duplicates <= KILLS * BATCH, (
        kills,
        len(missing),
        duplicates,
    )
    report.figure(
        f"crash-resume {CRASH:,}, {KILLS} SIGKILLs: missing",
        value=len(missing),
        unit="msgs",
        target="0",
        higher_is_better=False,
    )
    report.figure(
        f"crash-resume {CRASH:,}, {KILLS} SIGKILLs: duplicates",
        value=duplicates,
        unit="msgs",
        target=f"≤ {KILLS * BATCH} (in flight)",
        higher_is_better=False,
    )


def _sms_blast(report: Any, tmp: str) -> None:
    from maillage.messaging.tests import provider_servers as ps

    with ps.provider_server() as server:
        env = _env(
            f"{tmp}/sms.sqlite3",
            MAILLAGE_SMS_PROVIDER="twilio",
            MAILLAGE_TWILIO_BASE_URL=server.url,
            MAILLAGE_TWILIO_ACCOUNT_SID=ps.TWILIO_SID,
            MAILLAGE_TWILIO_AUTH_TOKEN=ps.TWILIO_TOKEN,
            MAILLAGE_SMS_SENDER="Maillage",
        )
        setup = _child(["setup", str(SMS), "sms"], env)
        sent = _child(["send", str(setup["campaign_id"]), str(SMS_RATE)], env)
        baseline_n = min(SMS, 5_000)
        base = _child(["baseline-http", server.url, str(baseline_n)], env)
        received = len(server.received) - baseline_n
    assert sent["sent"] == SMS == received, (sent, received)
    achieved = SMS / sent["seconds"]
    print(
        f"  SMS: {achieved:,.0f} msg/s under a limit of {SMS_RATE:,}/s; provider received {received:,}"
    )
    assert achieved <= SMS_RATE * 1.02, achieved
    report.figure(
        f"SMS blast {SMS:,} to the local provider (limit {SMS_RATE:,}/s)",
        value=achieved,
        unit="msg/s",
        baseline=baseline_n / base["seconds"],
        target=f"≤ {SMS_RATE:,}/s",
    )


def run(report) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory(prefix="maillage-bench-messaging-") as tmp:
        if "email" in PHASES:
            _email_throughput(report, tmp)
        if "crash" in PHASES:
            _crash_resume(report, tmp)
        if "sms" in PHASES:
            _sms_blast(report, tmp)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
