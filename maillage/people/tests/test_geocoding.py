"""Geocoding the people's addresses in sets, against a local server speaking the BAN's CSV API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import GeocodeStatus, Person
from maillage.people.selectors.segments import segment_count
from maillage.people.services.gdpr import person_subject_access_data
from maillage.people.services.geocoding import geocoding_create, geocoding_run
from maillage.people.services.persons import person_update
from maillage.people.tests.helpers import make_person
from maillage.territory.geocoding import GeocoderError
from maillage.territory.tests.addok_server import AddokState, addok_server

VALLON = {"postcode": "13999", "commune_code": "13999", "commune_name": "Vallon-sur-Mer"}


@contextmanager
def geocoder(**settings: Any) -> Iterator[AddokState]:
    options = {"GEOCODER_RETRY_SECONDS": 0, "GEOCODER_TIMEOUT": 5, **settings}
    with addok_server() as (url, state), override_settings(GEOCODER_URL=url, **options):
        yield state


def _port(**fields: Any) -> Person:
    return make_person(address_number="3", address_street="rue du Port", **VALLON, **fields)


def _run(**kwargs: Any) -> dict[str, int]:
    progress = geocoding_create(actor=None)
    return geocoding_run(progress_id=str(progress.pk), **kwargs)


class GeocodingServiceTests(BaseTestCase):
    def setUp(self) -> None:
        self.first = _port(first_names="Anne")
        self.second = _port(first_names="Bruno")  # same building: the address is sent once
        self.lilas = make_person(address_number="12", address_street="avenue des Lilas", **VALLON)
        self.lost = make_person(address_number="99", address_street="impasse Inconnue", **VALLON)
        self.no_address = make_person()

    def test_addresses_are_placed_in_one_request_and_written_whole(self) -> None:
        with geocoder() as state:
            counts = _run()
        self.assertEqual(counts, {"found": 3, "not_found": 1})
        first = Person.objects.get(pk=self.first.pk)
        self.assertEqual((first.latitude, first.longitude), (43.2965, 5.3698))
        self.assertEqual((first.geocode_score, first.geocode_status), (97, GeocodeStatus.FOUND))
        self.assertIsNotNone(first.geocoded_at)
        second = Person.objects.get(pk=self.second.pk)
        self.assertEqual((second.latitude, second.longitude), (43.2965, 5.3698))
        lost = Person.objects.get(pk=self.lost.pk)
        self.assertEqual((lost.latitude, lost.geocode_status), (None, GeocodeStatus.NOT_FOUND))
        untouched = Person.objects.get(pk=self.no_address.pk)
        self.assertEqual((untouched.geocode_status, untouched.geocoded_at), (None, None))
        (request,) = state.requests
        sent = request["data"].decode().splitlines()  # type: ignore[union-attr]
        self.assertEqual(len(sent), 1 + 3)  # header + three distinct addresses
        progress = TaskProgress.objects.get(kind="people.geocode")
        self.assertEqual((progress.status, progress.done, progress.total), ("succeeded", 4, 4))
        # A second run has nothing left to send.
        with geocoder() as state:
            self.assertEqual(_run(), {"found": 0, "not_found": 0})
        self.assertEqual(state.requests, [])

    def test_the_not_found_can_be_sent_again(self) -> None:
        with geocoder():
            _run()
            with geocoder() as state:
                self.assertEqual(_run(retry_not_found=True), {"found": 0, "not_found": 1})
        self.assertEqual(len(state.requests), 1)

    def test_the_queries_of_a_batch_do_not_grow_with_its_people(self) -> None:
        with geocoder(), CaptureQueriesContext(connection) as few:
            _run()
        Person.objects.update(geocode_status=None, geocoded_at=None)
        for n in range(40):
            _port(first_names=f"Voisin {n}")
        with geocoder(), CaptureQueriesContext(connection) as many:
            _run()
        self.assertEqual(Person.objects.filter(geocode_status=GeocodeStatus.FOUND).count(), 43)
        self.assertEqual(len(many.captured_queries), len(few.captured_queries))

    def test_a_5xx_is_retried_and_the_batch_written(self) -> None:
        with geocoder() as state:
            state.fail_next = 1
            self.assertEqual(_run(), {"found": 3, "not_found": 1})
        self.assertEqual(len(state.requests), 2)

    def test_a_malformed_answer_stops_the_run_with_earlier_batches_written(self) -> None:
        with geocoder() as state:
            state.modes = ["ok", "malformed"]
            with self.assertRaises(GeocoderError):
                _run(batch_size=2)
        progress = TaskProgress.objects.get(kind="people.geocode")
        self.assertEqual(progress.status, TaskProgress.Status.FAILED)
        self.assertIn("illisible", progress.message)
        self.assertEqual(progress.done, 2)
        placed = set(Person.objects.filter(geocoded_at__isnull=False).values_list("pk", flat=True))
        self.assertEqual(placed, {self.first.pk, self.second.pk})  # the first batch, whole
        # Run again: only the people still waiting are sent.
        with geocoder() as state:
            self.assertEqual(_run(batch_size=2), {"found": 1, "not_found": 1})
        self.assertEqual(len(state.requests), 1)

    def test_a_service_too_slow_fails_the_run_clearly_and_writes_nothing(self) -> None:
        with geocoder(GEOCODER_TIMEOUT=1, GEOCODER_TRIES=2) as state:
            state.mode, state.delay = "slow", 2.5
            with self.assertRaises(GeocoderError) as raised:
                _run()
        self.assertTrue(raised.exception.transient)
        self.assertEqual(len(state.requests), 2)
        progress = TaskProgress.objects.get(kind="people.geocode")
        self.assertIn("pas de réponse du géocodeur en 1 s", progress.message)
        self.assertFalse(Person.objects.filter(geocoded_at__isnull=False).exists())

    def test_a_changed_address_is_placed_again(self) -> None:
        with geocoder():
            _run()
        person = Person.objects.get(pk=self.first.pk)
        person_update(actor=self.owner, person=person, fields={"address_number": "5"})
        person.refresh_from_db()
        self.assertEqual((person.latitude, person.geocode_status), (None, None))
        # Anything else changes nothing to where the address lies.
        second = Person.objects.get(pk=self.second.pk)
        person_update(actor=self.owner, person=second, fields={"notes": "rappeler"})
        self.assertEqual(Person.objects.get(pk=self.second.pk).latitude, 43.2965)

    def test_the_coordinates_are_in_the_subject_access_export(self) -> None:
        with geocoder():
            _run()
        data = person_subject_access_data(person=Person.objects.get(pk=self.first.pk))
        self.assertEqual(
            (data["address"]["latitude"], data["address"]["geocode_status"]), (43.2965, 1)
        )
        self.assertTrue(data["address"]["geocoded_at"].startswith("20"))

    def test_a_segment_can_ask_for_people_on_the_map(self) -> None:
        with geocoder():
            _run()
        count = segment_count(
            user=self.owner,
            definition={"op": "and", "filters": [{"field": "geocode", "values": ["found"]}]},
        )
        self.assertEqual(count, 3)
        count = segment_count(
            user=self.owner,
            definition={
                "op": "and",
                "filters": [{"field": "geocode", "values": ["pending", "not_found"]}],
            },
        )
        self.assertEqual(count, 2)


class GeocodingCommandTests(BaseTestCase):
    def test_the_command_geocodes_with_a_bar(self) -> None:
        _port()
        out = StringIO()
        with geocoder():
            call_command("geocode", stdout=out)
        self.assertIn("1 personne(s) localisée(s)", out.getvalue())
        self.assertIn("100%", out.getvalue())

    def test_a_failing_service_is_a_command_error(self) -> None:
        _port()
        with geocoder() as state:
            state.mode = "bad_request"
            with self.assertRaises(CommandError) as raised:
                call_command("geocode", stdout=StringIO())
        self.assertIn("400", str(raised.exception))


class GeocodingPageTests(BaseTestCase):
    def test_staff_start_a_run_and_see_the_result_on_the_contact_sheet(self) -> None:
        person = _port()
        self.login(self.teammate)
        self.assertEqual(self.client.get(reverse("people:geocoding")).status_code, 403)
        self.assertEqual(self.client.post(reverse("people:geocoding_start")).status_code, 403)
        self.login(self.owner)
        # session with its user, the counts (one aggregate), the last run
        with self.assertNumQueries(3):
            page = self.client.get(reverse("people:geocoding"))
        self.assertContains(page, "1 personne en attente")
        with geocoder():
            response = self.client.post(reverse("people:geocoding_start"))
        progress = TaskProgress.objects.get(kind="people.geocode")
        self.assertRedirects(response, reverse("core:task_progress_page", args=[progress.pk]))
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED)  # tasks run at once here
        # Addresses left for a third party: an export in the audit log, by the staff member.
        export = AuditLogEntry.objects.get(action="export", target_id=str(progress.pk))
        self.assertEqual((export.actor_id, export.changes["people_sent"]), (self.owner.pk, 1))
        self.assertEqual(export.changes["geocoder"], "127.0.0.1")
        self.assertContains(self.client.get(reverse("people:geocoding")), "1 personne localisée")
        sheet = self.client.get(reverse("people:person_detail", args=[person.pk]))
        self.assertContains(sheet, "localisée")
        self.assertContains(sheet, "score 97/100")
        self.assertEqual(self.client.get(reverse("people:geocoding_start")).status_code, 405)

    def test_a_failed_run_says_why_on_its_progress(self) -> None:
        _port()
        self.login(self.owner)
        with geocoder() as state:
            state.mode = "malformed"
            self.client.post(reverse("people:geocoding_start"))
        progress = TaskProgress.objects.get(kind="people.geocode")
        self.assertEqual(progress.status, TaskProgress.Status.FAILED)
        self.assertIn("Géocodage interrompu", progress.message)
        self.assertContains(self.client.get(reverse("people:geocoding")), "Géocodage interrompu")

    def test_without_coordinates_the_contact_sheet_says_so(self) -> None:
        person = _port()
        self.login(self.owner)
        self.assertContains(
            self.client.get(reverse("people:person_detail", args=[person.pk])), "pas encore"
        )
