"""What the pages say: counts with thousands separators, words that agree with the person's sex,
the support history as changes, formats and errors in French."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import CommandError, call_command
from django.urls import reverse

from maillage.core.services import task_progress_create, task_progress_finish
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import ImportJob, Person
from maillage.people.services.interactions import interaction_record
from maillage.people.tests.fixtures.helpers import FIXTURES
from maillage.people.tests.helpers import at, make_person

THIN = "\xa0"  # Django's French thousands separator (a no-break space)


class CountsTestCase(BaseTestCase):
    def test_the_people_list_groups_thousands(self) -> None:
        Person.objects.bulk_create(
            Person(birth_name=f"NOM{n}", sort_name=f"nom{n}") for n in range(1_234)
        )
        self.login(self.owner)
        response = self.client.get(reverse("people:person_list"))
        self.assertContains(response, f"1{THIN}234 personnes")

    def test_an_import_summary_groups_thousands(self) -> None:
        job = ImportJob.objects.create(
            source="REU",
            preset="reu",
            original_name="reu.csv",
            status="succeeded",
            created_count=20_000,
            rejected_count=1_500_000,
            created_by=self.owner,
        )
        self.login(self.owner)
        response = self.client.get(reverse("people:import_detail", args=[job.pk]))
        self.assertContains(response, f"20{THIN}000")
        self.assertContains(response, f"1{THIN}500{THIN}000")
        response = self.client.get(reverse("people:import_list"))
        self.assertContains(response, f"20{THIN}000")

    def test_a_finished_bar_groups_thousands_under_french_headers(self) -> None:
        progress = task_progress_create(
            kind="import", label="Import", owner=self.owner, total=20_000
        )
        task_progress_finish(progress_id=progress.pk, result={"counts": {"créées": 12_345}})
        self.login(self.owner)
        response = self.client.get(reverse("core:task_progress_page", args=[progress.pk]))
        self.assertContains(response, f"12{THIN}345")
        self.assertNotContains(response, "<th>Table</th>")


class ContactSheetWordsTestCase(BaseTestCase):
    def sheet(self, person: Person) -> str:
        self.login(self.owner)
        response = self.client.get(reverse("people:person_detail", args=[person.pk]))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_words_agree_with_a_woman(self) -> None:
        text = self.sheet(
            make_person(
                birth_name="DUPONT",
                usage_name="MARTIN",
                first_names="Anne",
                sex="F",
                birth_place="Lyon",
                is_member=True,
                is_activist=True,
            )
        )
        self.assertIn("(née DUPONT)", text)
        self.assertIn("née à Lyon", text)
        for word in ("électrice", "adhérente", "militante"):
            self.assertIn(f">{word}<", text)
        self.assertNotIn("née / né", text)
        self.assertNotIn("·e", text)

    def test_words_agree_with_a_man(self) -> None:
        text = self.sheet(
            make_person(
                birth_name="DURAND",
                usage_name="PETIT",
                first_names="Paul",
                sex="M",
                birth_place="Nice",
                is_member=True,
            )
        )
        self.assertIn("(né DURAND)", text)
        self.assertIn("né à Nice", text)
        self.assertIn(">électeur<", text)
        self.assertIn(">adhérent<", text)

    def test_words_stay_inclusive_when_the_sex_is_unknown(self) -> None:
        text = self.sheet(
            make_person(birth_name="DUPUIS", usage_name="ROUX", first_names="Claude", sex="")
        )
        self.assertIn("(née / né DUPUIS)", text)
        self.assertIn(">électeur·rice<", text)

    def test_the_support_history_shows_changes_not_repeats(self) -> None:
        person = make_person(birth_name="LEBLANC", first_names="Odile")
        for day, level in (("01", 3), ("08", 3), ("15", 3), ("22", 3), ("29", 2)):
            interaction_record(
                actor=self.owner,
                person=person,
                channel="door",
                result="talked",
                support_level=level,
                occurred_at=at(f"2026-03-{day}T10:00"),
            )
        self.login(self.owner)
        response = self.client.get(reverse("people:person_detail", args=[person.pk]))
        history = response.content.decode().split('data-testid="support-history">')[1]
        history = history.split("</ol>")[0]
        self.assertEqual(history.count("<li>"), 2, history)
        self.assertIn("01/03/2026 : <strong>Indécis</strong>", history)
        self.assertIn("(confirmé 3 fois, jusqu'au 22/03/2026)", history)
        self.assertIn("29/03/2026 : Indécis → <strong>Plutôt pour</strong>", history)


class ImportWordsTestCase(BaseTestCase):
    def test_the_import_pages_name_the_format_in_french(self) -> None:
        job = ImportJob.objects.create(
            source="Pétition",
            preset="generic",
            original_name="petition.csv",
            status="succeeded",
            created_by=self.owner,
        )
        self.login(self.owner)
        detail = self.client.get(reverse("people:import_detail", args=[job.pk]))
        self.assertContains(detail, '<span data-testid="import-format">autre fichier</span>')
        listing = self.client.get(reverse("people:import_list"))
        self.assertContains(listing, "<td>autre fichier</td>")
        self.assertNotContains(listing, "<td>generic</td>")

    def test_a_bad_json_definition_is_explained_in_french(self) -> None:
        self.login(self.owner)
        response = self.client.post(
            reverse("people:segment_count"), {"op": "and", "definition_json": '{"op": "and",}'}
        )
        self.assertContains(response, "JSON invalide à la ligne 1, colonne 14.")
        self.assertNotContains(response, "Expecting")

    def test_the_import_command_explains_a_bad_mapping_in_french(self) -> None:
        mapping = Path(self.id().rsplit(".", 1)[-1] + ".json")
        self.addCleanup(mapping.unlink, missing_ok=True)
        mapping.write_text('{"Nom": birth_name}', encoding="utf-8")
        with self.assertRaises(CommandError) as raised:
            call_command(
                "import_people", str(FIXTURES / "reu_sample.csv"), "--mapping", str(mapping)
            )
        self.assertIn("JSON invalide à la ligne 1, colonne 9", str(raised.exception))
        self.assertNotIn("Expecting", str(raised.exception))
        self.assertEqual(json.dumps(str(raised.exception)).count("value"), 0)
