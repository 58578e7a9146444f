"""The doorstep app's sync endpoint: every result stored once (retries, double taps, a batch
posted twice), each answered stored/duplicate/rejected with its reason, scoped to the
volunteer's turfs, CSRF-checked and rate limited."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from maillage.canvassing.tests.doorstep_helpers import door_result, make_turf
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Consent, Interaction, PhoneNumber
from maillage.people.tests.helpers import make_person
from maillage.surveys.selectors import answers_for_interactions
from maillage.surveys.services import question_add, script_create

URL = reverse("canvassing:doorstep_sync")


class DoorstepSyncTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.alice = make_person(birth_name="ALICE", household_key="1 rue a")
        cls.bob = make_person(birth_name="BOB", household_key="1 rue a")
        cls.carl = make_person(birth_name="CARL", household_key="3 rue a")
        cls.stranger = make_person(birth_name="STRANGER")
        cls.turf = make_turf([cls.alice, cls.bob, cls.carl], users=[cls.teammate])
        cls.other_turf = make_turf([cls.stranger], users=[cls.outsider])

    def post(self, results: Any, client: Client | None = None) -> Any:
        client = client or self.client
        return client.post(URL, json.dumps({"results": results}), content_type="application/json")

    def statuses(self, response: Any) -> list[str]:
        self.assertEqual(response.status_code, 200, response.content)
        return [row["status"] for row in response.json()["results"]]

    def test_a_batch_is_stored_and_a_resend_stores_nothing_twice(self) -> None:
        self.login(self.teammate)
        batch = [
            door_result(self.alice, self.turf, support_level=3),
            door_result(self.bob, self.turf, result="not_home"),
        ]
        self.assertEqual(self.statuses(self.post(batch)), ["stored", "stored"])
        # The answer was lost on a bad network: the outbox sends the same batch again.
        self.assertEqual(self.statuses(self.post(batch)), ["duplicate", "duplicate"])
        self.assertEqual(Interaction.objects.filter(source_kind="turf").count(), 2)
        alice = Interaction.objects.get(person=self.alice)
        self.assertEqual(
            (alice.channel, alice.result, alice.support_level, alice.actor_id, alice.source_id),
            ("door", "talked", 3, self.teammate.pk, self.turf.pk),
        )
        self.alice.refresh_from_db()
        self.assertEqual(self.alice.current_support, 3)

    def test_the_batch_reads_its_peoples_scope_once_whatever_its_size(self) -> None:
        # people_visible_to is the union of the assignment sources: its turf-assignment read
        # appears once per batch, never once per result.
        self.login(self.teammate)

        def scope_reads(people: list[Any]) -> int:
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(
                    set(self.statuses(self.post([door_result(p, self.turf) for p in people]))),
                    {"stored"},
                )
            return sum(
                "personlist_assigned_users" in query["sql"] for query in queries.captured_queries
            )

        self.assertEqual(scope_reads([self.alice]), 1)
        self.assertEqual(scope_reads([self.alice, self.bob, self.carl]), 1)

    def test_a_double_tap_in_one_batch_is_one_result(self) -> None:
        self.login(self.teammate)
        item = door_result(self.carl, self.turf, result="refused")
        self.assertEqual(self.statuses(self.post([item, dict(item)])), ["stored", "duplicate"])
        self.assertEqual(Interaction.objects.filter(person=self.carl).count(), 1)

    def test_people_outside_the_volunteers_turfs_are_refused_the_others_stored(self) -> None:
        self.login(self.teammate)
        response = self.post(
            [
                door_result(self.stranger, self.turf),  # not in the turf, not visible
                door_result(self.stranger, self.other_turf),  # a turf not assigned to them
                door_result(self.alice, self.turf),
            ]
        )
        rows = response.json()["results"]
        self.assertEqual([row["status"] for row in rows], ["rejected", "rejected", "stored"])
        self.assertIn("pas dans ce secteur", rows[0]["reason"])
        self.assertIn("attribué", rows[1]["reason"])
        self.assertFalse(Interaction.objects.filter(person=self.stranger).exists())

    def test_unreadable_results_are_refused_with_a_reason(self) -> None:
        self.login(self.teammate)
        rows = self.post(
            [
                door_result(self.alice, self.turf, result="no_answer"),  # a phone code
                door_result(self.alice, self.turf, uuid="not-a-uuid"),
                door_result(self.alice, self.turf, occurred_at="hier"),
                door_result(self.alice, self.turf, email_consent=True, new_email="a@example.org"),
                "garbage",
            ]
        ).json()["results"]
        self.assertEqual({row["status"] for row in rows}, {"rejected"})
        self.assertTrue(all(row["reason"] for row in rows))
        self.assertFalse(Interaction.objects.exists())

    def test_a_question_for_staff_and_a_new_phone_with_consent(self) -> None:
        self.login(self.teammate)
        wording = "J'accepte d'être appelé·e par la campagne."
        item = door_result(
            self.carl,
            self.turf,
            question="Quand ouvre la nouvelle crèche ?",
            new_phone="06 12 34 56 78",
            phone_consent=True,
            consent_wording=wording,
        )
        self.assertEqual(self.statuses(self.post([item])), ["stored"])
        interaction = Interaction.objects.get(person=self.carl)
        self.assertEqual(interaction.question_status, "open")
        self.assertTrue(PhoneNumber.objects.filter(person=self.carl).exists())
        consent = Consent.objects.filter(person=self.carl, channel="phone").latest("recorded_at")
        self.assertTrue(consent.granted)
        self.assertEqual(consent.wording, wording)

    def test_the_batch_is_bounded_and_must_be_json(self) -> None:
        self.login(self.teammate)
        too_many = [door_result(self.alice, self.turf) for _ in range(51)]
        self.assertEqual(self.post(too_many).status_code, 400)
        response = self.client.post(URL, "{nope", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Interaction.objects.exists())

    def test_sign_in_post_and_csrf_are_required(self) -> None:
        item = door_result(self.alice, self.turf)
        self.assertEqual(self.post([item]).status_code, 302)  # to the login page
        self.login(self.teammate)
        self.assertEqual(self.client.get(URL).status_code, 405)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.teammate, backend="maillage.accounts.backends.AccountBackend")
        self.assertEqual(self.post([item], client=strict).status_code, 403)
        self.assertFalse(Interaction.objects.exists())

    def test_sync_is_rate_limited_per_volunteer(self) -> None:
        self.login(self.teammate)
        codes = [self.post([]).status_code for _ in range(61)]
        self.assertEqual(codes[:60], [200] * 60)
        self.assertEqual(codes[60], 429)

    def test_one_uuid_cannot_be_reused_for_another_person(self) -> None:
        self.login(self.teammate)
        shared = str(uuid.uuid4())
        self.post([door_result(self.alice, self.turf, uuid=shared)])
        rows = self.post([door_result(self.bob, self.turf, uuid=shared)]).json()["results"]
        self.assertEqual(rows[0]["status"], "rejected")
        self.assertFalse(Interaction.objects.filter(person=self.bob).exists())


class DoorstepScriptTests(BaseTestCase):
    """The script downloaded with the turf; its answers come back with the result."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.person = make_person(birth_name="ALICE")
        cls.turf = make_turf([cls.person], users=[cls.teammate])
        cls.script = script_create(actor=cls.owner, name="Porte-à-porte")
        cls.support = question_add(
            actor=cls.owner, script=cls.script, text="Votre intention ?", kind="support"
        )
        cls.topic = question_add(
            actor=cls.owner, script=cls.script, text="Votre priorité ?", kind="text", required=True
        )

    def test_the_download_carries_the_script_and_its_answers_are_stored(self) -> None:
        self.login(self.teammate)
        url = reverse("canvassing:doorstep_turf_data", args=[self.turf.pk])
        with self.assertNumQueries(8):  # the script: itself, its questions, their choices
            data = self.client.get(url).json()
        script = data["script"]
        self.assertEqual(
            [q["text"] for q in script["questions"]], ["Votre intention ?", "Votre priorité ?"]
        )
        undecided = next(c for c in script["questions"][0]["choices"] if c["support_level"] == 3)
        item = door_result(
            self.person,
            self.turf,
            support_level=3,
            script=script["id"],
            answers={str(self.support.pk): undecided["id"], str(self.topic.pk): "Les transports"},
        )
        response = self.client.post(
            URL, json.dumps({"results": [item]}), content_type="application/json"
        )
        self.assertEqual(response.json()["results"], [{"uuid": item["uuid"], "status": "stored"}])
        interaction = Interaction.objects.get(person=self.person)
        answers = answers_for_interactions([interaction.pk])[interaction.pk]
        self.assertEqual(
            sorted(a.text or a.choice.label for a in answers), ["Indécis", "Les transports"]
        )

    def test_answers_the_script_refuses_keep_the_door_result(self) -> None:
        self.login(self.teammate)
        item = door_result(
            self.person,
            self.turf,
            script=self.script.pk,
            answers={str(self.support.pk): 999999},  # not a choice of the question
        )
        response = self.client.post(
            URL, json.dumps({"results": [item]}), content_type="application/json"
        )
        row = response.json()["results"][0]
        self.assertEqual(row["status"], "stored")
        self.assertIn("questionnaire", row["reason"])
        interaction = Interaction.objects.get(person=self.person)
        self.assertEqual(answers_for_interactions([interaction.pk]), {})


class DoorstepConflictTests(BaseTestCase):
    def test_two_volunteers_on_one_person_are_both_kept_and_flagged(self) -> None:
        person = make_person(birth_name="PARTAGÉ")
        turf = make_turf([person], users=[self.teammate, self.outsider])
        self.login(self.teammate)
        first = door_result(person, turf, support_level=3)
        self.client.post(URL, json.dumps({"results": [first]}), content_type="application/json")
        self.login(self.outsider)
        second = door_result(person, turf, support_level=1)
        self.client.post(URL, json.dumps({"results": [second]}), content_type="application/json")
        results = Interaction.objects.filter(person=person).order_by("occurred_at", "pk")
        self.assertEqual([row.support_level for row in results], [3, 1])
        self.assertTrue(any(row.needs_review for row in results))
        person.refresh_from_db()
        self.assertEqual(person.current_support, 1)  # the latest sets the level
