"""Turf pages: access (a guessed id is a 404), query counts, cutting and handing out a turf,
the printable walk list and the paper results typed back in."""

from __future__ import annotations

import uuid

from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.canvassing.models import Turf, TurfAssignment
from maillage.canvassing.services import turf_assign, turf_create_from_stations
from maillage.canvassing.tests.helpers import resident
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Interaction, SupportLevel


class TurfPagesTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.people = [
            resident("2", "rue de la Paix", birth_name="DURAND"),
            resident("1", "rue de la Paix", "Apt 3", birth_name="MARTIN"),
            resident("1", "rue de la Paix", "Apt 3", birth_name="MARTIN", first_names="Léa"),
        ]
        cls.stranger = resident("9", "rue Haute", polling_station_code="13999_0002")
        cls.turf = turf_create_from_stations(
            actor=cls.owner, name="Bureau 1", station_codes=["13999_0001"]
        )
        cls.other = turf_create_from_stations(
            actor=cls.owner, name="Bureau 2", station_codes=["13999_0002"]
        )
        turf_assign(actor=cls.owner, turf=cls.turf, users=[cls.teammate])

    def test_it_validates_access(self) -> None:
        self.login(self.outsider)
        for name in ("turf_detail", "turf_map_data", "walk_list_pdf", "paper_entry"):
            response = self.client.get(reverse(f"canvassing:{name}", args=[self.turf.pk]))
            self.assertEqual(response.status_code, 404, name)
        self.assertEqual(self.client.get(reverse("canvassing:turf_create")).status_code, 403)
        response = self.client.post(
            reverse("canvassing:turf_assign", args=[self.turf.pk]), {"users": [self.outsider.pk]}
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(TurfAssignment.objects.filter(user=self.outsider).exists())
        supporter = UserFactory(role=Role.SUPPORTER)
        self.login(supporter)
        self.assertEqual(self.client.get(reverse("canvassing:turf_list")).status_code, 403)

    def test_a_volunteer_cannot_open_another_turf_by_guessing_its_id(self) -> None:
        self.login(self.teammate)
        response = self.client.get(reverse("canvassing:turf_detail", args=[self.other.pk]))
        self.assertEqual(response.status_code, 404)
        response = self.client.get(reverse("canvassing:turf_detail", args=[self.turf.pk]))
        self.assertContains(response, "MARTIN")
        self.assertNotContains(response, "turf-assign")  # volunteers do not hand turfs out
        response = self.client.get(reverse("people:person_detail", args=[self.stranger.pk]))
        self.assertEqual(response.status_code, 404)

    def test_the_turf_list_runs_a_fixed_number_of_queries(self) -> None:
        for n in range(3):
            turf = turf_create_from_stations(
                actor=self.owner, name=f"Encore {n}", station_codes=["13999_0001"]
            )
            turf_assign(actor=self.owner, turf=turf, users=[self.teammate], teams=[self.team])
        self.login(self.owner)
        # session with its user, the count, the page of turfs, their running assignments (users and
        # teams joined)
        with self.assertNumQueries(4):
            response = self.client.get(reverse("canvassing:turf_list"))
        self.assertContains(response, "Encore 2")
        self.assertContains(response, "équipe Équipe du 3e")
        self.login(self.teammate)
        with self.assertNumQueries(4):  # the same, scoped by the volunteer's assignments
            response = self.client.get(reverse("canvassing:turf_list"))
        self.assertEqual(len(response.context["page"].object_list), 4)
        self.assertNotContains(response, "Bureau 2")

    def test_the_turf_page_runs_a_fixed_number_of_queries(self) -> None:
        self.login(self.teammate)
        # session with its user, the turf (scoped), the walk list
        with self.assertNumQueries(3):
            response = self.client.get(reverse("canvassing:turf_detail", args=[self.turf.pk]))
        doors = response.context["doors"]
        self.assertEqual([len(d.people) for d in doors], [2, 1])
        self.assertContains(response, "côté impair")
        self.login(self.owner)
        # session with its user, the turf, the walk list, the assignments (users, teams joined), the
        # assignable users and teams of the form
        with self.assertNumQueries(6):
            response = self.client.get(reverse("canvassing:turf_detail", args=[self.turf.pk]))
        self.assertContains(response, "Théo Teammate")

    def test_staff_cut_a_turf_by_stations_and_hand_it_to_a_team(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("canvassing:turf_create") + "?kind=station",
            {"name": "Nouveau", "description": "", "stations": "13999_0001, 13999_0002"},
        )
        turf = Turf.objects.get(name="Nouveau")
        self.assertRedirects(response, reverse("canvassing:turf_detail", args=[turf.pk]))
        self.assertEqual((turf.member_count, turf.door_count), (4, 3))
        response = self.client.post(
            reverse("canvassing:turf_assign", args=[turf.pk]),
            {"teams": [self.other_team.pk], "starts_on": "2026-12-01", "ends_on": "2026-12-31"},
        )
        self.assertRedirects(response, reverse("canvassing:turf_detail", args=[turf.pk]))
        assignment = TurfAssignment.objects.get(turf=turf)
        self.assertEqual(assignment.team, self.other_team)
        response = self.client.post(
            reverse("canvassing:turf_unassign", args=[turf.pk, assignment.pk])
        )
        self.assertFalse(TurfAssignment.objects.filter(turf=turf).exists())

    def test_a_bad_cut_is_a_form_error_not_a_crash(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("canvassing:turf_create") + "?kind=streets",
            {"name": "Vide", "commune_code": "13999", "streets": "rue Inconnue"},
        )
        self.assertContains(response, "vide", status_code=400)
        self.assertFalse(Turf.objects.filter(name="Vide").exists())


class TilesTests(BaseTestCase):
    def test_without_a_tile_server_the_map_pages_ask_nobody_else(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("canvassing:turf_create") + "?kind=polygon")
        self.assertContains(response, 'data-tiles=""')
        self.assertIn("img-src 'self';", response["Content-Security-Policy"])

    def test_a_configured_tile_server_is_let_in_on_the_map_pages_only(self) -> None:
        from django.test import override_settings

        self.login(self.owner)
        tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
        with override_settings(MAP_TILES_URL=tiles, MAILLAGE_CSP_REPORT_ONLY=False):
            response = self.client.get(reverse("canvassing:turf_create") + "?kind=polygon")
            self.assertIn(
                "img-src 'self' https://*.tiles.example.org;", response["Content-Security-Policy"]
            )
            self.assertContains(response, "tiles.example.org/{z}/{x}/{y}.png")
            other = self.client.get(reverse("canvassing:turf_list"))
            self.assertIn("img-src 'self';", other["Content-Security-Policy"])

    def test_volunteers_cannot_list_points(self) -> None:
        self.login(self.teammate)
        response = self.client.get(reverse("canvassing:people_points"), {"bbox": "0,0,1,1"})
        self.assertEqual(response.status_code, 403)


class WalkListPdfTests(BaseTestCase):
    def test_a_volunteer_prints_their_turf_and_the_export_is_audited(self) -> None:
        resident("1", "rue de la Paix", birth_name="MARTIN")
        turf = turf_create_from_stations(actor=self.owner, name="B1", station_codes=["13999_0001"])
        turf_assign(actor=self.owner, turf=turf, users=[self.teammate])
        self.login(self.teammate)
        response = self.client.get(reverse("canvassing:walk_list_pdf", args=[turf.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
        entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.EXPORT)
        self.assertEqual((entry.actor, entry.target_id), (self.teammate, str(turf.pk)))
        self.assertEqual(entry.changes["people"], 1)


class WalkListSheetsTests(BaseTestCase):
    def test_a_big_turf_prints_in_sheets_of_a_hundred_doors(self) -> None:
        from maillage.canvassing.paper import SHEET_DOORS
        from maillage.canvassing.tests.helpers import hand_turf
        from maillage.people.models import Person

        people = Person.objects.bulk_create(
            Person(birth_name=f"PORTE{n:03d}", first_names="Alex") for n in range(SHEET_DOORS + 5)
        )
        turf = hand_turf(people, users=[self.teammate])
        self.login(self.teammate)
        response = self.client.get(reverse("canvassing:turf_detail", args=[turf.pk]))
        self.assertContains(response, "Feuille 2 (portes 101–105)")
        self.assertNotContains(response, 'data-testid="walk-list-pdf"')
        response = self.client.get(
            reverse("canvassing:walk_list_pdf", args=[turf.pk]), {"sheet": "2"}
        )
        self.assertTrue(response.content.startswith(b"%PDF"))
        self.assertIn("feuille-2.pdf", response["Content-Disposition"])
        entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.EXPORT)
        self.assertEqual(entry.changes["doors"], [101, 105])
        self.assertEqual(entry.changes["people"], 5)


class PaperEntryTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.a = resident("1", "rue de la Paix", birth_name="MARTIN")
        cls.b = resident("3", "rue de la Paix", birth_name="DURAND")
        cls.turf = turf_create_from_stations(
            actor=cls.owner, name="B1", station_codes=["13999_0001"]
        )
        turf_assign(actor=cls.owner, turf=cls.turf, users=[cls.teammate])

    def post(self, data: dict[str, str]) -> object:
        return self.client.post(
            reverse("canvassing:paper_entry", args=[self.turf.pk]),
            {"sheet-walked_on": "2026-12-01", "sheet-walked_at": "18:30", **data},
        )

    def test_typed_rows_are_recorded_once_even_when_the_page_is_sent_twice(self) -> None:
        self.login(self.teammate)
        with self.assertNumQueries(3):  # session with its user, the turf (scoped), the walk list
            page = self.client.get(reverse("canvassing:paper_entry", args=[self.turf.pk]))
        self.assertContains(page, f'name="p{self.a.pk}-result"')
        rows = {
            f"p{self.a.pk}-uuid": str(uuid.uuid4()),
            f"p{self.a.pk}-result": "talked",
            f"p{self.a.pk}-support": str(SupportLevel.UNDECIDED),
            f"p{self.a.pk}-note": "Veut parler du bus",
            f"p{self.b.pk}-uuid": str(uuid.uuid4()),
            f"p{self.b.pk}-result": "not_home",
        }
        response = self.post(rows)
        self.assertEqual(response.status_code, 302)
        again = self.post(rows)
        self.assertEqual(again.status_code, 302)
        interactions = Interaction.objects.order_by("person_id")
        self.assertEqual(
            [(i.person_id, i.result, i.support_level) for i in interactions],
            [(self.a.pk, "talked", SupportLevel.UNDECIDED), (self.b.pk, "not_home", None)],
        )
        first = interactions[0]
        self.assertEqual((first.source_kind, first.source_id), ("turf", self.turf.pk))
        self.assertEqual(first.actor, self.teammate)
        self.assertEqual(first.note, "Veut parler du bus")
        self.assertEqual(first.occurred_at.isoformat()[:16], "2026-12-01T17:30")  # 18:30 in Paris
        self.a.refresh_from_db()
        self.assertEqual(self.a.current_support, SupportLevel.UNDECIDED)

    def test_a_bad_row_is_refused_the_others_recorded_and_a_resend_adds_only_the_fix(
        self,
    ) -> None:
        self.login(self.teammate)
        key = str(uuid.uuid4())
        rows = {
            f"p{self.a.pk}-uuid": key,
            f"p{self.a.pk}-result": "not_home",
            f"p{self.a.pk}-support": "1",  # an opinion without a conversation
            f"p{self.b.pk}-uuid": str(uuid.uuid4()),
            f"p{self.b.pk}-result": "refused",
        }
        response = self.post(rows)
        self.assertContains(response, "conversation", status_code=400)
        self.assertContains(response, key, status_code=400)  # the same UUID for the resend
        self.assertContains(response, "1 autre ligne est enregistrée", status_code=400)
        self.assertEqual(list(Interaction.objects.values_list("person_id", flat=True)), [self.b.pk])
        rows[f"p{self.a.pk}-support"] = ""
        self.assertEqual(self.post(rows).status_code, 302)
        self.assertEqual(
            sorted(Interaction.objects.values_list("person_id", "result")),
            sorted([(self.a.pk, "not_home"), (self.b.pk, "refused")]),
        )

    def test_a_date_in_the_future_records_nothing(self) -> None:
        self.login(self.teammate)
        response = self.client.post(
            reverse("canvassing:paper_entry", args=[self.turf.pk]),
            {
                "sheet-walked_on": "2099-01-01",
                f"p{self.a.pk}-uuid": str(uuid.uuid4()),
                f"p{self.a.pk}-result": "not_home",
            },
        )
        self.assertContains(response, "futur", status_code=400)
        self.assertFalse(Interaction.objects.exists())

    def test_rows_of_people_outside_the_turf_are_ignored(self) -> None:
        stranger = resident("5", "rue Haute", polling_station_code="13999_0002")
        self.login(self.teammate)
        self.post({f"p{stranger.pk}-uuid": str(uuid.uuid4()), f"p{stranger.pk}-result": "not_home"})
        self.assertFalse(Interaction.objects.exists())


class MapTests(BaseTestCase):
    """Turfs drawn on the map: the people's points in view, the cut, the turf's map data."""

    SQUARE = {
        "type": "Polygon",
        "coordinates": [[[5.0, 43.0], [5.1, 43.0], [5.1, 43.1], [5.0, 43.1], [5.0, 43.0]]],
    }

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.inside = resident("1", "rue Basse", latitude=43.05, longitude=5.05)
        cls.same_door = resident("1", "rue Basse", latitude=43.05, longitude=5.05)
        cls.edge = resident("3", "rue Basse", latitude=43.05, longitude=5.0)
        cls.corner_box = resident("5", "rue Basse", latitude=43.099, longitude=5.2)  # in the box
        cls.far = resident("7", "rue Basse", latitude=45.0, longitude=5.05)
        cls.unplaced = resident("9", "rue Basse")

    def test_staff_cut_a_turf_by_drawing_it(self) -> None:
        import json

        self.login(self.owner)
        response = self.client.post(
            reverse("canvassing:turf_create") + "?kind=polygon",
            {"name": "Zone", "description": "", "geometry": json.dumps(self.SQUARE)},
        )
        turf = Turf.objects.get(name="Zone")
        self.assertRedirects(response, reverse("canvassing:turf_detail", args=[turf.pk]))
        self.assertEqual((turf.kind, turf.member_count, turf.door_count), ("polygon", 3, 2))
        self.assertEqual(json.loads(turf.geometry), self.SQUARE)
        data = self.client.get(reverse("canvassing:turf_map_data", args=[turf.pk])).json()
        self.assertEqual(data["outline"], self.SQUARE)
        self.assertEqual(data["points"], [[5.05, 43.05, 1], [5.0, 43.05, 2]])  # one per door
        response = self.client.get(reverse("canvassing:turf_detail", args=[turf.pk]))
        self.assertContains(response, 'id="turf-map"')

    def test_a_bad_drawing_is_a_form_error(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("canvassing:turf_create") + "?kind=polygon",
            {"name": "Zone", "geometry": '{"type": "Point", "coordinates": [5, 43]}'},
        )
        self.assertContains(response, "polygone", status_code=400)
        self.assertFalse(Turf.objects.exists())

    def test_the_points_in_view_are_places_only_and_scoped(self) -> None:
        self.login(self.owner)
        url = reverse("canvassing:people_points")
        data = self.client.get(url, {"bbox": "4.9,42.9,5.3,43.2"}).json()
        self.assertEqual(
            sorted(map(tuple, data["points"])), [(5.0, 43.05), (5.05, 43.05), (5.2, 43.099)]
        )
        self.assertFalse(data["truncated"])
        self.assertEqual(self.client.get(url, {"bbox": "nope"}).status_code, 400)
        organiser = UserFactory(role=Role.ORGANISER)  # no zone, no assignment: sees nobody
        self.login(organiser)
        self.assertEqual(self.client.get(url, {"bbox": "4.9,42.9,5.3,43.2"}).json()["points"], [])

    def test_a_turf_without_coordinates_shows_no_map(self) -> None:
        resident("2", "rue Haute", polling_station_code="13999_0002")
        turf = turf_create_from_stations(
            actor=self.owner, name="Sans carte", station_codes=["13999_0002"]
        )
        self.login(self.owner)
        response = self.client.get(reverse("canvassing:turf_detail", args=[turf.pk]))
        self.assertNotContains(response, 'id="turf-map"')
