"""Pages: access rules, pinned query counts, audit of sheet views and exports, the builder's count."""

from __future__ import annotations

import io
import json
import re
import uuid

from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from maillage.accounts.tests.factories import UserFactory, ZoneFactory
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.people.dashboard import dashboard_tiles
from maillage.people.models import DuplicateCandidate, EmailAddress, Interaction, Person, Segment
from maillage.people.services.interactions import interaction_record
from maillage.people.tests.helpers import assign, at, make_person, view_context


class PersonPagesTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.assigned = make_person(birth_name="ASSIGNÉE", first_names="Inès")
        cls.hidden = make_person(birth_name="CACHÉ", first_names="Hugo")
        assign([cls.assigned], teams=[cls.team])
        interaction_record(
            actor=cls.owner,
            person=cls.assigned,
            channel="door",
            result="talked",
            support_level=3,
            occurred_at=at("2026-03-01T10:00"),
        )

    def test_it_validates_access(self) -> None:
        url = reverse("people:person_list")
        self.assertEqual(self.client.get(url).status_code, 302)
        self.login(UserFactory(role=Role.SUPPORTER))
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.teammate)
        response = self.client.get(url)
        self.assertContains(response, "ASSIGNÉE")
        self.assertNotContains(response, "CACHÉ")
        self.assertNotContains(response, "Indécis")  # support level is for staff on the list

    def test_the_contact_sheet_validates_access(self) -> None:
        self.login(self.teammate)
        self.assertEqual(
            self.client.get(reverse("people:person_detail", args=[self.hidden.pk])).status_code, 404
        )
        self.login(self.outsider)
        self.assertEqual(
            self.client.get(reverse("people:person_detail", args=[self.assigned.pk])).status_code,
            404,
        )
        self.assertEqual(
            self.client.post(
                reverse("people:person_interaction", args=[self.assigned.pk]),
                {"channel": "door", "result": "talked"},
            ).status_code,
            404,
        )
        self.assertEqual(
            self.client.post(
                reverse("people:person_consent", args=[self.assigned.pk]), {}
            ).status_code,
            404,
        )

    def test_the_list_page_runs_a_fixed_number_of_queries(self) -> None:
        for n in range(60):
            make_person(birth_name=f"VOISIN{n}")
        self.login(self.owner)
        # session with its user, count of the page, the page of people (whatever the page size).
        with self.assertNumQueries(3):
            response = self.client.get(reverse("people:person_list"), {"sort": "age"})
        self.assertEqual(len(response.context["rows"]), 50)
        self.login(self.teammate)
        with self.assertNumQueries(3):
            self.client.get(reverse("people:person_list"), {"q": "ass"})

    def test_the_list_prints_each_row_escaped_with_its_link_and_labels(self) -> None:
        hostile = make_person(
            birth_name='<script>alert("x")</script>',
            first_names="<b>Léa</b>",
            address_street='rue "du" <i>Port</i>',
            commune_name="Marseille",
        )
        self.login(self.owner)
        response = self.client.get(reverse("people:person_list"), {"sort": "-name"})
        html = response.content.decode()
        self.assertNotIn("<script>alert", html)
        self.assertNotIn("<b>Léa</b>", html)
        self.assertIn(
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;Léa&lt;/b&gt;", html
        )
        self.assertIn(f'href="/people/{hostile.pk}/" data-testid="person-link"', html)
        self.assertIn(
            'data-label="Adresse">rue &quot;du&quot; &lt;i&gt;Port&lt;/i&gt;, Marseille', html
        )
        self.assertIn('data-label="Soutien">', html)  # staff see the support column
        self.login(self.teammate)
        response = self.client.get(reverse("people:person_list"))
        self.assertContains(response, 'data-testid="person-row"', count=1)
        self.assertNotContains(response, 'data-label="Soutien"')

    def test_the_list_searches_by_name(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("people:person_list"), {"q": "ines"})
        self.assertContains(response, "ASSIGNÉE")
        self.assertNotContains(response, "CACHÉ")

    def test_opening_a_contact_sheet_is_audit_logged(self) -> None:
        self.login(self.teammate)
        response = self.client.get(reverse("people:person_detail", args=[self.assigned.pk]))
        self.assertContains(response, "Indécis")
        self.assertNotContains(response, "Effacer cette personne")
        entry = AuditLogEntry.objects.get(action="view", target_id=str(self.assigned.pk))
        self.assertEqual(entry.actor, self.teammate)

    def test_the_contact_sheet_masks_one_csrf_token_for_its_header_and_forms(self) -> None:
        self.login(self.teammate)
        page = self.client.get(reverse("people:person_detail", args=[self.assigned.pk]))
        html = page.content.decode()
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        tokens += re.findall(r'"X-CSRFToken": "([^"]+)"', html)
        # The sheet's two forms, the header's (language, sign out) and htmx's header.
        self.assertEqual(len(tokens), 5)
        self.assertEqual(len(set(tokens)), 1)
        # And it is a token the site accepts: a result posted with it is recorded.
        self.client.handler.enforce_csrf_checks = True
        response = self.client.post(
            reverse("people:person_interaction", args=[self.assigned.pk]),
            {
                "csrfmiddlewaretoken": tokens[0],
                "channel": "door",
                "result": "not_home",
                "client_uuid": str(uuid.uuid4()),
            },
        )
        self.assertEqual(response.status_code, 302)

    def test_the_contact_sheet_reads_in_english_for_an_english_speaker(self) -> None:
        # Its body is built in Python: each fixed word must still come from the catalogues.
        self.login(self.teammate)
        self.client.cookies["django_language"] = "en"  # what the language switch sets
        response = self.client.get(reverse("people:person_detail", args=[self.assigned.pk]))
        for english in ("Contact details and consents", "Interaction history", "Undecided"):
            self.assertContains(response, english)
        self.assertNotContains(response, "Historique des échanges")

    def test_the_contact_sheet_prints_every_value_escaped(self) -> None:
        # The sheet's body is built in Python (people.selectors.sheet): each value the person,
        # their addresses, notes and interactions carry must come out as text.
        hostile = make_person(
            birth_name="<i>NOM</i>",
            usage_name='"USAGE"',
            first_names="<b>Léa</b>",
            birth_place="Aix & <u>Provence</u>",
            address_street="<script>rue</script>",
            notes="ligne <em>une</em>\nligne 'deux'",
            sources=["<roll>"],
        )
        assign([hostile], teams=[self.team])
        EmailAddress.objects.create(person=hostile, address="lea<x>@example.org")
        interaction_record(
            actor=self.owner,
            person=hostile,
            channel="door",
            result="talked",
            occurred_at=at("2026-03-02T10:00"),
            note="<img src=x onerror=alert(1)>",
            question="Et <s>le tram</s> ?",
        )
        self.login(self.owner)
        page = self.client.get(reverse("people:person_detail", args=[hostile.pk])).content.decode()
        for raw in (
            "<i>NOM",
            "<b>Léa",
            "<u>Provence",
            "<script>rue",
            "<em>une",
            "<roll>",
            "lea<x>",
            "<img src=x",
            "<s>le tram",
        ):
            self.assertNotIn(raw, page)
        for printed in (
            "&lt;b&gt;Léa&lt;/b&gt; &quot;USAGE&quot;",
            "(née / né &lt;i&gt;NOM&lt;/i&gt;)",
            "Aix &amp; &lt;u&gt;Provence&lt;/u&gt;",
            "&lt;script&gt;rue&lt;/script&gt;",
            "ligne &lt;em&gt;une&lt;/em&gt;<br>ligne &#x27;deux&#x27;",
            "Sources : &lt;roll&gt;",
            'href="mailto:lea&lt;x&gt;@example.org"',
            "&lt;img src=x onerror=alert(1)&gt;",
            "Question : Et &lt;s&gt;le tram&lt;/s&gt; ?",
        ):
            self.assertIn(printed, page)

    def test_a_volunteer_records_a_door_result_once_even_when_posted_twice(self) -> None:
        self.login(self.teammate)
        key = str(uuid.uuid4())
        data = {
            "channel": "door",
            "result": "talked",
            "support_level": "1",
            "note": "convaincue",
            "client_uuid": key,
        }
        url = reverse("people:person_interaction", args=[self.assigned.pk])
        self.assertRedirects(
            self.client.post(url, data), reverse("people:person_detail", args=[self.assigned.pk])
        )
        self.client.post(url, data)
        self.assertEqual(Interaction.objects.filter(client_uuid=key).count(), 1)
        self.assigned.refresh_from_db()
        self.assertEqual(self.assigned.current_support, 1)

    def test_a_bad_interaction_is_refused_with_a_message(self) -> None:
        self.login(self.teammate)
        response = self.client.post(
            reverse("people:person_interaction", args=[self.assigned.pk]),
            {"channel": "door", "result": "dunno"},
        )
        self.assertEqual(response.status_code, 400)

    def test_recording_a_consent_from_the_sheet(self) -> None:
        EmailAddress.objects.create(person=self.assigned, address="ines@example.org")
        self.login(self.teammate)
        self.client.post(
            reverse("people:person_consent", args=[self.assigned.pk]),
            {
                "consent-channel": "email",
                "consent-granted": "1",
                "consent-legal_basis": "consent",
                "consent-source": "porte",
            },
        )
        self.assigned.refresh_from_db()
        self.assertIs(self.assigned.consent_email, True)


class GdprPagesTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.person = make_person(birth_name="LOUVET", first_names="Rose")
        assign([self.person], teams=[self.team])

    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        self.assertEqual(
            self.client.get(reverse("people:person_sar", args=[self.person.pk])).status_code, 403
        )
        self.assertEqual(
            self.client.post(
                reverse("people:person_erase", args=[self.person.pk]), {"confirm": "yes"}
            ).status_code,
            403,
        )
        self.assertTrue(Person.objects.filter(pk=self.person.pk).exists())

    def test_staff_download_the_subject_access_export(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("people:person_sar", args=[self.person.pk]))
        self.assertEqual(json.loads(response.content)["identity"]["birth_name"], "LOUVET")
        response = self.client.get(
            reverse("people:person_sar", args=[self.person.pk]), {"format": "txt"}
        )
        self.assertIn("LOUVET", response.content.decode())
        self.assertEqual(AuditLogEntry.objects.filter(action="export").count(), 2)

    def test_erasure_asks_for_confirmation_then_erases(self) -> None:
        self.login(self.owner)
        url = reverse("people:person_erase", args=[self.person.pk])
        self.assertContains(self.client.get(url), "Effacer définitivement")
        self.client.post(url, {})
        self.assertTrue(Person.objects.filter(pk=self.person.pk).exists())
        self.assertRedirects(
            self.client.post(url, {"confirm": "yes"}), reverse("people:person_list")
        )
        self.assertFalse(Person.objects.filter(pk=self.person.pk).exists())


class SegmentPagesTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.seniors = Segment.objects.create(
            name="Seniors du bureau 3",
            definition={
                "op": "and",
                "filters": [
                    {"field": "age", "min": 60, "max": None},
                    {"field": "polling_station", "values": ["13055_0003"]},
                ],
            },
        )
        for n in range(55):
            make_person(
                birth_name=f"AINE{n}",
                birth_year=1940 + n % 5,
                polling_station_code="13055_0003",
                current_support=1 + n % 5,
            )
        make_person(birth_name="JEUNE", birth_year=2000, polling_station_code="13055_0003")

    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        for url in (
            reverse("people:segment_list"),
            reverse("people:segment_create"),
            reverse("people:segment_detail", args=[self.seniors.pk]),
            reverse("people:segment_export", args=[self.seniors.pk]),
            reverse("people:segment_edit", args=[self.seniors.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 403, url)
        self.assertEqual(self.client.post(reverse("people:segment_count"), {}).status_code, 403)
        self.client.logout()
        self.assertEqual(self.client.get(reverse("people:segment_list")).status_code, 302)

    def test_an_organiser_reads_segments_over_their_zone_without_support(self) -> None:
        make_person(
            birth_name="LYONNAIS",
            birth_year=1940,
            polling_station_code="13055_0003",
            commune_code="69123",
            department_code="69",
            constituency_code="6901",
        )
        undecided = Segment.objects.create(
            name="Indécis",
            definition={"op": "and", "filters": [{"field": "support", "values": [3]}]},
        )
        through = Segment.objects.create(
            name="Seniors indécis",
            definition={
                "op": "or",
                "filters": [
                    {"field": "segment", "id": self.seniors.pk},
                    {"op": "and", "filters": [{"field": "segment", "id": undecided.pk}]},
                ],
            },
        )
        organiser = UserFactory(role=Role.ORGANISER)
        organiser.zones.add(ZoneFactory(name="Bouches-du-Rhône", code="13"))
        self.login(organiser)
        response = self.client.get(reverse("people:segment_list"))
        self.assertContains(response, "Seniors du bureau 3")
        self.assertNotContains(response, "Indécis")
        self.assertNotContains(response, reverse("people:segment_create"))
        response = self.client.get(
            reverse("people:segment_detail", args=[self.seniors.pk]), {"sort": "support"}
        )
        self.assertEqual(view_context(response)["page"].paginator.count, 55)  # not the one in Lyon
        self.assertEqual(response.context["sort"], "name")
        self.assertNotContains(response, "Soutien")
        self.assertNotContains(response, reverse("people:segment_export", args=[self.seniors.pk]))
        for segment in (undecided, through):
            url = reverse("people:segment_detail", args=[segment.pk])
            self.assertEqual(self.client.get(url).status_code, 404, segment.name)
        for url in (
            reverse("people:segment_create"),
            reverse("people:segment_export", args=[self.seniors.pk]),
            reverse("people:segment_edit", args=[self.seniors.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 403, url)
        self.login(self.owner)
        self.assertContains(self.client.get(reverse("people:segment_list")), "Seniors indécis")
        self.assertEqual(
            self.client.get(reverse("people:segment_detail", args=[through.pk])).status_code, 200
        )
        self.assertEqual(
            view_context(self.client.get(reverse("people:segment_detail", args=[self.seniors.pk])))[
                "page"
            ].paginator.count,
            56,
        )

    def test_the_segment_list_runs_a_fixed_number_of_queries(self) -> None:
        for n in range(5):
            Segment.objects.create(
                name=f"S{n}",
                definition={"op": "and", "filters": [{"field": "segment", "id": self.seniors.pk}]},
                created_by=self.owner,
            )
        self.login(self.owner)
        # session with its user, count, the page with its creators (joined), the names it refers to
        with self.assertNumQueries(4):
            response = self.client.get(reverse("people:segment_list"))
        self.assertContains(response, "Seniors du bureau 3")
        self.assertContains(response, "60 ans et plus ET bureau de vote : 13055_0003")
        self.assertContains(response, "dans le segment « Seniors du bureau 3 »", count=5)

    def test_a_segment_reads_in_english_for_an_english_speaker(self) -> None:
        self.login(self.owner)
        self.client.cookies["django_language"] = "en"  # what the language switch sets
        response = self.client.get(reverse("people:segment_detail", args=[self.seniors.pk]))
        self.assertContains(response, "aged 60 and over AND polling station: 13055_0003")

    def test_the_people_of_a_segment_page_runs_a_fixed_number_of_queries(self) -> None:
        self.login(self.owner)
        # session with its user, the segment, count, the page of people: the same for any page and sort.
        for sort in ("name", "-age", "station", "support"):
            with self.assertNumQueries(4):
                response = self.client.get(
                    reverse("people:segment_detail", args=[self.seniors.pk]),
                    {"sort": sort, "page": 2},
                )
        self.assertEqual(view_context(response)["page"].paginator.count, 55)
        self.assertEqual(len(response.context["rows"]), 5)
        self.assertNotContains(response, "JEUNE")

    def test_the_export_is_the_same_set_and_is_audit_logged_with_its_count(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("people:segment_export", args=[self.seniors.pk]))
        lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").strip().splitlines()
        self.assertEqual(len(lines), 56)
        self.assertIn("soutien", lines[0])
        entry = AuditLogEntry.objects.get(action="export")
        self.assertEqual(entry.changes["rows"], 55)

    def test_the_builder_counts_live_and_saves(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("people:segment_count"),
            {"op": "and", "age_min": "60", "polling_stations": "13055_0003"},
        )
        self.assertEqual(response.context["count"], 55)
        response = self.client.post(
            reverse("people:segment_count"), {"op": "and", "age_min": "60", "age_max": "20"}
        )
        self.assertContains(response, "Tranche d&#x27;âge impossible")
        response = self.client.post(
            reverse("people:segment_create"), {"op": "and", "name": "Femmes", "sex": "F"}
        )
        segment = Segment.objects.get(name="Femmes")
        self.assertRedirects(response, reverse("people:segment_detail", args=[segment.pk]))
        self.assertEqual(
            segment.definition, {"op": "and", "filters": [{"field": "sex", "value": "F"}]}
        )

    def test_the_builder_says_which_age_is_out_of_range(self) -> None:
        self.login(self.owner)
        for field, value, label in (
            ("age_min", "-5", "Âge minimum"),
            ("age_max", "200", "Âge maximum"),
        ):
            response = self.client.post(
                reverse("people:segment_count"), {"op": "and", field: value}
            )
            self.assertIsNone(response.context["count"])
            self.assertContains(response, f"{label} : Un âge va de 0 à 130 ans.")
            response = self.client.post(
                reverse("people:segment_create"), {"op": "and", "name": "Âges", field: value}
            )
            self.assertContains(response, "Un âge va de 0 à 130 ans.", status_code=400)
        self.assertFalse(Segment.objects.filter(name="Âges").exists())

    def test_the_builder_accepts_json_and_refers_to_other_segments(self) -> None:
        self.login(self.owner)
        definition = {
            "op": "or",
            "filters": [
                {"field": "segment", "id": self.seniors.pk},
                {"field": "sex", "value": "M", "negate": True},
            ],
        }
        response = self.client.post(
            reverse("people:segment_count"),
            {"op": "and", "definition_json": json.dumps(definition)},
        )
        self.assertEqual(response.context["count"], 56)
        response = self.client.post(
            reverse("people:segment_count"), {"op": "and", "definition_json": "{oops"}
        )
        self.assertContains(response, "JSON invalide")
        response = self.client.post(
            reverse("people:segment_count"), {"op": "and", "not_in_segments": [self.seniors.pk]}
        )
        self.assertEqual(response.context["count"], 1)


class SegmentEditTestCase(BaseTestCase):
    def test_staff_edit_a_segment_and_cannot_make_it_contain_itself(self) -> None:
        segment = Segment.objects.create(
            name="Femmes", definition={"op": "and", "filters": [{"field": "sex", "value": "F"}]}
        )
        make_person(sex="F")
        make_person(sex="M")
        self.login(self.owner)
        url = reverse("people:segment_edit", args=[segment.pk])
        response = self.client.get(url)
        self.assertEqual(response.context["count"], 1)
        form = response.context["form"]
        self.assertEqual((form["sex"].value(), form["definition_json"].value()), ("F", ""))
        self.assertContains(response, '<option value="F" selected>', html=False)
        cycle = json.dumps({"op": "and", "filters": [{"field": "segment", "id": segment.pk}]})
        response = self.client.post(url, {"op": "and", "name": "Femmes", "definition_json": cycle})
        self.assertContains(response, "lui-même", status_code=400)
        response = self.client.post(url, {"op": "and", "name": "Hommes", "sex": "M"})
        self.assertRedirects(response, reverse("people:segment_detail", args=[segment.pk]))
        segment.refresh_from_db()
        self.assertEqual(
            (segment.name, segment.definition["filters"]),
            ("Hommes", [{"field": "sex", "value": "M"}]),
        )
        self.assertTrue(
            AuditLogEntry.objects.filter(action="update", target_id=str(segment.pk)).exists()
        )

    def test_a_definition_beyond_the_flat_fields_opens_as_json(self) -> None:
        definition = {"op": "and", "filters": [{"field": "sex", "value": "M", "negate": True}]}
        segment = Segment.objects.create(name="Pas des hommes", definition=definition)
        self.login(self.owner)
        response = self.client.get(reverse("people:segment_edit", args=[segment.pk]))
        form = response.context["form"]
        self.assertEqual(json.loads(form["definition_json"].value()), definition)
        self.assertEqual(form["sex"].value(), None)

    def test_the_segment_page_prints_its_people_escaped(self) -> None:
        segment = Segment.objects.create(
            name="Seniors", definition={"op": "and", "filters": [{"field": "age", "min": 60}]}
        )
        hostile = make_person(birth_name="<i>AINEE</i>", first_names='"Jo"', birth_year=1950)
        self.login(self.owner)
        html = self.client.get(reverse("people:segment_detail", args=[segment.pk])).content
        page = html.decode()
        self.assertNotIn("<i>AINEE</i>", page)
        self.assertIn(
            f'<a href="/people/{hostile.pk}/">&lt;i&gt;AINEE&lt;/i&gt; &quot;Jo&quot;</a>', page
        )

    def test_the_segment_page_says_in_words_who_is_in_it(self) -> None:
        other = Segment.objects.create(name="Déjà vus", definition={"op": "and", "filters": []})
        segment = Segment.objects.create(
            name="Seniors pas encore vus",
            definition={
                "op": "and",
                "filters": [
                    {"field": "age", "min": 60, "max": None},
                    {"field": "segment", "id": other.pk, "negate": True},
                ],
            },
        )
        make_person(birth_name="AINEE", birth_year=1950)
        self.login(self.owner)
        # session with its user, the segment, the definition of the segment it names (compiling), count,
        # the page of people, the names of the segments it names (for the words)
        with self.assertNumQueries(6):
            response = self.client.get(reverse("people:segment_detail", args=[segment.pk]))
        self.assertContains(response, "60 ans et plus ET NON dans le segment « Déjà vus »")
        self.assertContains(response, "AINEE")


class DuplicatePagesTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.a = make_person(birth_name="DUPONT", first_names="Marie")
        self.b = make_person(birth_name="DUPOND", first_names="Marie", birth_place="Arles")
        self.pair = DuplicateCandidate.objects.create(
            first=self.a, second=self.b, score=92, reasons=["noms semblables"]
        )

    def test_it_validates_access(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.get(reverse("people:duplicate_list")).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("people:duplicate_review", args=[self.pair.pk])).status_code,
            403,
        )

    def test_staff_merge_a_pair_keeping_the_chosen_person(self) -> None:
        self.login(self.owner)
        # session with its user, count, the page of pairs with both people (joined), the last search
        with self.assertNumQueries(4):
            self.assertContains(self.client.get(reverse("people:duplicate_list")), "DUPOND")
        self.assertContains(
            self.client.get(reverse("people:duplicate_review", args=[self.pair.pk])), "Arles"
        )
        response = self.client.post(
            reverse("people:duplicate_review", args=[self.pair.pk]),
            {"keep": self.b.pk, "decision": "merge"},
        )
        self.assertRedirects(response, reverse("people:person_detail", args=[self.b.pk]))
        self.assertFalse(Person.objects.filter(pk=self.a.pk).exists())

    def test_staff_search_the_whole_table_in_the_background(self) -> None:
        self.login(self.teammate)
        self.assertEqual(self.client.post(reverse("people:duplicate_search")).status_code, 403)
        self.login(self.owner)
        response = self.client.post(reverse("people:duplicate_search"))
        progress = TaskProgress.objects.get(kind="dedupe")
        self.assertRedirects(response, reverse("core:task_progress_page", args=[progress.pk]))
        # the tests run tasks at once: the search is over, its pair already queued
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED)
        self.assertEqual((progress.result["found"], progress.result["open"]), (0, 1))
        page = self.client.get(reverse("core:task_progress_page", args=[progress.pk]))
        self.assertContains(page, reverse("people:duplicate_list"))
        self.assertContains(self.client.get(reverse("people:duplicate_list")), "Dernière recherche")
        self.assertEqual(self.client.get(reverse("people:duplicate_search")).status_code, 405)

    def test_a_second_search_while_one_runs_leads_to_the_running_one(self) -> None:
        self.login(self.owner)
        running = TaskProgress.objects.create(
            kind="dedupe", label="x", status=TaskProgress.Status.RUNNING
        )
        response = self.client.post(reverse("people:duplicate_search"), follow=True)
        self.assertRedirects(response, reverse("core:task_progress_page", args=[running.pk]))
        self.assertContains(response, "déjà en cours")
        self.assertEqual(TaskProgress.objects.filter(kind="dedupe").count(), 1)

    def test_the_command_searches_and_says_what_it_found(self) -> None:
        out = io.StringIO()
        call_command("find_duplicates", stdout=out)
        self.assertIn("0 nouvelle(s) paire(s) ; 1 à examiner en tout", out.getvalue())
        TaskProgress.objects.create(kind="dedupe", label="x", status=TaskProgress.Status.RUNNING)
        with self.assertRaisesMessage(CommandError, "déjà en cours"):
            call_command("find_duplicates", stdout=io.StringIO())

    def test_staff_mark_a_pair_as_distinct(self) -> None:
        self.login(self.owner)
        self.client.post(
            reverse("people:duplicate_review", args=[self.pair.pk]),
            {"keep": self.a.pk, "decision": "dismiss"},
        )
        self.pair.refresh_from_db()
        self.assertEqual(self.pair.status, "dismissed")
        self.assertEqual(
            self.client.get(reverse("people:duplicate_review", args=[self.pair.pk])).status_code,
            404,
        )


class DashboardTestCase(BaseTestCase):
    def test_people_tiles_show_scope_and_staff_extras_in_few_queries(self) -> None:
        make_person(current_support=3)
        make_person(current_support=1)
        with self.assertNumQueries(2):  # one aggregate over the people in scope, the open pairs
            dashboard_tiles(self.owner)
        with self.assertNumQueries(2):  # the aggregate, the assigned lists with their progress
            dashboard_tiles(self.teammate)
        self.login(self.owner)
        response = self.client.get(reverse("core:dashboard"))
        self.assertContains(response, "Indécis")
        self.assertContains(response, "Doublons")
        self.assertContains(response, 'class="bar-row"')
        self.login(self.teammate)
        response = self.client.get(reverse("core:dashboard"))
        self.assertContains(response, "Personnes")
        self.assertNotContains(response, "Doublons")

    def test_a_volunteers_counts_are_kept_a_minute_and_their_own_results_show_at_once(
        self,
    ) -> None:
        from django.core.cache import cache

        from maillage.people.services.interactions import interaction_record

        met, other = make_person(), make_person()
        assign([met, other], users=[self.teammate])

        def bars() -> list[tuple[object, int]]:
            (tile,) = [t for t in dashboard_tiles(self.teammate) if str(t.title) == "Mes listes"]
            return [(bar.label, bar.value) for bar in tile.bars]

        self.assertEqual([value for _label, value in bars()], [0])
        with self.assertNumQueries(0):  # within the minute: from the cache
            bars()

        def talked(actor, person) -> None:  # type: ignore[no-untyped-def]
            interaction_record(
                actor=actor,
                person=person,
                channel="door",
                result="talked",
                occurred_at=timezone.now(),
            )

        # Someone else's result shows once the minute is over (here: the cache is emptied).
        talked(self.owner, other)
        self.assertEqual([value for _label, value in bars()], [0])
        # The volunteer's own result shows on their next view.
        talked(self.teammate, met)
        self.assertEqual([value for _label, value in bars()], [2])
        cache.clear()
        self.assertEqual([value for _label, value in bars()], [2])

    def test_support_counts_show_only_to_roles_that_may_see_support(self) -> None:
        """An undecided count over a small list can point at one person: GDPR art. 9."""
        undecided = make_person(current_support=3)
        assign([undecided], users=[self.teammate])
        titles = {str(tile.title) for tile in dashboard_tiles(self.teammate)}
        self.assertNotIn("Indécis", titles)
        self.assertNotIn("Soutien", titles)
        self.assertIn("Personnes", titles)
        self.assertIn("Indécis", {str(tile.title) for tile in dashboard_tiles(self.owner)})
        self.login(self.teammate)
        self.assertNotContains(self.client.get(reverse("core:dashboard")), "Indécis")


class AdminTestCase(BaseTestCase):
    def test_the_admin_shows_people_read_only_without_support_levels(self) -> None:
        person = make_person(birth_name="ADMINVUE", current_support=1)
        self.login_with_2fa(UserFactory(role=Role.ADMIN, is_superuser=True))
        self.assertContains(self.client.get("/admin/people/person/"), "ADMINVUE")
        response = self.client.get(f"/admin/people/person/{person.pk}/change/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "current_support")
        # Lists are assigned on their own page, with an audit entry; the admin only shows them.
        self.assertEqual(self.client.get("/admin/people/personlist/add/").status_code, 403)
        self.assertEqual(self.client.get("/admin/people/person/add/").status_code, 403)
