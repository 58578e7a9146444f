"""Support level is political opinion: below staff, the people list neither shows it nor sorts by
it (a sort would reveal who has a recorded opinion without the audited contact sheet)."""

from __future__ import annotations

from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.selectors.people import person_list_page, support_visible_to
from maillage.people.tests.helpers import assign, make_person

# Name order: ARNAUD, BERTIN, CARON, DUVAL; by support (1 = strong support): CARON, ARNAUD, DUVAL,
# then BERTIN, who has no recorded opinion.
PEOPLE = {"ARNAUD": 2, "BERTIN": None, "CARON": 1, "DUVAL": 4}
BY_NAME = ["ARNAUD", "BERTIN", "CARON", "DUVAL"]


class SupportSortTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.users = {role: UserFactory(role=role) for role in Role}
        people = [
            make_person(birth_name=name, current_support=level) for name, level in PEOPLE.items()
        ]
        assign(people, users=list(cls.users.values()))

    def _names(self, user: object, sort: str) -> list[str]:
        return list(person_list_page(user=user, sort=sort).values_list("birth_name", flat=True))

    def test_only_staff_and_admins_may_see_support_in_lists(self) -> None:
        self.assertEqual(
            {role for role, user in self.users.items() if support_visible_to(user=user)},
            {Role.STAFF, Role.ADMIN},
        )

    def test_roles_below_staff_get_the_name_order_when_they_sort_by_support(self) -> None:
        for role in (Role.VOLUNTEER, Role.TEAM_LEADER, Role.ORGANISER):
            for sort in ("support", "-support"):
                with self.subTest(role=role.label, sort=sort):
                    self.assertEqual(self._names(self.users[role], sort), BY_NAME)

    def test_a_supporter_sees_nobody_whatever_the_sort(self) -> None:
        self.assertEqual(self._names(self.users[Role.SUPPORTER], "-support"), [])

    def test_staff_and_admins_sort_by_support(self) -> None:
        for role in (Role.STAFF, Role.ADMIN):
            with self.subTest(role=role.label):
                user = self.users[role]
                # Nobody without a recorded opinion comes last either way, on every database.
                self.assertEqual(
                    self._names(user, "support"), ["CARON", "ARNAUD", "DUVAL", "BERTIN"]
                )
                self.assertEqual(
                    self._names(user, "-support"), ["DUVAL", "ARNAUD", "CARON", "BERTIN"]
                )

    def test_a_volunteer_asking_for_a_support_sort_gets_the_list_by_name(self) -> None:
        self.login(self.users[Role.VOLUNTEER])
        response = self.client.get(reverse("people:person_list"), {"sort": "-support"})
        self.assertEqual([row["birth_name"] for row in response.context["rows"]], BY_NAME)
        self.assertEqual(response.context["sort"], "name")
        self.assertNotContains(response, "sort=support")
        self.login(self.users[Role.STAFF])
        response = self.client.get(reverse("people:person_list"), {"sort": "-support"})
        self.assertEqual(response.context["rows"][0]["birth_name"], "DUVAL")
        self.assertContains(response, "sort=support")
