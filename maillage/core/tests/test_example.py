"""A commented example of how Maillage tests are written. Read it before writing your first test.

1. Tests mirror the code: `tests/test_services.py` for writes, `test_selectors.py` for reads,
   `test_views.py` for pages, `test_browser.py` for what a person does in Chromium.
2. Test names read as sentences: `test_it_<does what>` or `test_<who>_<can what>`.
3. Every view has a `test_it_validates_access`: the outsider is refused.
4. Every list page pins its number of queries, with a comment that accounts for the count,
   so an N+1 shows up as a failing test that prints the SQL.
5. Every test must be able to fail: assert on what the code produced, never on a constant you
   wrote yourself, and never write a test without an assertion.
6. Real parts: email goes through the `smtp_server` fixture (a real aiosmtpd server), pages
   through the `page` fixture (Debian's Chromium), the database is SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.urls import reverse

from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.core.tests.base import BaseTestCase


class ExampleTests(BaseTestCase):
    # BaseTestCase.setUpTestData gives: self.owner (staff, in self.team), self.teammate
    # (volunteer in self.team, zone self.zone), self.outsider (volunteer in another team),
    # self.admin. They are created once per class, inside a transaction rolled back after.

    def test_it_validates_access(self) -> None:
        # The outsider's role is too low for the audit log: a 403 page, never a traceback.
        self.login(self.outsider)
        response = self.client.get(reverse("core:audit_log"))
        self.assertEqual(response.status_code, 403)

    def test_a_service_writes_one_audit_row_with_old_and_new_values(self) -> None:
        # Services are called with keyword arguments only; assert on what they wrote.
        entry = audit_log_record(
            actor=self.owner,
            action=AuditLogEntry.Action.UPDATE,
            target=self.teammate,
            changes={"full_name": ["Théo", "Théo T."]},
        )
        stored = AuditLogEntry.objects.get()
        self.assertEqual(stored.pk, entry.pk)
        self.assertEqual(stored.actor_label, "owner@example.org")
        self.assertEqual(stored.changes, {"full_name": ["Théo", "Théo T."]})

    def test_the_audit_page_costs_the_same_number_of_queries_for_1_or_20_rows(self) -> None:
        for _ in range(20):
            audit_log_record(
                actor=self.owner, action=AuditLogEntry.Action.VIEW, target=self.teammate
            )
        self.login(self.owner)
        # 1 session with its user, 1 count for the paginator, 1 page of rows with the actor joined.
        with self.assertNumQueries(3):
            response = self.client.get(reverse("core:audit_log"))
        self.assertContains(response, "<td>consultation</td>", count=20)
