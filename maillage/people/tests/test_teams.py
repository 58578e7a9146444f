"""What each role is handed: a volunteer's lists on the dashboard, a team leader's team page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from maillage.accounts.tests.factories import UserFactory
from maillage.core.navigation import navigation_for
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.dashboard import dashboard_tiles
from maillage.people.selectors.teams import (
    assigned_list_counts,
    assigned_list_progress,
    team_progress,
)
from maillage.people.services.interactions import interaction_record
from maillage.people.tests.helpers import assign, make_person


class TeamProgressTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.leader = UserFactory(
            email="leader@example.org", full_name="Léa Leader", role=Role.TEAM_LEADER
        )
        cls.leader.teams.add(cls.team)
        cls.walk = [make_person(birth_name=f"PORTE{n}") for n in range(4)]
        cls.calls = [make_person(birth_name=f"APPEL{n}") for n in range(2)]
        cls.elsewhere = make_person(birth_name="LYON")
        cls.walk_list = assign(cls.walk, teams=[cls.team])
        cls.call_list = assign(cls.calls, users=[cls.teammate])
        assign([cls.elsewhere], teams=[cls.other_team])
        for person in cls.walk[:3]:
            interaction_record(
                actor=cls.teammate,
                person=person,
                channel="door",
                result="talked",
                support_level=3,
                occurred_at=timezone.now(),
            )

    def test_it_validates_access(self) -> None:
        url = reverse("people:team_detail")
        self.assertEqual(self.client.get(url).status_code, 302)
        self.login(self.teammate)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.leader)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_a_team_leader_follows_their_teams_lists_and_members(self) -> None:
        with self.assertNumQueries(5):  # teams, members, assignments, list counts, activity
            (progress,) = team_progress(user=self.leader)
        self.assertEqual(progress.team, self.team)
        self.assertEqual(
            [(row.person_list, row.people, row.contacted, row.percent) for row in progress.lists],
            [(self.walk_list, 4, 3, 75)],
        )
        activity = {m.user: m.interactions for m in progress.members}
        self.assertEqual(activity[self.teammate], 3)
        self.assertEqual(activity[self.leader], 0)
        self.assertNotIn(self.outsider, activity)
        self.login(self.leader)
        response = self.client.get(reverse("people:team_detail"))
        self.assertContains(response, self.walk_list.name)
        self.assertContains(response, '<progress max="100" value="75"')
        self.assertContains(response, "Théo Teammate")
        self.assertNotContains(response, "Oscar Outsider")
        self.assertNotContains(response, "Indécis")  # progress, never what people answered

    def test_a_volunteer_sees_their_own_lists_and_progress_on_the_dashboard(self) -> None:
        rows = assigned_list_progress(user=self.teammate)
        self.assertEqual(
            {(row.person_list, row.people, row.contacted) for row in rows},
            {(self.walk_list, 4, 3), (self.call_list, 2, 0)},
        )
        self.assertEqual(assigned_list_progress(user=self.outsider)[0].people, 1)
        (tile,) = [t for t in dashboard_tiles(self.teammate) if str(t.title) == "Mes listes"]
        self.assertEqual(tile.value, 2)
        self.assertEqual(tile.url, reverse("people:person_list"))
        self.login(self.teammate)
        response = self.client.get(reverse("core:dashboard"))
        self.assertContains(response, self.call_list.name)
        self.assertNotContains(response, "Mon équipe")
        leader_tile = [t for t in dashboard_tiles(self.leader) if str(t.title) == "Mes listes"]
        self.assertEqual(leader_tile[0].url, reverse("people:team_detail"))
        self.assertFalse([t for t in dashboard_tiles(self.owner) if str(t.title) == "Mes listes"])

    def test_each_role_has_its_own_navigation(self) -> None:
        def labels(role: Role) -> list[str]:
            return [str(item["label"]) for item in navigation_for(UserFactory(role=role))]

        # The forum is open to every signed-in person (supporters included).
        forum = "Forum participatif"
        self.assertEqual(labels(Role.SUPPORTER), ["Tableau de bord", forum])
        # Callers are volunteers (the phone bank's "Appels"); then canvassing's turfs and app.
        field = ["Appels", "Secteurs", "Porte-à-porte"]
        self.assertEqual(labels(Role.VOLUNTEER), ["Tableau de bord", "Personnes", *field, forum])
        self.assertEqual(
            labels(Role.TEAM_LEADER),
            ["Tableau de bord", "Personnes", "Mon équipe", *field, "Avancement terrain", forum],
        )
        self.assertEqual(
            labels(Role.ORGANISER),
            [
                "Tableau de bord",
                "Personnes",
                "Segments",
                *field,
                "Avancement terrain",
                "Cibles électorales",
                forum,
            ],
        )
        staff = labels(Role.STAFF)
        self.assertNotIn("Mon équipe", staff)
        for label in ("Segments", "Doublons", "Cibles électorales", "Comptes", "Journal d'audit"):
            self.assertIn(label, staff)
        self.assertEqual(len(set(map(tuple, map(labels, Role)))), len(Role) - 1)  # admin = staff

    def test_the_compiled_counts_are_the_progress_rows(self) -> None:
        for user in (self.teammate, self.outsider, self.leader):
            with self.subTest(user=user.email):
                self.assertEqual(
                    assigned_list_counts(user=user),
                    [
                        {
                            "pk": row.person_list.pk,
                            "name": row.person_list.name,
                            "people": row.people,
                            "contacted": row.contacted,
                        }
                        for row in assigned_list_progress(user=user)
                    ],
                )
        self.assertTrue(assigned_list_counts(user=self.teammate))  # not vacuous
