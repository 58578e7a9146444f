"""The import service: one transaction, bulk writes, rounds, warnings, bureaux placed in constituencies."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.services import task_progress_create
from maillage.core.tests.base import BaseTestCase
from maillage.elections.analysis import summarise_area
from maillage.elections.importers.base import ParsedArea, ParsedCandidate
from maillage.elections.models import (
    AreaResult,
    CandidateResult,
    Election,
    ResultImport,
    ResultUpload,
)
from maillage.elections.services import result_upload_create, result_upload_run, results_import
from maillage.elections.tasks import on_task_progress_stale, result_upload_task, retention_purge
from maillage.elections.tests import helpers
from maillage.territory.models import Commune, Constituency, PollingStation


class TempDirMixin:
    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp, True)  # type: ignore[attr-defined]

    def write(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path


class ImportServiceTests(TempDirMixin, BaseTestCase):
    def test_a_legislative_xml_creates_the_election_and_imports_both_rounds(self) -> None:
        path = self.write("R207CIR.xml", helpers.legislative_xml())
        report = results_import(path=path, election_slug="legislatives-2024", actor=self.owner)
        election = report.election
        self.assertTrue(report.created_election)
        self.assertEqual(
            (election.type, election.name, election.rounds), ("legislative", "Législatives 2024", 2)
        )
        self.assertEqual(
            (report.rounds, report.area_count, report.candidate_count), ([1, 2], 2, 12)
        )
        final = AreaResult.objects.get(election=election, is_final=True)
        self.assertEqual((final.round_number, final.margin_votes, final.gap_votes), (2, 35, 35))
        self.assertEqual(Constituency.objects.get(code="0703").department.name, "Ardèche")
        entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.IMPORT)
        self.assertEqual((entry.actor, entry.changes["areas"]), (self.owner, 2))

    def test_round_option_keeps_one_round_of_a_file_that_holds_both(self) -> None:
        path = self.write("R207CIR.xml", helpers.legislative_xml())
        report = results_import(path=path, election_slug="lg", round_number=1)
        self.assertEqual(report.rounds, [1])
        self.assertEqual(AreaResult.objects.count(), 1)
        self.assertIn(
            "2nd tour pas encore importé : 1 circonscription(s) en ballottage", report.warnings
        )

    def test_a_file_that_does_not_say_its_round_needs_the_option(self) -> None:
        path = self.write(
            "resultats.csv",
            helpers.table_2022([("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "Elu")])]),
        )
        with self.assertRaisesMessage(ApplicationError, "précisez le tour"):
            results_import(path=path, election_slug="lg-2022")
        self.assertFalse(Election.objects.exists())
        report = results_import(path=path, election_slug="lg-2022", round_number=1)
        self.assertEqual(report.rounds, [1])

    def test_an_explicit_round_wins_over_the_file_name_with_a_warning(self) -> None:
        path = self.write(
            "t2.csv",
            helpers.table_2022([("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "Elu")])]),
        )
        report = results_import(path=path, election_slug="lg-2022", round_number=1)
        self.assertIn("indique le tour 2, importé comme tour 1", report.warnings[0])

    def test_the_essonne_sum_off_by_one_is_kept_and_flagged(self) -> None:
        report = results_import(path=helpers.LG2024_T2, election_slug="lg-2024", round_number=2)
        essonne = AreaResult.objects.get(code="9103")
        self.assertEqual((essonne.cast, essonne.votes_mismatch), (62360, 1))
        self.assertEqual(
            report.warnings,
            [
                "Essonne 3e circonscription (9103), tour 2 : somme des voix 62 361 ≠ exprimés 62 360 (écart +1) ; conservé tel quel"
            ],
        )

    def test_reimporting_a_round_replaces_it_without_duplicates(self) -> None:
        results_import(path=helpers.LG2024_T2, election_slug="lg-2024")
        results_import(path=helpers.LG2024_T2, election_slug="lg-2024")
        self.assertEqual(AreaResult.objects.count(), 501)
        self.assertEqual(CandidateResult.objects.count(), 1094)
        self.assertEqual(ResultImport.objects.count(), 2)

    def test_a_whole_round_is_written_in_a_bounded_number_of_queries(self) -> None:
        # Election, round, territory (departments, constituencies), deletes, 2 area batches,
        # candidate inserts, final-flag refresh, territory links (one UPDATE per level),
        # cross-round checks, report, audit: never per row.
        with self.assertMaxQueries(42):
            results_import(path=helpers.LG2024_T2, election_slug="lg-2024")

    def test_a_malformed_file_writes_nothing(self) -> None:
        good = helpers.table_2022(
            [("01", "Ain", "1", "1re", [(1, "F", "A", "B", "EXG", 10, "")])] * 1
        )
        path = self.write("t1.csv", good + "01;Ain;2;2e;Complet;xx\r\n")
        with self.assertRaises(ApplicationError):
            results_import(path=path, election_slug="lg-2022")
        self.assertFalse(Election.objects.exists())
        self.assertFalse(Constituency.objects.exists())

    def test_a_failure_while_writing_rolls_everything_back(self) -> None:
        path = self.write("R207CIR.xml", helpers.legislative_xml())
        with self.assertRaisesMessage(ApplicationError, "n'a que 1 tour"):
            results_import(path=path, election_slug="europeennes-2024", election_type="european")
        self.assertFalse(Election.objects.exists())
        self.assertFalse(AreaResult.objects.exists())
        self.assertFalse(AuditLogEntry.objects.exists())

    def test_a_concurrent_import_of_the_same_areas_is_refused_cleanly(self) -> None:
        from unittest import mock

        from django.db import IntegrityError

        path = self.write("R207CIR.xml", helpers.legislative_xml())
        with (
            mock.patch(
                "maillage.elections.services._write_areas", side_effect=IntegrityError("unique")
            ),
            self.assertRaisesMessage(
                ApplicationError, "un autre import des mêmes zones est en cours"
            ),
        ):
            results_import(path=path, election_slug="lg-2024")
        self.assertFalse(Election.objects.exists())

    def test_marseille_sectors_are_results_areas_but_not_communes(self) -> None:
        xml = (
            helpers.XML_ARRONDISSEMENT.read_text(encoding="utf-8")
            .replace("<CodDpt>75</CodDpt>", "<CodDpt>13</CodDpt>")
            .replace("<CodMinDpt>75</CodMinDpt>", "<CodMinDpt>13</CodMinDpt>")
            .replace("<CodSubCom>056AR01</CodSubCom>", "<CodSubCom>055SR01</CodSubCom>")
        )
        report = results_import(
            path=self.write("013055SR01.xml", xml), election_slug="presidentielle-2017-test"
        )
        self.assertEqual(report.election.type, "presidential")
        self.assertEqual(set(AreaResult.objects.values_list("code", flat=True)), {"13055SR01"})
        self.assertFalse(Commune.objects.exists())

    def test_an_existing_election_keeps_its_type(self) -> None:
        path = self.write("R207CIR.xml", helpers.legislative_xml())
        results_import(path=path, election_slug="lg-2024")
        with self.assertRaisesMessage(ApplicationError, "existe déjà"):
            results_import(path=path, election_slug="lg-2024", election_type="presidential")
        with self.assertRaisesMessage(ApplicationError, "identifiant d'élection invalide"):
            results_import(path=path, election_slug="Législatives 2024")

    def test_missing_and_orphan_rounds_are_reported(self) -> None:
        xml = helpers.legislative_xml()
        round_two_only = xml.replace(
            "<CodCirElec>0703</CodCirElec>", "<CodCirElec>0704</CodCirElec>"
        )
        results_import(path=self.write("a.xml", xml), election_slug="lg", round_number=1)
        report = results_import(
            path=self.write("b.xml", round_two_only), election_slug="lg", round_number=2
        )
        self.assertIn(
            "1 circonscription(s) sans élu·e au 1er tour ni 2nd tour importé : 0703",
            report.warnings,
        )
        self.assertIn("1 2nd(s) tour(s) sans 1er tour importé : 0704", report.warnings)

    def test_progress_is_recorded_while_importing(self) -> None:
        progress = task_progress_create(kind="elections_import", label="x", owner=self.owner)
        results_import(
            path=helpers.LG2024_T2, election_slug="lg-2024", progress_id=str(progress.pk)
        )
        progress.refresh_from_db()
        self.assertEqual(
            (progress.status, progress.done, progress.total),
            (TaskProgress.Status.RUNNING, 1002, 1002),
        )


class ResultUploadTests(TempDirMixin, BaseTestCase):
    """The stored upload: checked before it is queued, run by id, failed on any error, its file
    deleted only after success."""

    def setUp(self) -> None:
        super().setUp()
        override = override_settings(MAILLAGE_UPLOAD_DIR=self.tmp)
        override.enable()
        self.addCleanup(override.disable)

    def create(self, name: str, content: bytes, **fields: Any) -> ResultUpload:
        return result_upload_create(
            actor=self.owner,
            upload=SimpleUploadedFile(name, content),
            election_slug=fields.pop("election_slug", "lg-2024"),
            **fields,
        )

    def test_an_upload_is_stored_under_a_server_name_with_its_progress_record(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes(), round_number=2)
        path = Path(upload.stored_path)
        self.assertEqual(path.parent, self.tmp / "elections")
        self.assertNotIn("Leg", path.name)
        self.assertTrue(path.is_file())
        self.assertEqual(
            (upload.status, upload.original_name, upload.created_by, upload.round_number),
            (ResultUpload.Status.UPLOADED, "Leg T2.xlsx", self.owner, 2),
        )
        self.assertEqual(upload.progress.status, TaskProgress.Status.PENDING)

    def test_a_file_the_importer_cannot_read_is_refused_and_not_kept(self) -> None:
        with self.assertRaisesMessage(
            ApplicationError, "contacts.csv ligne 1 : colonnes non reconnues"
        ):
            self.create("contacts.csv", "Nom;Prénom\nA;B\n".encode())
        self.assertEqual(list((self.tmp / "elections").iterdir()), [])
        self.assertFalse(ResultUpload.objects.exists())

    def test_the_run_imports_links_the_report_and_deletes_the_file_only_then(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes())
        upload = result_upload_run(upload_id=upload.pk)
        self.assertEqual(upload.status, ResultUpload.Status.SUCCEEDED)
        self.assertEqual(upload.result_import, ResultImport.objects.get())
        self.assertFalse(Path(upload.stored_path).exists())
        progress = TaskProgress.objects.get(pk=upload.progress_id)
        self.assertEqual(progress.status, TaskProgress.Status.SUCCEEDED)
        self.assertEqual(
            progress.result["url"],
            reverse("elections:import_detail", args=[upload.result_import_id]),
        )
        # Run again (a retried task): nothing happens twice.
        result_upload_run(upload_id=upload.pk)
        self.assertEqual(ResultImport.objects.count(), 1)

    def test_an_import_error_fails_the_row_and_the_progress_and_keeps_the_file(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes(), round_number=3)
        upload = result_upload_run(upload_id=upload.pk)
        self.assertEqual(upload.status, ResultUpload.Status.FAILED)
        self.assertIn("tour invalide", upload.error)
        self.assertTrue(Path(upload.stored_path).exists())
        progress = TaskProgress.objects.get(pk=upload.progress_id)
        self.assertEqual(progress.status, TaskProgress.Status.FAILED)
        self.assertIn("tour invalide", progress.message)
        self.assertEqual(progress.result["url"], reverse("elections:upload"))
        self.assertFalse(AreaResult.objects.exists())

    def test_an_unexpected_error_fails_the_progress_record_too(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes())
        with (
            mock.patch(
                "maillage.elections.services.results_import", side_effect=RuntimeError("boom")
            ),
            self.assertLogs("maillage.elections.services", level="ERROR"),
        ):
            upload = result_upload_run(upload_id=upload.pk)
        self.assertEqual(upload.status, ResultUpload.Status.FAILED)
        self.assertIn("Erreur inattendue", upload.error)
        self.assertNotIn("boom", upload.error)
        progress = TaskProgress.objects.get(pk=upload.progress_id)
        self.assertEqual(progress.status, TaskProgress.Status.FAILED)
        self.assertTrue(Path(upload.stored_path).exists())

    def test_a_stale_run_fails_the_upload_and_a_rerun_imports_it(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes())
        ResultUpload.objects.filter(pk=upload.pk).update(status=ResultUpload.Status.RUNNING)
        on_task_progress_stale(progress_ids=[upload.progress_id], message="Interrompu")
        upload.refresh_from_db()
        self.assertEqual((upload.status, upload.error), (ResultUpload.Status.FAILED, "Interrompu"))
        self.assertEqual(
            result_upload_run(upload_id=upload.pk).status, ResultUpload.Status.SUCCEEDED
        )

    def test_a_run_after_the_file_went_fails_without_offering_a_rerun(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes())
        Path(upload.stored_path).unlink()
        upload = result_upload_run(upload_id=upload.pk)
        self.assertIn("n'est plus disponible", upload.error)
        progress = TaskProgress.objects.get(pk=upload.progress_id)
        self.assertEqual((progress.status, progress.rerun), (TaskProgress.Status.FAILED, {}))

    def test_retention_deletes_old_waiting_and_failed_files_and_says_so(self) -> None:
        old = self.create("old.xlsx", helpers.LG2024_T2.read_bytes())
        recent = self.create("recent.xlsx", helpers.LG2024_T2.read_bytes())
        ResultUpload.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=400)
        )
        counts = retention_purge(cutoff=timezone.now() - timedelta(days=30))
        self.assertEqual(counts, {"election_uploads": 1})
        old.refresh_from_db()
        self.assertFalse(Path(old.stored_path).exists())
        self.assertEqual(old.status, ResultUpload.Status.FAILED)
        self.assertIn("Fichier déposé supprimé", old.error)
        self.assertTrue(Path(recent.stored_path).exists())

    def test_the_task_takes_the_uploads_id(self) -> None:
        upload = self.create("Leg T2.xlsx", helpers.LG2024_T2.read_bytes())
        result_upload_task.enqueue(upload_id=upload.pk)
        upload.refresh_from_db()
        self.assertEqual(upload.status, ResultUpload.Status.SUCCEEDED)


class PollingStationImportTests(TempDirMixin, BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        results_import(path=helpers.LG2024_T1, election_slug="lg-2024")
        results_import(path=helpers.LG2024_T2, election_slug="lg-2024")

    def test_bureaux_are_placed_by_their_candidates_and_add_up_to_the_constituency(self) -> None:
        report = results_import(path=helpers.BUREAUX_T1, election_slug="lg-2024")
        self.assertEqual(
            (report.level, report.area_count, report.warnings), ("polling_station", 201, [])
        )
        report = results_import(path=helpers.BUREAUX_T2, election_slug="lg-2024")
        self.assertEqual(report.warnings, [])
        for code, registered, cast in (("2902", 78185, 53916), ("2903", 93868, 64297)):
            bureaux = AreaResult.objects.filter(
                level="polling_station", round_number=2, constituency_code=code
            )
            self.assertEqual(sum(bureaux.values_list("registered", flat=True)), registered)
            self.assertEqual(sum(bureaux.values_list("cast", flat=True)), cast)
            constituency = AreaResult.objects.get(level="constituency", round_number=2, code=code)
            self.assertEqual((constituency.registered, constituency.cast), (registered, cast))
        self.assertEqual(PollingStation.objects.filter(constituency__isnull=False).count(), 201)
        self.assertEqual(Commune.objects.get(code="29011").constituency.code, "2902")
        bureau = AreaResult.objects.get(code="29011_0001", round_number=2)
        self.assertIsNone(bureau.margin_votes)  # a bureau elects nobody
        # Results point at the same territory rows as rolls and turfs.
        station = PollingStation.objects.get(code="29011_0001")
        self.assertEqual(bureau.polling_station_id, station.pk)
        self.assertFalse(
            AreaResult.objects.filter(
                level="polling_station", polling_station__isnull=True
            ).exists()
        )
        self.assertEqual(set(station.area_results.values_list("round_number", flat=True)), {1, 2})

    def test_once_known_the_territory_tables_place_bureaux_of_another_election(self) -> None:
        results_import(path=helpers.BUREAUX_T1, election_slug="lg-2024")
        report = results_import(path=helpers.BUREAUX_T2, election_slug="lg-2024-bis")
        self.assertEqual(report.warnings, [])
        self.assertEqual(
            AreaResult.objects.filter(
                election__slug="lg-2024-bis", constituency_code="2903"
            ).count(),
            201
            - AreaResult.objects.filter(
                election__slug="lg-2024-bis", constituency_code="2902"
            ).count(),
        )

    def test_bureaux_that_cannot_be_placed_are_kept_and_listed(self) -> None:
        text = helpers.BUREAUX_T1.read_text(encoding="utf-8").replace("KERVELLA", "INCONNU")
        report = results_import(path=self.write("circos-tour1.csv", text), election_slug="lg-2024")
        self.assertIn("zone(s) sans circonscription connue", report.warnings[0])
        self.assertTrue(
            AreaResult.objects.filter(level="polling_station", constituency_code="").exists()
        )


class RaceArithmeticTests(BaseTestCase):
    def area(
        self,
        *votes: tuple[str, int, bool],
        round_number: int = 2,
        level: str = "constituency",
        cast: int | None = None,
    ) -> ParsedArea:
        total = sum(v for _, v, _ in votes)
        return ParsedArea(
            level=level,
            code="0101",
            name="Ain 1re",
            registered=total * 2,
            voters=total,
            cast=total if cast is None else cast,
            where="test",
            round_number=round_number,
            blank_ballots=0,
            null_ballots=0,
            candidates=[
                ParsedCandidate(last_name=name, votes=v, elected=e, panel_number=i)
                for i, (name, v, e) in enumerate(votes)
            ],
        )

    def test_candidates_are_ranked_by_votes_and_the_margin_is_the_winners(self) -> None:
        summary = summarise_area(
            self.area(("A", 100, False), ("B", 300, True), ("C", 250, False)), rounds_in_election=2
        )
        self.assertEqual([c.last_name for c in summary.ranked], ["B", "C", "A"])
        self.assertEqual((summary.gap_votes, summary.margin_votes, summary.warnings), (50, 50, []))

    def test_a_tie_puts_the_elected_candidate_first(self) -> None:
        summary = summarise_area(
            self.area(("A", 300, False), ("B", 300, True)), rounds_in_election=2
        )
        self.assertEqual((summary.ranked[0].last_name, summary.margin_votes), ("B", 0))

    def test_suspicious_winners_are_flagged(self) -> None:
        two = summarise_area(self.area(("A", 300, True), ("B", 200, True)), rounds_in_election=2)
        self.assertIn("2 candidats marqués élus", two.warnings[0])
        behind = summarise_area(
            self.area(("A", 300, False), ("B", 200, True)), rounds_in_election=2
        )
        self.assertEqual(behind.margin_votes, -100)
        self.assertIn("n'est pas en tête", behind.warnings[0])
        unmarked = summarise_area(
            self.area(("A", 300, False), ("B", 200, False)), rounds_in_election=2
        )
        self.assertEqual(unmarked.margin_votes, 100)
        self.assertIn("sans élu·e marqué·e", unmarked.warnings[0])

    def test_an_undecided_first_round_and_a_bureau_have_no_margin(self) -> None:
        self.assertIsNone(
            summarise_area(
                self.area(("A", 300, False), ("B", 200, False), round_number=1),
                rounds_in_election=2,
            ).margin_votes
        )
        self.assertIsNone(
            summarise_area(
                self.area(("A", 300, True), ("B", 200, False), level="polling_station"),
                rounds_in_election=2,
            ).margin_votes
        )

    def test_inconsistent_totals_are_reported(self) -> None:
        summary = summarise_area(
            self.area(("A", 300, True), ("B", 200, False), cast=499), rounds_in_election=2
        )
        self.assertTrue(any("≠ exprimés 499 (écart +1)" in w for w in summary.warnings))
        self.assertTrue(any("blancs + nuls + exprimés ≠ votants" in w for w in summary.warnings))
