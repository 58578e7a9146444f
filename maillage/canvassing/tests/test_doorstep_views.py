"""The doorstep pages: a volunteer's turfs, a turf's app page (constant queries), the turf
download (scoped, audited), the service worker and the team leader's live progress."""

from __future__ import annotations

import json
import uuid

from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.canvassing.tests.doorstep_helpers import door_result, make_turf
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import Interaction
from maillage.people.tests.helpers import make_person


class DoorstepPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.people = [
            make_person(
                birth_name=f"VOISIN{n}",
                address_number=str(n // 2 + 1),
                address_street="rue de la Paix",
            )
            for n in range(6)
        ]
        cls.turf = make_turf(cls.people, users=[cls.teammate], name="Paix nord")
        cls.other_turf = make_turf([make_person(birth_name="LOIN")], users=[cls.outsider])

    def test_home_lists_only_my_turfs(self) -> None:
        self.login(self.teammate)
        response = self.client.get(reverse("canvassing:doorstep_home"))
        self.assertContains(response, "Paix nord")
        self.assertNotContains(response, self.other_turf.name)

    def test_another_turf_is_a_404_page_and_download(self) -> None:
        self.login(self.teammate)
        for name in ("canvassing:doorstep_turf", "canvassing:doorstep_turf_data"):
            response = self.client.get(reverse(name, args=[self.other_turf.pk]))
            self.assertEqual(response.status_code, 404, name)
        self.login(self.outsider)
        response = self.client.get(reverse("canvassing:doorstep_turf_data", args=[self.turf.pk]))
        self.assertEqual(response.status_code, 404)

    def test_the_turf_page_takes_the_same_queries_whatever_the_turf(self) -> None:
        self.login(self.teammate)
        url = reverse("canvassing:doorstep_turf", args=[self.turf.pk])
        self.client.get(url)  # warm the session
        with self.assertNumQueries(2):
            response = self.client.get(url)
        self.assertContains(response, 'data-testid="doorstep"')
        self.assertContains(response, "Repasser plus tard")  # the door codes, translated
        big = make_turf(
            [make_person(address_number=str(n), address_street="bd") for n in range(40)],
            users=[self.teammate],
        )
        with self.assertNumQueries(2):
            self.client.get(reverse("canvassing:doorstep_turf", args=[big.pk]))

    def test_the_download_is_the_walk_list_by_door_and_is_audited(self) -> None:
        self.login(self.teammate)
        url = reverse("canvassing:doorstep_turf_data", args=[self.turf.pk])
        with self.assertNumQueries(5):  # session with its user, turf, walk list, audit, no script
            data = self.client.get(url).json()
        self.assertEqual(data["id"], self.turf.pk)
        self.assertEqual([len(door["people"]) for door in data["doors"]], [2, 2, 2])
        self.assertEqual(data["doors"][0]["address"], "1 rue de la Paix")
        self.assertIn("VOISIN0", data["doors"][0]["people"][0]["name"])
        self.assertNotIn("support", json.dumps(data["doors"]))
        entry = AuditLogEntry.objects.get(target_type="canvassing.turf")
        self.assertEqual((entry.actor_id, entry.action), (self.teammate.pk, "view"))
        big = make_turf(
            [make_person(address_number=str(n), address_street="bd") for n in range(40)],
            users=[self.teammate],
        )
        with self.assertNumQueries(5):
            self.client.get(reverse("canvassing:doorstep_turf_data", args=[big.pk]))

    def test_the_service_worker_is_served_at_the_apps_scope(self) -> None:
        response = self.client.get(reverse("canvassing:doorstep_worker"))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/javascript"))
        body = response.content.decode()
        self.assertIn("importScripts(", body)
        self.assertIn("canvassing/doorstep/app.js", body)
        self.assertEqual(
            reverse("canvassing:doorstep_worker").rsplit("/", 1)[0] + "/",
            reverse("canvassing:doorstep_home"),
        )


class ProgressTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.leader = UserFactory(
            email="lea@example.org", full_name="Léa Leader", role=Role.TEAM_LEADER
        )
        cls.leader.teams.add(cls.team)
        cls.second = UserFactory(
            email="sam@example.org", full_name="Sam Second", role=Role.VOLUNTEER
        )
        cls.second.teams.add(cls.team)
        a = make_person(address_number="1", address_street="rue du Port")
        b = make_person(address_number="1", address_street="rue du Port")
        c = make_person(address_number="2", address_street="rue du Port")
        cls.turf = make_turf([a, b, c], teams=[cls.team], name="Rue du Port")
        cls.far = make_turf([make_person()], users=[cls.outsider], name="Lyon")
        cls.people = (a, b, c)

    def sync(self, user, items) -> None:  # type: ignore[no-untyped-def]
        self.login(user)
        response = self.client.post(
            reverse("canvassing:doorstep_sync"),
            json.dumps({"results": items}),
            content_type="application/json",
        )
        self.assertEqual({row["status"] for row in response.json()["results"]}, {"stored"})

    def test_doors_contacts_and_codes_per_turf_and_volunteer(self) -> None:
        a, b, c = self.people
        self.sync(
            self.teammate, [door_result(a, self.turf), door_result(b, self.turf, result="refused")]
        )
        self.sync(self.second, [door_result(c, self.turf, result="not_home")])
        self.login(self.leader)
        with self.assertNumQueries(7):
            response = self.client.get(reverse("canvassing:doorstep_progress"))
        progress = response.context["progress"]
        self.assertEqual([row.turf.name for row in progress.turfs], ["Rue du Port"])
        row = progress.turfs[0]
        self.assertEqual((row.counts.doors, row.counts.contacts, row.counts.attempts), (2, 1, 3))
        by_name = {v.name: v.counts for v in row.volunteers}
        self.assertEqual(
            (by_name["Théo Teammate"].doors, by_name["Théo Teammate"].contacts), (1, 1)
        )
        self.assertEqual(by_name["Sam Second"].by_result, {"not_home": 1})
        self.assertNotContains(response, "Lyon")
        # htmx polls the fragment, not the whole page.
        fragment = self.client.get(reverse("canvassing:doorstep_progress"), HTTP_HX_REQUEST="true")
        self.assertNotContains(fragment, "<html")
        self.assertContains(fragment, 'data-testid="total-doors">2<')

    def test_volunteers_do_not_see_progress(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get(reverse("canvassing:doorstep_progress")).status_code, 403)

    def test_a_result_once_synced_counts_once(self) -> None:
        a, _b, _c = self.people
        item = door_result(a, self.turf, uuid=str(uuid.uuid4()))
        self.sync(self.teammate, [item])
        self.client.post(
            reverse("canvassing:doorstep_sync"),
            json.dumps({"results": [item]}),
            content_type="application/json",
        )
        self.assertEqual(Interaction.objects.filter(source_kind="turf").count(), 1)


class PersuasionTests(BaseTestCase):
    def test_transitions_and_contacts_per_flip_per_turf(self) -> None:
        from datetime import timedelta

        from django.utils import timezone

        from maillage.people.services import ContactAttempt, contact_attempt_record

        ann, ben = make_person(birth_name="ANN"), make_person(birth_name="BEN")
        north = make_turf([ann, ben], users=[self.teammate], name="Nord")
        south = make_turf([make_person()], users=[self.teammate], name="Sud")
        start = timezone.now() - timedelta(days=3)

        def talk(person, level, day, turf=north) -> None:  # type: ignore[no-untyped-def]
            contact_attempt_record(
                actor=self.teammate,
                attempt=ContactAttempt(
                    person_id=person.pk,
                    channel="door",
                    result="talked",
                    client_uuid=uuid.uuid4(),
                    occurred_at=start + timedelta(days=day),
                    support_level=level,
                    source_kind="turf",
                    source_id=turf.pk,
                ),
            )

        talk(ann, 3, 0)  # undecided
        talk(ann, 3, 1)  # a conversation with an undecided person, no change
        talk(ann, 2, 2)  # another, and she leans for: a flip
        talk(ben, 4, 0)
        talk(ben, 5, 1)  # towards "against"
        self.login(self.teammate)
        url = reverse("canvassing:doorstep_persuasion")
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.owner)
        response = self.client.get(url)
        rows = response.context["rows"]
        self.assertEqual([row.turf.name for row in rows], ["Nord"])
        figures = rows[0].figures
        self.assertEqual(
            (figures.undecided_won, figures.gained, figures.lost, figures.flips),
            (1, 1, 1, 1),
        )
        self.assertEqual(
            (figures.conversations_with_undecided, figures.contacts_per_flip), (2, 2.0)
        )
        self.assertContains(response, "Indécis → Plutôt pour : 1")
        self.assertNotContains(response, south.name)
