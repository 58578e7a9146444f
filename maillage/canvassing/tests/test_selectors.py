"""Who sees which turf and which people: a volunteer sees the turfs handed to them (or their
team) while the assignment runs, and the people in them, nothing else."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from maillage.canvassing.models import TurfAssignment
from maillage.canvassing.selectors import access_turf, turf_list_for
from maillage.canvassing.services import turf_archive, turf_assign, turf_create_from_stations
from maillage.canvassing.tests.helpers import resident
from maillage.core.errors import NotFound
from maillage.core.tests.base import BaseTestCase
from maillage.people.selectors.people import access_person, people_visible_to


class TurfScopeTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.ours = [resident("1", "rue Basse"), resident("2", "rue Basse")]
        cls.theirs = [resident("1", "rue Haute", polling_station_code="13999_0002")]
        cls.turf = turf_create_from_stations(
            actor=cls.owner, name="B1", station_codes=["13999_0001"]
        )
        cls.other = turf_create_from_stations(
            actor=cls.owner, name="B2", station_codes=["13999_0002"]
        )

    def test_a_volunteer_sees_the_turf_and_people_handed_to_them(self) -> None:
        turf_assign(actor=self.owner, turf=self.turf, users=[self.teammate])
        self.assertEqual(list(turf_list_for(user=self.teammate)), [self.turf])
        self.assertEqual(
            set(people_visible_to(user=self.teammate).values_list("pk", flat=True)),
            {p.pk for p in self.ours},
        )
        self.assertEqual(access_turf(user=self.teammate, turf_id=self.turf.pk), self.turf)

    def test_a_turf_handed_to_a_team_opens_to_its_members_only(self) -> None:
        turf_assign(actor=self.owner, turf=self.other, teams=[self.other_team])
        self.assertEqual(list(turf_list_for(user=self.outsider)), [self.other])
        self.assertEqual(
            list(people_visible_to(user=self.outsider).values_list("pk", flat=True)),
            [self.theirs[0].pk],
        )
        self.assertEqual(list(turf_list_for(user=self.teammate)), [])

    def test_a_volunteer_cannot_open_another_turf_or_its_people_by_guessing_ids(self) -> None:
        turf_assign(actor=self.owner, turf=self.turf, users=[self.teammate])
        with self.assertRaises(NotFound):
            access_turf(user=self.teammate, turf_id=self.other.pk)
        with self.assertRaises(NotFound):
            access_turf(user=self.teammate, turf_id="abc")
        with self.assertRaises(NotFound):
            access_person(user=self.teammate, person_id=self.theirs[0].pk)
        self.login(self.teammate)
        response = self.client.get(reverse("people:person_detail", args=[self.theirs[0].pk]))
        self.assertEqual(response.status_code, 404)
        response = self.client.get(reverse("people:person_detail", args=[self.ours[0].pk]))
        self.assertEqual(response.status_code, 200)

    def test_the_assignment_opens_only_between_its_dates(self) -> None:
        today = timezone.localdate()
        turf_assign(
            actor=self.owner,
            turf=self.turf,
            users=[self.teammate],
            starts_on=today + timedelta(days=1),
        )
        self.assertFalse(people_visible_to(user=self.teammate).exists())
        TurfAssignment.objects.update(
            starts_on=today - timedelta(days=10), ends_on=today - timedelta(days=1)
        )
        self.assertFalse(people_visible_to(user=self.teammate).exists())
        TurfAssignment.objects.update(ends_on=today)
        self.assertEqual(people_visible_to(user=self.teammate).count(), 2)

    def test_an_archived_turf_closes_to_its_volunteers(self) -> None:
        turf_assign(actor=self.owner, turf=self.turf, users=[self.teammate])
        turf_archive(actor=self.owner, turf=self.turf)
        self.assertFalse(people_visible_to(user=self.teammate).exists())
        self.assertEqual(list(turf_list_for(user=self.teammate)), [])
        self.assertEqual(set(turf_list_for(user=self.owner)), {self.turf, self.other})
