"""A volunteer's people list costs what their scope holds, not what the database holds.

The same volunteer, the same 30-person list, with 2,000 and then 22,000 people outside the list:
the work the database does for the list page's queries (the page of people and its total) must
not grow. On SQLite the work is counted in virtual-machine steps (a progress handler called on
every step); on PostgreSQL it is the number of people_person rows the executor reads (EXPLAIN
ANALYZE, summed over every node that reads the table: rows returned and rows filtered out).
The scope before #17 (a correlated EXISTS tested on every person) fails it on SQLite (80,030
then 860,030 steps); PostgreSQL already planned that EXISTS as a semi-join from the members, so
there the test guards against a plan that would read everyone.
"""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.canvassing.tests.helpers import hand_turf
from maillage.core.pagination import Total, kept_for_user_forget
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Person
from maillage.people.tests.helpers import assign


def _outsiders(count: int, start: int) -> None:
    Person.objects.bulk_create(
        Person(
            birth_name=f"DEHORS{start + n:05d}",
            first_names="Camille",
            search_name=f"camille dehors{start + n:05d}",
            commune_code="13201",
            polling_station_code="13201_0001",
        )
        for n in range(count)
    )


def _sqlite_steps(sql: str) -> int:
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    raw = connection.connection
    raw.set_progress_handler(step, 1)
    try:
        raw.execute(sql).fetchall()
    finally:
        raw.set_progress_handler(None, 1)
    return steps


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows of people_person that the plan's nodes read (returned or filtered out), all loops."""
    own = 0
    if plan.get("Relation Name") == "people_person":
        loops = plan.get("Actual Loops", 1)
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
    return own + sum(_rows_read(child) for child in plan.get("Plans", []))


def _postgres_rows(sql: str) -> int:
    with connection.cursor() as cursor:
        # Without merge joins: on a table this small the planner may prefer merging the members
        # with the primary key from its first entry (it reads every id below the largest
        # member's, a cost it weighs from the statistics). What is checked is that the scope
        # itself lets the plan reach the members without reading anyone else.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
        cursor.execute("RESET enable_mergejoin")
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return _rows_read(plan)


class VolunteerScopeCostTestCase(BaseTestCase):
    def cost(self) -> int:
        """The database work of the people list page's queries that read people."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fresh statistics, as autovacuum would keep
                cursor.execute("ANALYZE people_person")
                cursor.execute("ANALYZE people_personlist_members")
                cursor.execute("ANALYZE canvassing_turfmember")
                cursor.execute("ANALYZE canvassing_turfassignment")
        self.login(self.teammate)
        # The total as counted, not as kept from the last view (kept_for_user).
        kept_for_user_forget(kind="person-list-total", user_id=self.teammate.pk)
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(reverse("people:person_list"))
        self.assertEqual(len(response.context["rows"]), 30)
        statements = [q["sql"] for q in captured.captured_queries if "people_person" in q["sql"]]
        self.assertEqual(len(statements), 2)  # the bounded total and the page
        measure = _sqlite_steps if connection.vendor == "sqlite" else _postgres_rows
        return sum(measure(sql) for sql in statements)

    def test_a_volunteer_list_costs_the_same_with_eleven_times_more_people_outside_it(self) -> None:
        _outsiders(1_000, start=0)
        members = [
            Person.objects.create(birth_name=f"LISTE{n:02d}", first_names="Alex") for n in range(30)
        ]
        # Half on a list handed to the volunteer, half on a turf handed to their team: both
        # assignment sources must walk from the assignments to people by index.
        assign(members[:15], users=[self.teammate])
        hand_turf(members[15:], team=self.team)
        _outsiders(1_000, start=1_000)
        small = self.cost()
        _outsiders(20_000, start=2_000)  # after the list's people, so ids above theirs too
        large = self.cost()
        self.assertGreater(small, 0)
        # Eleven times the people outside the scope: the same work, give or take planning noise.
        self.assertLessEqual(large, small * 1.2, (small, large))


class BenchmarkedPagesQueryCountTestCase(BaseTestCase):
    """Every page the load benchmark (benchmarks/bench_pages.py) loads runs a fixed number of
    queries, whatever the number of people; the segment and close-races pages are pinned in
    their own tests."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        _outsiders(60, start=0)
        cls.members = [
            Person.objects.create(birth_name=f"LISTE{n:02d}", first_names="Alex", household_key="k")
            for n in range(60)
        ]
        assign(cls.members, users=[cls.teammate])

    def test_the_volunteer_people_list(self) -> None:
        self.login(self.teammate)
        # session with its user, the bounded total, the page of people (one row more than shown)
        with self.assertNumQueries(3):
            response = self.client.get(reverse("people:person_list"), {"page": "1"})
        # The total of one's own scope is kept a minute: session with its user, the page.
        with self.assertNumQueries(2):
            response = self.client.get(reverse("people:person_list"), {"page": "2"})
        self.assertEqual(len(response.context["rows"]), 10)
        self.assertEqual(response.context["total"].value, 60)
        # A list handed to them meanwhile shows in the rows at once, in the total within the
        # minute (at once here: the kept total is forgotten, as after the minute).
        extra = [Person.objects.create(birth_name="AJOUT", first_names="Alex")]
        assign(extra, users=[self.teammate])
        response = self.client.get(reverse("people:person_list"), {"page": "2"})
        self.assertEqual(response.context["total"].value, 60)
        self.assertEqual(len(response.context["rows"]), 11)
        self.assertEqual(response.context["rows"][-1]["birth_name"], "AJOUT")
        kept_for_user_forget(kind="person-list-total", user_id=self.teammate.pk)
        response = self.client.get(reverse("people:person_list"), {"page": "1"})
        self.assertEqual(response.context["total"].value, 61)

    def test_the_staff_people_list_counts_at_most_the_cap_then_estimates(self) -> None:
        self.login(self.owner)
        with self.assertNumQueries(3):  # session with its user, the bounded total (exact), the page
            response = self.client.get(reverse("people:person_list"))
        self.assertEqual(response.context["total"], Total(120, "exact"))
        with patch("maillage.core.pagination.COUNT_CAP", 50):
            # session with its user, the bounded total, the table's estimate, the page
            with self.assertNumQueries(4):
                response = self.client.get(reverse("people:person_list"))
            self.assertEqual(response.context["total"].kind, "about")
            # The planner's estimate on PostgreSQL (whatever the last ANALYZE saw), a cached
            # count on SQLite: never less than what the bounded count found.
            self.assertGreater(response.context["total"].value, 50)
            self.assertContains(response, "environ ")
            with self.assertNumQueries(3):  # a search: "more than 50", no estimate
                response = self.client.get(reverse("people:person_list"), {"q": "camille"})
            self.assertContains(response, "plus de 50 personnes")

    def test_the_volunteer_contact_sheet(self) -> None:
        self.login(self.teammate)
        url = reverse("people:person_detail", args=[self.members[0].pk])
        # session with its user, the person in scope; then interactions, their actors, emails,
        # phones, consents, tags, the household in scope and the audit entry of the view. On
        # PostgreSQL all but the session are one statement (core.compiled.
        # compiled_instances_behind), with the setting that lets its commit return before the
        # disk flush
        with self.assertNumQueries(2 if connection.vendor == "postgresql" else 10):
            response = self.client.get(url)
        self.assertContains(response, "LISTE00")

    def test_the_volunteer_dashboard(self) -> None:
        self.login(self.teammate)
        # session with its user, the people tile (scope counts), the "Mes listes" tile (lists with progress)
        with self.assertNumQueries(3):
            self.client.get(reverse("core:dashboard"))
