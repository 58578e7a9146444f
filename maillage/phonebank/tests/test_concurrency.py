"""Atomic claims under real concurrency: threads, each with its own database connection,
claiming from one queue at once. Runs on SQLite and, in CI's PostgreSQL pass, on PostgreSQL
(SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

from django.db import OperationalError, connection, connections
from django.test import TransactionTestCase

from maillage.accounts.tests.factories import UserFactory
from maillage.core.roles import Role
from maillage.phonebank.models import Call, QueueEntry
from maillage.phonebank.services import (
    CallResult,
    call_campaign_set_status,
    call_claim_next,
    call_result_record,
)
from maillage.phonebank.tests.helpers import IN_HOURS, make_callable, make_campaign

CALLERS = 8
PEOPLE = 30


def retrying(action):  # type: ignore[no-untyped-def]
    """The test database of SQLite is in memory with a shared cache, where a writer meeting
    another's lock fails at once ("table is locked") instead of waiting out the busy timeout
    as the file database does: wait and retry here. A failed statement changed nothing (its
    transaction rolled back), and a retried result carries the same client_uuid."""
    for _attempt in range(2000):
        try:
            return action()
        except OperationalError as error:
            if "locked" not in str(error) or connection.vendor != "sqlite":
                raise
            time.sleep(0.002)
    raise AssertionError("still locked")


class ConcurrentClaimTests(TransactionTestCase):
    def setUp(self) -> None:
        self.lead = UserFactory(role=Role.STAFF)
        self.callers = [UserFactory(role=Role.VOLUNTEER) for _ in range(CALLERS)]
        make_callable(PEOPLE)
        self.campaign = make_campaign(actor=self.lead, callers=self.callers)
        call_campaign_set_status(actor=self.lead, campaign=self.campaign, status="running")

    def test_concurrent_callers_never_hold_the_same_person_and_lose_no_result(self) -> None:
        claims: list[tuple[int, int]] = []  # (caller, entry) of every claim
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(CALLERS)

        def work(caller) -> None:  # type: ignore[no-untyped-def]
            try:
                start.wait()
                while True:
                    entry = retrying(
                        lambda: call_claim_next(caller=caller, campaign=self.campaign, now=IN_HOURS)
                    )
                    if entry is None:
                        return
                    with lock:
                        claims.append((caller.pk, entry.pk))
                    outcome = CallResult(result="talked", client_uuid=uuid.uuid4())
                    retrying(
                        lambda entry=entry, outcome=outcome: call_result_record(
                            caller=caller, entry_id=entry.pk, outcome=outcome, now=IN_HOURS
                        )
                    )
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(caller,)) for caller in self.callers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(errors, [])
        per_entry = Counter(entry for _caller, entry in claims)
        self.assertEqual(len(per_entry), PEOPLE, "every person called")
        self.assertEqual(max(per_entry.values()), 1, "nobody claimed twice")
        self.assertEqual(Call.objects.filter(result="talked").count(), PEOPLE, "no result lost")
        self.assertEqual(
            QueueEntry.objects.filter(campaign=self.campaign, state=QueueEntry.State.DONE).count(),
            PEOPLE,
        )
        self.assertGreater(len({caller for caller, _entry in claims}), 1, connection.vendor)
