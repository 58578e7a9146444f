"""Person lists: created from a segment or a search, assigned to volunteers and teams, and what
that assignment lets each of them see."""

from __future__ import annotations

from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Person, PersonList, Segment
from maillage.people.selectors.lists import (
    access_person_list,
    person_list_assignable_users,
    person_list_index,
    person_list_members,
    person_list_source,
)
from maillage.people.selectors.people import people_visible_to
from maillage.people.services.lists import (
    person_list_add,
    person_list_add_people,
    person_list_assign,
    person_list_create,
    person_list_unassign,
)
from maillage.people.tests.helpers import make_person

BUREAU_3 = {"op": "and", "filters": [{"field": "polling_station", "values": ["13055_0003"]}]}


class ListTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.leader = UserFactory(
            email="leader@example.org", full_name="Léa Leader", role=Role.TEAM_LEADER
        )
        cls.supporter = UserFactory(email="sympa@example.org", role=Role.SUPPORTER)
        cls.bureau_3 = [
            make_person(birth_name=f"TROIS{n}", polling_station_code="13055_0003") for n in range(5)
        ]
        cls.elsewhere = make_person(birth_name="AILLEURS", polling_station_code="13055_0009")
        cls.segment = Segment.objects.create(name="Bureau 3", definition=BUREAU_3)


