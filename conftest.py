"""Shared pytest fixtures: a real SMTP server (aiosmtpd) and a real browser (Debian's Chromium
through Playwright). Browser tests are marked `browser`; without /usr/bin/chromium they are
skipped with a message saying so (CI installs it, so there they always run)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MAILLAGE_CHROMIUM", "/usr/bin/chromium")
# Tests marked `services` need PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379. Where
# one is missing they are skipped with a note, except under CI=1 (.ci/run), where they fail.
SERVICES = {"PostgreSQL": ("127.0.0.1", 5432), "Redis": ("127.0.0.1", 6379)}


def _missing_services() -> list[str]:
    missing = []
    for name, address in SERVICES.items():
        try:
            socket.create_connection(address, timeout=1).close()
        except OSError:
            missing.append(name)
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needing = [item for item in items if "services" in item.keywords]
    missing = _missing_services() if needing and os.environ.get("CI") != "1" else []
    if missing:
        reason = f"skipped: {', '.join(missing)} not reachable on 127.0.0.1 (CI=1 makes this fail)"
        for item in needing:
            item.add_marker(pytest.mark.skip(reason=reason))
        config._maillage_services_skipped = (len(needing), missing)  # type: ignore[attr-defined]
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    skip = pytest.mark.skip(
        reason=f"browser tests skipped: Chromium not found at {CHROMIUM} (apt-get install chromium)"
    )
    skipped = 0
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
            skipped += 1
    if skipped:
        config._maillage_browser_skipped = skipped  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    services = getattr(config, "_maillage_services_skipped", None)
    if services:
        terminalreporter.write_line(
            f"NOTE: {services[0]} tests were SKIPPED because {', '.join(services[1])} "
            "is not running on 127.0.0.1 (`.ci/run` starts both).",
            yellow=True,
        )
    skipped = getattr(config, "_maillage_browser_skipped", 0)
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {skipped} browser tests were SKIPPED because {CHROMIUM} is missing; "
            "install it with `apt-get install chromium` to run them.",
            yellow=True,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPSink:
    """Collects messages received by a real aiosmtpd server on 127.0.0.1."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings) -> Iterator[SMTPSink]:  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    # aiosmtpd logs each connection at INFO from its own thread, which may outlive the test's
    # captured output ("--- Logging error --- I/O operation on closed file" in CI's log).
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SMTPSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(autouse=True, scope="session")
def tasks_through_the_configured_queue() -> Iterator[None]:
    """TASKS_BACKEND=rq or db: tasks go through that queue and its worker (core/tests/queues.py)."""
    from django_tasks.signals import task_enqueued

    from maillage.core.tests import queues

    runner = queues.queue_runner()
    if runner is None:
        yield
        return
    sender, receiver = runner
    task_enqueued.connect(receiver, sender=sender, weak=False)
    yield
    task_enqueued.disconnect(receiver, sender=sender)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


def _new_page(chromium, width: int, height: int) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(chromium):  # type: ignore[no-untyped-def]
    """A phone-sized page (390×844, like an iPhone 12-15) in French."""
    yield from _new_page(chromium, 390, 844)


@pytest.fixture
def desktop_page(chromium):  # type: ignore[no-untyped-def]
    yield from _new_page(chromium, 1280, 900)


@pytest.fixture(autouse=True)
def _sessions_in_the_database(settings) -> None:  # type: ignore[no-untyped-def]
    """Sessions in the database whatever REDIS_URL says, so the pinned query counts of the
    pages are the same in every CI stage; `core/tests/test_request_cost.py` measures the Redis
    session cache (cached_db, the setting when REDIS_URL is set) on its own."""
    settings.SESSION_ENGINE = "maillage.accounts.sessions.db"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Each test starts with an empty cache (area counts, table estimates, rate limits): the
    local-memory cache outlives the test's rolled-back transaction."""
    from django.core.cache import cache

    cache.clear()
    yield
