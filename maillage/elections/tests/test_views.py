"""Staff pages: elections list, close races (filters, sorting, chart, counts, CSV export), area, upload."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from unittest import mock

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory, ZoneFactory
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.roles import Role
from maillage.core.tests.base import BaseTestCase
from maillage.elections.models import AreaResult, Election, ResultImport, ResultUpload
from maillage.elections.services import results_import
from maillage.elections.tests import helpers
from maillage.people.tests.helpers import make_person


class ElectionPagesTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        results_import(path=helpers.LG2024_T1, election_slug="legislatives-2024")
        results_import(path=helpers.LG2024_T2, election_slug="legislatives-2024")
        cls.election = Election.objects.get()

    def test_it_validates_access(self) -> None:
        urls = [
            reverse("elections:list"),
            reverse("elections:close_races"),
            reverse("elections:close_races_export"),
            reverse("elections:area_detail", args=["legislatives-2024", "constituency", "0703"]),
            reverse("elections:upload"),
            reverse("elections:import_detail", args=[ResultImport.objects.first().pk]),
        ]
        for url in urls:
            with self.subTest(url=url):
                self.client.logout()
                self.assertEqual(
                    self.client.get(url).status_code, 302
                )  # visitors go to the login page
                self.login(self.teammate)
                self.assertEqual(self.client.get(url).status_code, 403)
                self.login(self.owner)
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_an_organiser_targets_the_races_of_their_zone_only(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)
        organiser.zones.add(ZoneFactory(name="Ardèche", code="07"))
        self.login(organiser)
        response = self.client.get(reverse("elections:close_races"))
        self.assertEqual(response.status_code, 200)
        table = response.content.decode().split('data-testid="race-table"')[1]
        self.assertEqual(set(re.findall(r"<small>(\d{4}) ·", table)), {"0701", "0702", "0703"})
        area = "elections:area_detail"
        self.assertEqual(
            self.client.get(
                reverse(area, args=["legislatives-2024", "constituency", "0703"])
            ).status_code,
            200,
        )
        self.assertEqual(
            self.client.get(
                reverse(area, args=["legislatives-2024", "constituency", "2105"])
            ).status_code,
            404,
        )
        export = self.client.get(reverse("elections:close_races_export"))
        codes = {
            row[0]
            for row in csv.reader(
                io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"), newline=""),
                delimiter=";",
            )
        }
        self.assertEqual(codes - {"code"}, {"0701", "0702", "0703"})
        for staff_only in (reverse("elections:list"), reverse("elections:upload")):
            self.assertEqual(self.client.get(staff_only).status_code, 403)
        dashboard = self.client.get(reverse("core:dashboard"))
        self.assertContains(dashboard, reverse("elections:close_races"))
        self.assertContains(dashboard, "courses à moins de 5 % d&#x27;écart")
        self.assertNotContains(dashboard, f'href="{reverse("elections:list")}"')

    def test_an_organiser_without_a_zone_code_targets_nothing(self) -> None:
        organiser = UserFactory(role=Role.ORGANISER)
        organiser.zones.add(ZoneFactory(name="Quelque part", code=""))
        self.login(organiser)
        response = self.client.get(reverse("elections:close_races"))
        self.assertContains(response, "Aucune course sous ces seuils.")

    def test_staff_see_the_navigation_entry_and_the_dashboard_tile(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("core:dashboard"))
        self.assertContains(response, reverse("elections:close_races"))
        self.assertContains(response, "courses à moins de 5 % d&#x27;écart")
        self.login(self.teammate)
        self.assertNotContains(
            self.client.get(reverse("core:dashboard")), reverse("elections:close_races")
        )

    def test_the_list_shows_each_election_with_its_constituencies(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("elections:list"))
        self.assertContains(response, "Législatives 2024")
        self.assertContains(response, '<td class="num">577</td>', html=True)

    def test_close_races_under_one_percent_start_with_ardeche(self) -> None:
        self.login(self.owner)
        response = self.client.get(
            reverse("elections:close_races"), {"election": "legislatives-2024", "max_margin": "1"}
        )
        self.assertContains(response, "24 courses")
        body = response.content.decode()
        table = body[body.index('data-testid="race-table"') :]
        self.assertLess(
            table.index("Ardèche 3e circonscription"),
            table.index("Côte-d&#x27;Or 5e circonscription"),
        )
        self.assertContains(
            response, "Pourcentages calculés sur les <strong>exprimés</strong>", html=False
        )
        self.assertContains(response, 'data-testid="race-chart"')
        # Bar widths are SVG numbers (a French decimal comma would make every bar vanish).
        widths = re.findall(r'<svg class="bar"[^>]*><rect width="([^"]+)"', body)
        self.assertEqual(len(widths), 20)
        self.assertEqual(widths[-1], "100.0")
        self.assertLess(float(widths[0]), 10)
        self.assertContains(response, '<td>&lt; 5 %</td><td class="num">109</td>', html=False)

    def test_the_table_sorts_and_switches_base(self) -> None:
        self.login(self.owner)
        response = self.client.get(
            reverse("elections:close_races"), {"max_gap": "5", "sort": "-gap", "base": "votants"}
        )
        rows = response.context["rows"]
        self.assertEqual(response.context["page"].paginator.count, 116)  # gap < 5 % of voters
        self.assertEqual(len(rows), 50)  # one page
        self.assertEqual([r.gap_pct for r in rows], sorted((r.gap_pct for r in rows), reverse=True))
        self.assertContains(
            response, "Pourcentages calculés sur les <strong>votants</strong>", html=False
        )

    def test_the_cached_rows_follow_the_language_and_the_campaigns_presence(self) -> None:
        from django.conf import settings

        self.login(self.owner)
        url = reverse("elections:close_races")
        french = self.client.get(url, {"max_margin": "1"}).content.decode()
        self.assertIn("20\u202f414 voix", french.replace("\xa0", "\u202f"))
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = self.client.get(url, {"max_margin": "1"}).content.decode()
        self.assertIn("20,414 votes", english)
        # Someone new in the closest area: once the campaign's presence is counted again, the
        # rows are made again (the races themselves still come from the cache).
        make_person(constituency_code="0703", commune_code="07186", department_code="07")
        real_get = cache.get

        def area_counts_expired(key, *args, **kwargs):  # type: ignore[no-untyped-def]
            # The people per area read afresh (as after their five minutes), whatever the cache
            # backend; everything else, the races included, still from the cache.
            return None if "maillage:area-counts:" in key else real_get(key, *args, **kwargs)

        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

        def ardeche(html: str) -> str:
            found = re.search(r'<tr><td><a href="[^"]*/0703/">.*?</tr>', html)
            assert found is not None
            return found.group(0)

        self.assertIn('<td class="num">0 / 0 / 0 / 0</td>', ardeche(french))
        with mock.patch.object(cache, "get", side_effect=area_counts_expired):
            after = self.client.get(url, {"max_margin": "1"}).content.decode()
        self.assertIn('<td class="num">1 / 0 / 0 / 0</td>', ardeche(after))

    def test_the_cached_counts_and_chart_follow_the_language_and_each_import(self) -> None:
        from django.conf import settings

        self.login(self.owner)
        url = reverse("elections:close_races")
        under_five = '<td>&lt; 5 %</td><td class="num">109</td>'
        self.assertContains(self.client.get(url), under_five, html=False)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = self.client.get(url)
        self.assertContains(english, "How many races fall under each threshold")
        self.assertContains(english, under_five, html=False)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        # An import changes the results and touches the election (its results version).
        closest = AreaResult.objects.filter(is_final=True, level="constituency").order_by(
            "gap_votes"
        )
        AreaResult.objects.filter(pk=closest[0].pk).update(gap_votes=100_000)
        self.assertContains(self.client.get(url), under_five, html=False)  # still cached
        election = Election.objects.get(slug="legislatives-2024")
        Election.objects.filter(pk=election.pk).update(
            updated_at=election.updated_at + timedelta(seconds=1)
        )
        self.assertContains(
            self.client.get(url), '<td>&lt; 5 %</td><td class="num">108</td>', html=False
        )

    def test_names_from_a_results_file_are_printed_escaped(self) -> None:
        # Result files come from outside: a crafted name must not become markup in the table.
        closest = (
            AreaResult.objects.filter(is_final=True, level="constituency")
            .order_by("gap_votes")
            .first()
        )
        assert closest is not None
        AreaResult.objects.filter(pk=closest.pk).update(name='<script>alert("x")</script>')
        self.login(self.owner)
        response = self.client.get(reverse("elections:close_races"), {"sort": "gap"})
        html = response.content.decode()
        self.assertNotIn('<script>alert("x")', html)
        self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a>", html)
        self.assertIn(f"{closest.code} · tour", html)

    def test_a_bad_filter_value_shows_the_form_error(self) -> None:
        self.login(self.owner)
        response = self.client.get(reverse("elections:close_races"), {"max_gap": "beaucoup"})
        self.assertContains(response, "Saisissez un nombre.")

    def test_the_close_race_page_costs_a_fixed_number_of_queries(self) -> None:
        self.login(self.owner)
        # session with its user, elections (form choices), page count, page rows, their
        # top-two candidates, the campaign's people per area (one grouped query in the people
        # app), threshold counts: the same whatever the number of races.
        with self.assertNumQueries(7):
            self.client.get(reverse("elections:close_races"), {"max_gap": "5"})
        cache.clear()
        with self.assertNumQueries(7):
            self.client.get(reverse("elections:close_races"), {"max_gap": "50"})
        # The same page again: the races, the people per area and the threshold counts come
        # from the cache (#17); the session with its user and the elections are read.
        with self.assertNumQueries(2):
            self.client.get(reverse("elections:close_races"), {"max_gap": "50"})

    def test_the_csv_export_says_its_base_and_is_audit_logged(self) -> None:
        self.login(self.owner)
        response = self.client.get(
            reverse("elections:close_races_export"),
            {"election": "legislatives-2024", "max_margin": "1"},
        )
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        content = b"".join(response.streaming_content).decode("utf-8-sig")  # streamed
        rows = list(csv.reader(io.StringIO(content), delimiter=";"))
        self.assertEqual(len(rows), 25)
        self.assertEqual((rows[1][0], rows[1][9], rows[1][13]), ("0703", "35", "exprimés"))
        entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.EXPORT)
        self.assertEqual(
            (entry.actor, entry.changes["rows"], entry.changes["max_margin"]), (self.owner, 24, 1.0)
        )
        audit = self.client.get(reverse("core:audit_log"), {"action": "export"})
        self.assertContains(
            audit, "Export CSV des courses serrées de « Législatives 2024 » (24 lignes)"
        )
        audit = self.client.get(reverse("core:audit_log"), {"action": "import"})
        self.assertContains(
            audit,
            "Import des résultats Leg_2024_Resultats_T1_officiel.xlsx dans « Législatives 2024 »",
        )

    def test_the_area_page_shows_both_rounds_ranked_by_votes(self) -> None:
        self.login(self.owner)
        url = reverse("elections:area_detail", args=["legislatives-2024", "constituency", "0703"])
        response = self.client.get(url)
        self.assertContains(response, 'data-testid="round-1"')
        self.assertContains(response, 'data-testid="round-2"')
        self.assertContains(response, "35 voix (0,06 %)")
        body = response.content.decode()
        second = body[body.index('data-testid="candidates-2"') :]
        self.assertLess(second.index("BRUN"), second.index("GRANGIER"))
        self.assertLess(second.index("GRANGIER"), second.index("PALLOT"))
        self.assertRegex(body, r'<svg class="bar"[^>]*><rect width="34.6"')  # BRUN: 20414 / 58918
        self.assertContains(self.client.get(url, {"base": "votants"}), "35 voix (0,06 %)")
        missing = self.client.get(
            reverse("elections:area_detail", args=["legislatives-2024", "constituency", "0799"])
        )
        self.assertEqual(missing.status_code, 404)

    def test_the_area_page_flags_an_inconsistent_official_file(self) -> None:
        self.login(self.owner)
        response = self.client.get(
            reverse("elections:area_detail", args=["legislatives-2024", "constituency", "9103"])
        )
        self.assertContains(response, "diffère des exprimés de 1")


@override_settings(MAILLAGE_UPLOAD_DIR=None)
class UploadPageTests(BaseTestCase):
    def setUp(self) -> None:
        import shutil
        import tempfile
        from pathlib import Path

        super().setUp()
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        override = override_settings(MAILLAGE_UPLOAD_DIR=folder)
        override.enable()
        self.addCleanup(override.disable)
        self.folder = folder

    def test_an_upload_runs_as_a_task_and_links_to_its_report(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile(
            "Leg_2024_Resultats_T2_officiel.xlsx", helpers.LG2024_T2.read_bytes()
        )
        response = self.client.post(
            reverse("elections:upload"),
            {
                "file": upload,
                "new_slug": "legislatives-2024",
                "type": "legislative",
                "format": "auto",
            },
        )
        progress = TaskProgress.objects.get(kind="elections_import")
        self.assertRedirects(response, reverse("core:task_progress_page", args=[progress.pk]))
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED, progress.message)
        record = ResultImport.objects.get()
        self.assertEqual(
            (record.filename, record.area_count, record.imported_by),
            ("Leg_2024_Resultats_T2_officiel.xlsx", 501, self.owner),
        )
        self.assertEqual(
            progress.result["url"], reverse("elections:import_detail", args=[record.pk])
        )
        self.assertEqual(list(self.folder.glob("elections/*")), [])  # the stored upload is removed
        stored = ResultUpload.objects.get()
        self.assertEqual(
            (stored.status, stored.progress_id, stored.result_import, stored.created_by),
            (ResultUpload.Status.SUCCEEDED, progress.pk, record, self.owner),
        )
        report = self.client.get(progress.result["url"])
        self.assertContains(report, "Essonne 3e circonscription (9103)")

    def test_a_file_without_results_columns_is_refused_on_the_form(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile("contacts.csv", "Nom;Prénom\nA;B\n".encode())
        response = self.client.post(
            reverse("elections:upload"), {"file": upload, "new_slug": "lg", "format": "auto"}
        )
        self.assertContains(response, "contacts.csv ligne 1 : colonnes non reconnues")
        self.assertFalse(TaskProgress.objects.exists())
        self.assertFalse(ResultUpload.objects.exists())
        self.assertEqual(list(self.folder.glob("elections/*")), [])  # nothing kept
        self.assertFalse(AreaResult.objects.exists())

    def test_a_binary_file_named_xlsx_is_refused_on_the_form(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile("resultats.xlsx", b"\x00\x01\x02;;,,\xff\xfe" * 40)
        response = self.client.post(
            reverse("elections:upload"), {"file": upload, "new_slug": "lg", "format": "auto"}
        )
        self.assertContains(response, "pas un classeur Excel (XLSX) lisible")
        self.assertFalse(TaskProgress.objects.exists())
        self.assertEqual(list(self.folder.glob("elections/*")), [])

    def test_a_zip_that_is_not_a_workbook_is_refused_on_the_form(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile("resultats.xlsx", b"PK\x03\x04" + b"\x00" * 200)
        response = self.client.post(
            reverse("elections:upload"), {"file": upload, "new_slug": "lg", "format": "auto"}
        )
        self.assertContains(response, "classeur XLSX illisible")
        self.assertFalse(TaskProgress.objects.exists())

    def test_a_file_of_another_type_is_refused_on_the_form(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile("resultats.pdf", b"%PDF-1.4 ...")
        response = self.client.post(
            reverse("elections:upload"), {"file": upload, "new_slug": "lg", "format": "auto"}
        )
        self.assertContains(response, "Type de fichier non pris en charge")
        self.assertFalse(TaskProgress.objects.exists())

    def test_a_failed_import_links_back_to_the_upload_form(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile("t2.xlsx", helpers.LG2024_T2.read_bytes())
        with mock.patch(
            "maillage.elections.services.results_import",
            side_effect=ApplicationError("t2.xlsx : un autre import des mêmes zones est en cours"),
        ):
            self.client.post(
                reverse("elections:upload"), {"file": upload, "new_slug": "lg", "format": "auto"}
            )
        progress = TaskProgress.objects.get(kind="elections_import")
        self.assertEqual(progress.status, TaskProgress.Status.FAILED)
        page = self.client.get(reverse("core:task_progress_page", args=[progress.pk]))
        self.assertContains(page, "un autre import des mêmes zones est en cours")
        self.assertContains(
            page, f'href="{reverse("elections:upload")}">Revenir au formulaire</a>', html=False
        )
        self.assertEqual(ResultUpload.objects.get().status, ResultUpload.Status.FAILED)
        # The importer refused the file: running it again could not help.
        self.assertNotContains(page, 'data-testid="progress-rerun"')

    def test_an_import_whose_process_died_runs_again_from_its_page(self) -> None:
        from datetime import timedelta

        from django.utils import timezone

        self.login(self.owner)
        upload = SimpleUploadedFile(
            "Leg_2024_Resultats_T2_officiel.xlsx", helpers.LG2024_T2.read_bytes()
        )
        # Enqueued where no worker will ever run it (the dummy backend), as if the worker that
        # took it had died; whatever backend the suite runs on (CI also runs this test with a
        # real queue and its worker, which would otherwise finish the first run at once).
        nowhere = {
            "default": {
                "BACKEND": "django_tasks.backends.dummy.DummyBackend",
                "QUEUES": ["default", "imports"],
            }
        }
        with override_settings(TASKS=nowhere):
            self.client.post(
                reverse("elections:upload"),
                {"file": upload, "new_slug": "legislatives-2024", "type": "legislative"},
            )
        progress = TaskProgress.objects.get(kind="elections_import")
        TaskProgress.objects.filter(pk=progress.pk).update(
            status=TaskProgress.Status.RUNNING,
            heartbeat_at=timezone.now() - timedelta(hours=1),
        )
        page = self.client.get(reverse("core:task_progress_page", args=[progress.pk]))
        self.assertContains(page, "s&#x27;est arrêté sans finir")
        self.assertContains(page, reverse("core:task_progress_rerun", args=[progress.pk]))

        self.client.post(reverse("core:task_progress_rerun", args=[progress.pk]))

        progress.refresh_from_db()
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED, progress.message)
        self.assertEqual(ResultImport.objects.get().area_count, 501)
        self.assertEqual(list(self.folder.glob("elections/*")), [])

    def test_the_form_wants_one_election(self) -> None:
        self.login(self.owner)
        upload = SimpleUploadedFile("t2.csv", b"x")
        response = self.client.post(reverse("elections:upload"), {"file": upload, "format": "auto"})
        self.assertContains(response, "Choisissez une élection existante")
        self.assertFalse(TaskProgress.objects.exists())