class ListServiceTests(ListTestCase):
    def test_a_list_made_from_a_segment_holds_its_people_and_is_logged(self) -> None:
        person_list = person_list_create(
            actor=self.owner,
            name="  Tractage bureau 3 ",
            people=person_list_source(user=self.owner, segment=self.segment),
        )
        self.assertEqual(person_list.name, "Tractage bureau 3")
        self.assertEqual(
            set(person_list.members.values_list("pk", flat=True)), {p.pk for p in self.bureau_3}
        )
        entry = AuditLogEntry.objects.get(target_id=str(person_list.pk))
        self.assertEqual(entry.action, AuditLogEntry.Action.CREATE)
        self.assertEqual(entry.changes, {"members": 5})
        self.assertEqual(entry.actor, self.owner)

    def test_a_list_made_from_a_search_holds_what_the_search_finds(self) -> None:
        person_list = person_list_create(
            actor=self.owner,
            name="Ailleurs",
            people=person_list_source(user=self.owner, query="aill"),
        )
        self.assertEqual(list(person_list.members.all()), [self.elsewhere])

    def test_adding_the_same_people_twice_adds_them_once(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Deux fois")
        people = Person.objects.filter(polling_station_code="13055_0003")
        self.assertEqual(
            person_list_add_people(actor=self.owner, person_list=person_list, people=people), 5
        )
        self.assertEqual(
            person_list_add_people(actor=self.owner, person_list=person_list, people=people), 0
        )
        self.assertEqual(
            person_list_add(
                actor=self.owner,
                person_list=person_list,
                person_ids=[self.elsewhere.pk, self.elsewhere.pk, self.bureau_3[0].pk],
            ),
            1,
        )
        self.assertEqual(person_list.members.count(), 6)
        self.assertEqual(
            person_list_add_people(
                actor=self.owner, person_list=person_list, people=Person.objects.none()
            ),
            0,
        )

    def test_a_segment_of_any_size_is_copied_in_one_insert(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Vide")
        people = Person.objects.filter(polling_station_code="13055_0003")
        # 1 INSERT … SELECT, 1 audit row.
        with self.assertNumQueries(2):
            person_list_add_people(actor=self.owner, person_list=person_list, people=people)

    def test_it_refuses_a_list_without_a_name(self) -> None:
        with self.assertRaisesMessage(ApplicationError, "Donnez un nom à la liste."):
            person_list_create(actor=self.owner, name="   ")
        self.assertFalse(PersonList.objects.exists())

    def test_only_staff_manage_lists(self) -> None:
        with self.assertRaises(PermissionDenied):
            person_list_create(actor=self.leader, name="Ma liste")
        person_list = person_list_create(actor=self.owner, name="Liste")
        with self.assertRaises(PermissionDenied):
            person_list_assign(actor=self.teammate, person_list=person_list, users=[self.teammate])

    def test_assigning_and_unassigning_are_logged_with_who(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste")
        person_list_assign(
            actor=self.owner, person_list=person_list, users=[self.teammate], teams=[self.team]
        )
        # Assigning again changes nothing and logs nothing.
        person_list_assign(actor=self.owner, person_list=person_list, users=[self.teammate])
        person_list_unassign(actor=self.owner, person_list=person_list, users=[self.teammate])
        changes = list(
            AuditLogEntry.objects.filter(
                target_id=str(person_list.pk), action=AuditLogEntry.Action.UPDATE
            )
            .order_by("pk")
            .values_list("changes", flat=True)
        )
        self.assertEqual(
            changes,
            [
                {"assigned_users": ["teammate@example.org"], "assigned_teams": ["Équipe du 3e"]},
                {"unassigned_users": ["teammate@example.org"], "unassigned_teams": []},
            ],
        )
        self.assertEqual(list(person_list.assigned_teams.all()), [self.team])
        self.assertFalse(person_list.assigned_users.exists())

    def test_it_refuses_to_assign_to_a_supporter_or_to_nobody(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste")
        with self.assertRaisesMessage(ApplicationError, "ne peut pas recevoir de liste"):
            person_list_assign(actor=self.owner, person_list=person_list, users=[self.supporter])
        with self.assertRaisesMessage(ApplicationError, "au moins une personne"):
            person_list_assign(actor=self.owner, person_list=person_list)
        self.assertFalse(person_list.assigned_users.exists())

    def test_it_refuses_to_unassign_someone_the_list_was_not_given_to(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste")
        with self.assertRaisesMessage(ApplicationError, "n'est pas attribuée"):
            person_list_unassign(actor=self.owner, person_list=person_list, users=[self.leader])


class ListSelectorTests(ListTestCase):
    def test_a_volunteer_sees_the_people_of_the_lists_given_to_them_or_their_team(self) -> None:
        mine = person_list_create(actor=self.owner, name="À moi", person_ids=[self.bureau_3[0].pk])
        team_list = person_list_create(
            actor=self.owner, name="Équipe", person_ids=[self.bureau_3[1].pk]
        )
        self.assertFalse(people_visible_to(user=self.teammate).exists())
        person_list_assign(actor=self.owner, person_list=mine, users=[self.teammate])
        person_list_assign(actor=self.owner, person_list=team_list, teams=[self.team])
        self.assertEqual(
            set(people_visible_to(user=self.teammate)), {self.bureau_3[0], self.bureau_3[1]}
        )
        self.assertFalse(people_visible_to(user=self.outsider).exists())
        person_list_unassign(actor=self.owner, person_list=mine, users=[self.teammate])
        self.assertEqual(list(people_visible_to(user=self.teammate)), [self.bureau_3[1]])

    def test_the_index_gives_each_list_its_size_and_assignees(self) -> None:
        big = person_list_create(
            actor=self.owner, name="Grande", people=Person.objects.all(), users=[self.leader]
        )
        person_list_create(actor=self.owner, name="Vide", teams=[self.team])
        rows = {row.name: row for row in person_list_index(user=self.owner)}
        self.assertEqual(rows["Grande"].size, 6)
        self.assertEqual(rows["Vide"].size, 0)
        self.assertEqual(list(rows["Grande"].assigned_users.all()), [self.leader])
        self.assertEqual(access_person_list(user=self.owner, list_id=big.pk).size, 6)

    def test_only_staff_see_lists(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste", users=[self.teammate])
        self.assertFalse(person_list_index(user=self.teammate).exists())
        with self.assertRaises(ApplicationError):
            access_person_list(user=self.teammate, list_id=person_list.pk)
        with self.assertRaises(ApplicationError):
            access_person_list(user=self.owner, list_id="abc")

    def test_members_are_read_through_the_readers_scope(self) -> None:
        person_list = person_list_create(
            actor=self.owner, name="Liste", people=Person.objects.all()
        )
        self.assertEqual(person_list_members(user=self.owner, person_list=person_list).count(), 6)
        self.assertEqual(
            person_list_members(user=self.outsider, person_list=person_list).count(), 0
        )

    def test_volunteers_leaders_and_organisers_may_receive_a_list(self) -> None:
        UserFactory(email="inactive@example.org", role=Role.VOLUNTEER, is_active=False)
        emails = set(person_list_assignable_users(user=self.owner).values_list("email", flat=True))
        self.assertEqual(
            emails, {"teammate@example.org", "outsider@example.org", "leader@example.org"}
        )
        self.assertFalse(person_list_assignable_users(user=self.teammate).exists())


class ListPageTests(ListTestCase):
    def test_it_validates_access(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste")
        self.login(self.teammate)
        for url in (
            reverse("people:list_index"),
            reverse("people:list_create"),
            reverse("people:list_detail", args=[person_list.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 403, url)
        response = self.client.post(
            reverse("people:list_assign", args=[person_list.pk]), {"users": [self.teammate.pk]}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(person_list.assigned_users.exists())

    def test_the_lists_page_costs_the_same_number_of_queries_for_1_or_10_lists(self) -> None:
        for n in range(10):
            person_list_create(
                actor=self.owner,
                name=f"Liste {n}",
                person_ids=[p.pk for p in self.bureau_3[: n % 5]],
                users=[self.teammate],
                teams=[self.team],
            )
        self.login(self.owner)
        # 1 session with its user, 1 count for the paginator, 1 page of lists with their size and
        # creator, 1 prefetch of the assigned users, 1 of the assigned teams.
        with self.assertNumQueries(5):
            response = self.client.get(reverse("people:list_index"))
        self.assertContains(response, "Théo Teammate", count=10)
        self.assertContains(response, '<td class="num">4</td>', count=2)

    def test_a_list_page_costs_the_same_number_of_queries_for_1_or_10_assignees(self) -> None:
        volunteers = [UserFactory(role=Role.VOLUNTEER) for _ in range(9)]
        person_list = person_list_create(
            actor=self.owner,
            name="Liste",
            people=Person.objects.all(),
            users=[self.teammate, *volunteers],
            teams=[self.team, self.other_team],
        )
        self.login(self.owner)
        # 1 session with its user, 1 list with its size, 1 prefetch of its users, 1 of its teams,
        # 1 count and 1 page of its people, 1 query each for the users and teams offered.
        with self.assertNumQueries(8):
            response = self.client.get(reverse("people:list_detail", args=[person_list.pk]))
        self.assertContains(response, "Retirer la liste à", count=12)

    def test_staff_create_a_list_from_a_segment(self) -> None:
        self.login(self.owner)
        url = reverse("people:list_create")
        self.assertContains(self.client.get(url, {"segment": self.segment.pk}), "Bureau 3")
        response = self.client.post(url, {"name": "Bureau 3 à tracter", "segment": self.segment.pk})
        person_list = PersonList.objects.get()
        self.assertRedirects(response, reverse("people:list_detail", args=[person_list.pk]))
        self.assertEqual(person_list.members.count(), 5)
        page = self.client.get(response["Location"])
        self.assertContains(page, "5 personnes")
        self.assertContains(page, "TROIS0")

    def test_a_new_list_needs_one_source(self) -> None:
        self.login(self.owner)
        url = reverse("people:list_create")
        response = self.client.post(url, {"name": "Rien"})
        self.assertContains(
            response, "Choisissez un segment ou tapez une recherche.", status_code=400
        )
        response = self.client.post(url, {"name": "Deux", "segment": self.segment.pk, "query": "x"})
        self.assertContains(response, "pas les deux", status_code=400)
        self.assertFalse(PersonList.objects.exists())

    def test_staff_assign_and_unassign_a_list(self) -> None:
        person_list = person_list_create(
            actor=self.owner, name="Liste", people=Person.objects.all()
        )
        self.login(self.owner)
        detail = reverse("people:list_detail", args=[person_list.pk])
        response = self.client.post(
            reverse("people:list_assign", args=[person_list.pk]),
            {"users": [self.teammate.pk, self.leader.pk], "teams": [self.other_team.pk]},
        )
        self.assertRedirects(response, detail)
        self.assertEqual(set(person_list.assigned_users.all()), {self.teammate, self.leader})
        response = self.client.post(
            reverse("people:list_unassign", args=[person_list.pk]), {"team": self.other_team.pk}
        )
        self.assertRedirects(response, detail)
        self.assertFalse(person_list.assigned_teams.exists())
        self.assertContains(self.client.get(detail), "Léa Leader")

    def test_assigning_to_someone_who_cannot_receive_a_list_is_a_form_error(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste")
        self.login(self.owner)
        url = reverse("people:list_assign", args=[person_list.pk])
        response = self.client.post(url, {"users": [self.owner.pk]})  # staff: not offered
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Sélectionnez un choix valide", status_code=400)
        response = self.client.post(url, {})
        self.assertContains(response, "au moins une personne ou une équipe", status_code=400)
        self.assertFalse(person_list.assigned_users.exists())

    def test_unassigning_someone_not_assigned_says_so(self) -> None:
        person_list = person_list_create(actor=self.owner, name="Liste")
        self.login(self.owner)
        response = self.client.post(
            reverse("people:list_unassign", args=[person_list.pk]),
            {"user": self.teammate.pk},
            follow=True,
        )
        self.assertContains(response, "Sélectionnez un choix valide")

    def test_a_volunteer_sees_their_list_on_the_people_page(self) -> None:
        person_list_create(
            actor=self.owner, name="Liste", person_ids=[self.bureau_3[0].pk], users=[self.teammate]
        )
        self.login(self.teammate)
        response = self.client.get(reverse("people:person_list"))
        self.assertContains(response, "TROIS0")
        self.assertNotContains(response, "TROIS1")
