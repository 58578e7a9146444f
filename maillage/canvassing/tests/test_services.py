"""Cutting turfs (by stations, streets, segment, polygon), handing them out and taking them back."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.utils import timezone

from maillage.accounts.tests.factories import UserFactory
from maillage.canvassing.models import Turf, TurfAssignment, TurfMember
from maillage.canvassing.selectors import walk_list
from maillage.canvassing.services import (
    TurfError,
    points_in_polygon,
    polygon_parse,
    turf_archive,
    turf_assign,
    turf_create_from_segment,
    turf_create_from_stations,
    turf_create_from_streets,
    turf_unassign,
)
from maillage.canvassing.tests.helpers import resident
from maillage.core.errors import PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Segment, SupportLevel
from maillage.people.tests.factories import EmailAddressFactory, InteractionFactory


class TurfFromStationsTests(BaseTestCase):
    def test_it_takes_the_stations_people_in_walk_order_with_households_as_doors(self) -> None:
        even = resident("2", "rue de la Paix", birth_name="PAIR")
        odd_a = resident("1", "rue de la Paix", "Apt 1", birth_name="IMPAIR")
        odd_b = resident("1", "rue de la Paix", "Apt 1", birth_name="AUTRE")
        resident("1", "rue de la Paix", polling_station_code="13999_0002")  # another station
        turf = turf_create_from_stations(
            actor=self.owner, name="Bureau 1", station_codes=["13999_0001"]
        )
        self.assertEqual((turf.member_count, turf.door_count), (3, 2))
        self.assertEqual(turf.kind, Turf.Kind.STATION)
        self.assertEqual(turf.polling_station_codes, ["13999_0001"])
        doors = walk_list(turf=turf)
        self.assertEqual(
            [[p.person_id for p in d.people] for d in doors], [[odd_b.pk, odd_a.pk], [even.pk]]
        )
        self.assertEqual(doors[0].address, "1 rue de la Paix")
        self.assertEqual(doors[0].where, "Apt 1")
        entry = AuditLogEntry.objects.get(target_type="canvassing.turf")
        self.assertEqual(entry.changes, {"kind": "station", "people": 3, "doors": 2})

    def test_it_refuses_an_empty_turf_and_a_missing_name(self) -> None:
        with self.assertRaisesMessage(TurfError, "vide"):
            turf_create_from_stations(actor=self.owner, name="Rien", station_codes=["99999_0001"])
        resident("1", "rue Basse")
        with self.assertRaisesMessage(TurfError, "nom"):
            turf_create_from_stations(actor=self.owner, name=" ", station_codes=["13999_0001"])
        self.assertFalse(Turf.objects.exists())

    def test_a_volunteer_cannot_cut_a_turf(self) -> None:
        resident("1", "rue Basse")
        with self.assertRaises(PermissionDenied):
            turf_create_from_stations(actor=self.teammate, name="X", station_codes=["13999_0001"])

    def test_an_organiser_only_draws_from_the_people_of_their_zone(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)
        organiser.zones.create(name="Vallon", code="13999")
        inside = resident("1", "rue Basse")
        resident("3", "rue Basse", commune_code="13998")  # same station code, another commune
        turf = turf_create_from_stations(actor=organiser, name="B1", station_codes=["13999_0001"])
        self.assertEqual(
            list(TurfMember.objects.filter(turf=turf).values_list("person_id", flat=True)),
            [inside.pk],
        )
        self.assertEqual(turf.created_by, organiser)


class TurfFromStreetsTests(BaseTestCase):
    def test_it_matches_the_street_whatever_its_spelling_within_the_commune(self) -> None:
        a = resident("3", "BD VOLTAIRE")
        b = resident("1", "boulevard Voltaire")
        resident("5", "rue Voltaire")  # another street
        resident("7", "Boulevard Voltaire", commune_code="13998")  # another commune
        turf = turf_create_from_streets(
            actor=self.owner,
            name="Voltaire",
            commune_code="13999",
            street_names=["Boulevard Voltaire"],
        )
        self.assertEqual(
            [p.person_id for d in walk_list(turf=turf) for p in d.people], [b.pk, a.pk]
        )
        self.assertEqual(turf.street_names, ["Boulevard Voltaire"])
        self.assertEqual(turf.definition["streets"], ["Boulevard Voltaire"])


class TurfFromSegmentTests(BaseTestCase):
    def test_it_takes_the_segment_people_narrowed_to_stations_and_keeps_its_definition(
        self,
    ) -> None:
        definition = {
            "op": "and",
            "filters": [
                {"field": "support", "values": [SupportLevel.UNDECIDED, SupportLevel.LEANING_FOR]}
            ],
        }
        segment = Segment.objects.create(name="Indécis", definition=definition)
        undecided = resident("1", "rue Basse", current_support=SupportLevel.UNDECIDED)
        resident("3", "rue Basse", current_support=SupportLevel.FOR)
        resident(
            "5",
            "rue Basse",
            current_support=SupportLevel.UNDECIDED,
            polling_station_code="13999_0003",
        )
        turf = turf_create_from_segment(
            actor=self.owner, name="Indécis B1", segment_id=segment.pk, station_codes=["13999_0001"]
        )
        self.assertEqual(
            list(TurfMember.objects.filter(turf=turf).values_list("person_id", flat=True)),
            [undecided.pk],
        )
        self.assertEqual(turf.definition["segment_definition"], definition)
        # Editing the segment later does not move the turf.
        segment.definition = {"op": "and", "filters": []}
        segment.save(update_fields=["definition"])
        turf.refresh_from_db()
        self.assertEqual(turf.member_count, 1)


class PolygonTests(BaseTestCase):
    SQUARE = json.dumps(
        {
            "type": "Polygon",
            "coordinates": [[[5.0, 43.0], [5.1, 43.0], [5.1, 43.1], [5.0, 43.1], [5.0, 43.0]]],
        }
    )

    def test_points_inside_on_the_edge_and_outside(self) -> None:
        polygon = polygon_parse(self.SQUARE)
        inside = points_in_polygon(
            polygon, [(5.05, 43.05), (5.0, 43.05), (5.2, 43.05), (5.05, 42.9)]
        )
        self.assertEqual(inside, [True, True, False, False])

    def test_a_feature_is_accepted_and_a_line_or_a_bow_tie_refused(self) -> None:
        feature = json.dumps({"type": "Feature", "geometry": json.loads(self.SQUARE)})
        self.assertEqual(polygon_parse(feature)["type"], "Polygon")
        with self.assertRaises(TurfError):
            polygon_parse(json.dumps({"type": "LineString", "coordinates": [[5, 43], [5.1, 43]]}))
        bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
        with self.assertRaises(TurfError):
            polygon_parse(json.dumps(bow_tie))
        with self.assertRaises(TurfError):
            polygon_parse("{not json")


class TurfAssignmentTests(BaseTestCase):
    def setUp(self) -> None:
        resident("1", "rue Basse")
        self.turf = turf_create_from_stations(
            actor=self.owner, name="B1", station_codes=["13999_0001"]
        )

    def test_it_hands_the_turf_to_a_volunteer_and_a_team_for_dates(self) -> None:
        today = timezone.localdate()
        rows = turf_assign(
            actor=self.owner,
            turf=self.turf,
            users=[self.teammate],
            teams=[self.other_team],
            starts_on=today,
            ends_on=today + timedelta(days=7),
        )
        self.assertEqual(len(rows), 2)
        self.assertEqual(
            set(TurfAssignment.objects.values_list("user_id", "team_id")),
            {(self.teammate.pk, None), (None, self.other_team.pk)},
        )
        self.assertEqual(rows[0].assigned_by, self.owner)

    def test_it_refuses_dates_out_of_order_staff_and_archived_turfs(self) -> None:
        with self.assertRaises(TurfError):
            turf_assign(
                actor=self.owner,
                turf=self.turf,
                users=[self.teammate],
                starts_on=date(2026, 12, 10),
                ends_on=date(2026, 12, 9),
            )
        with self.assertRaisesMessage(TurfError, "ne peut pas recevoir"):
            turf_assign(actor=self.owner, turf=self.turf, users=[self.admin])
        turf_archive(actor=self.owner, turf=self.turf)
        with self.assertRaisesMessage(TurfError, "archivé"):
            turf_assign(actor=self.owner, turf=self.turf, users=[self.teammate])
        self.assertFalse(TurfAssignment.objects.exists())

    def test_unassigning_removes_the_row_and_is_logged(self) -> None:
        (row,) = turf_assign(actor=self.owner, turf=self.turf, users=[self.teammate])
        turf_unassign(actor=self.owner, assignment=row)
        self.assertFalse(TurfAssignment.objects.exists())
        self.assertTrue(
            AuditLogEntry.objects.filter(changes__unassigned="teammate@example.org").exists()
        )

    def test_an_organiser_cannot_hand_out_a_turf_cut_by_someone_else(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)
        with self.assertRaises(PermissionDenied):
            turf_assign(actor=organiser, turf=self.turf, users=[self.teammate])


class KnockableTests(BaseTestCase):
    """A turf leaves out whom the follow-up rules and the contact cap leave alone."""

    def test_it_leaves_out_against_informed_capped_and_exhausted_people(self) -> None:
        kept = resident("1", "rue Basse", current_support=SupportLevel.UNDECIDED)
        resident("3", "rue Basse", current_support=SupportLevel.AGAINST)
        convinced = resident("5", "rue Basse", current_support=SupportLevel.FOR, consent_email=True)
        EmailAddressFactory(person=convinced)
        # Convinced but no email to inform them by: still knocked.
        convinced_no_email = resident("7", "rue Basse", current_support=SupportLevel.FOR)
        capped = resident("9", "rue Basse")
        for days in (1, 2, 3):  # three attempts this week: the default cap (3 in 7 days)
            InteractionFactory(
                person=capped,
                channel="phone",
                result="no_answer",
                occurred_at=timezone.now() - timedelta(days=days),
            )
        exhausted = resident("11", "rue Basse")
        retried = resident("13", "rue Basse")
        for weeks in (2, 3, 4):  # three misses, outside the cap's week
            InteractionFactory(
                person=exhausted,
                result="not_home",
                occurred_at=timezone.now() - timedelta(weeks=weeks),
            )
        InteractionFactory(
            person=retried, result="not_home", occurred_at=timezone.now() - timedelta(weeks=2)
        )
        turf = turf_create_from_stations(actor=self.owner, name="B1", station_codes=["13999_0001"])
        self.assertEqual(
            set(TurfMember.objects.filter(turf=turf).values_list("person_id", flat=True)),
            {kept.pk, convinced_no_email.pk, retried.pk},
        )
        self.assertEqual(turf.definition["left_out"], 4)
