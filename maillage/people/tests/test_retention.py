"""Personal data in files and crashed imports: uploads and rejected rows expire, erasure reaches
the rejected rows, an import whose process died fails and can run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import TaskProgress
from maillage.core.services import housekeeping_run, task_progress_start
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import ImportJob, Person
from maillage.people.services.imports import import_job_create
from maillage.people.services.retention import (
    PersonTraces,
    rejected_rows_erase,
    row_names_person,
)

ROOT = Path(__file__).resolve().parents[3]
HEADER = "Nom;Prénom;Naissance;Courriel;Portable;Couleur\n"
MAPPING = {
    "col_0": "birth_name",
    "col_1": "first_names",
    "col_2": "birth_date",
    "col_3": "email",
    "col_4": "mobile",
    "col_5": "tag",
}
NAME, EMAIL, PHONE = "VANDERBRUGGEN", "zephyrine.vdb@example.org", "+33612345678"


class _UploadFolder(BaseTestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.uploads = Path(self.folder.name)
        override = override_settings(MAILLAGE_UPLOAD_DIR=self.uploads)
        override.enable()
        self.addCleanup(override.disable)
        self.addCleanup(self.folder.cleanup)

    def _import(self, text: str, name: str = "fichier.csv") -> ImportJob:
        """Upload, confirm the columns; the tests' immediate backend runs the import."""
        self.client.post(
            reverse("people:import_list"),
            {"file": SimpleUploadedFile(name, text.encode()), "source": name},
        )
        job = ImportJob.objects.latest("pk")
        self.client.post(reverse("people:import_mapping", args=[job.pk]), MAPPING)
        job.refresh_from_db()
        return job

    def _upload(self, text: str, name: str = "fichier.csv") -> ImportJob:
        path = self.uploads / "people" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return import_job_create(actor=self.owner, path=path, original_name=name, source=name)


class ErasureReachesEveryPlaceTests(_UploadFolder):
    def test_an_erased_person_is_found_nowhere_in_the_database_nor_the_files(self) -> None:
        self.login(self.owner)
        imported = self._import(
            HEADER + f"{NAME};Zéphyrine;14/07/1981;{EMAIL};06 12 34 56 78;bleu\n", "adherents.csv"
        )
        self.assertEqual(imported.created_count, 1)
        rejected = self._import(
            HEADER
            + f"{NAME};Zéphyrine;14/07/1981;{EMAIL};0000;vert\n"  # bad phone: found by email
            + f"{NAME};Zéphyrine;14/07/1981;pas-un-mail;;bleu\n"  # found by names and birth date
            + "MARTIN;Paul;01/01/1970;paul@@example.org;+33 6 12 34 56 78;rouge\n"  # by phone
            + ";Zoé;03/03/1990;;;rouge\n",  # somebody else: stays
            "petition.csv",
        )
        self.assertEqual(rejected.rejected_count, 4)
        person = Person.objects.get(birth_name=NAME)
        self.client.get(reverse("people:person_detail", args=[person.pk]))  # audit-logged
        self.client.get(reverse("people:person_sar", args=[person.pk]))
        self.assertTrue(self._traces_in_database())  # the search finds them before

        response = self.client.post(
            reverse("people:person_erase", args=[person.pk]), {"confirm": "yes"}
        )

        self.assertEqual(response.status_code, 302)
        self.assertEqual(self._traces_in_database(), [])
        self.assertEqual(self._traces_in_files(), [])
        rejected.refresh_from_db()
        self.assertIn("3 ligne(s) retirée(s)", rejected.file_note)
        download = self.client.get(reverse("people:import_rejected", args=[rejected.pk]))
        content = b"".join(download.streaming_content).decode("utf-8-sig")
        self.assertIn(";Zoé;03/03/1990;;;rouge;5;nom manquant", content)  # the others' rows stay
        self.assertEqual(len(content.strip().splitlines()), 2)

    def _needles(self) -> list[str]:
        return [NAME.casefold(), "zéphyrine", EMAIL, PHONE, "0612345678", "06 12 34 56 78"]

    def _traces_in_database(self) -> list[str]:
        """Every text column of every model, searched for the person's name, email and phone."""
        found = []
        for model in apps.get_models():
            names = [
                field.attname
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField | models.JSONField)
            ]
            if not names:
                continue
            for row in model._default_manager.values_list(*names):
                text = json.dumps(row, ensure_ascii=False, default=str).casefold()
                found += [f"{model._meta.label}: {n}" for n in self._needles() if n in text]
        return found

    def _traces_in_files(self) -> list[str]:
        found = []
        for path in self.uploads.rglob("*"):
            if path.is_file():
                text = path.read_bytes().decode("utf-8", "replace").casefold()
                found += [f"{path.name}: {n}" for n in self._needles() if n in text]
        return found


class RejectedRowsErasureTests(_UploadFolder):
    def _job_with_rejects(self, text: str, mapping: dict[str, str] | None = None) -> ImportJob:
        job = self._upload("x")
        path = self.uploads / "rejected" / f"import-{job.pk}-rejets.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8-sig")
        job.rejected_path = str(path)
        job.mapping = mapping or {}
        job.status = ImportJob.Status.SUCCEEDED
        job.save()
        return job

    def test_rows_are_matched_whatever_the_layout_and_neutralised_cells(self) -> None:
        traces = PersonTraces(
            names={"dupont"},
            first_name="jean",
            birth=(1980, 5, 2),
            emails={"jean@example.org"},
            phones={"+33612345678"},
            roll=("13055", "0001", 42),
        )
        roll = {"roll_commune_code": 0, "roll_station_code": 1, "roll_number": 2}
        matching = [
            ["x", " JEAN@example.org "],
            ["x", "'+33612345678"],  # a formula-looking cell neutralised by the CSV writer
            ["x", "06.12.34.56.78"],
            ["Dupont", "Jean Pierre", "02/05/1980"],
            ["'DUPONT", "Jean", "1980-05-02"],
            ["13055", "1", "42"],
        ]
        other = [
            ["Dupont", "Jean", "03/05/1980"],  # a namesake born another day
            ["Dupond", "Jean", "02/05/1980"],
            ["Dupont", "Marie", "02/05/1980"],
            ["x", "jeanne@example.org", "+33612345679"],
            ["13055", "0001", "43"],
        ]
        self.assertEqual([row_names_person(r, traces, roll) for r in matching], [True] * 6)
        self.assertEqual([row_names_person(r, traces, roll) for r in other], [False] * 5)
        born_in = PersonTraces(names={"dupont"}, first_name="jean", birth=(1980, None, None))
        self.assertTrue(row_names_person(["DUPONT", "Jean", "1980"], born_in))
        self.assertFalse(row_names_person(["DUPONT", "Jean", "1981"], born_in))

    def test_the_file_is_rewritten_without_the_persons_rows(self) -> None:
        job = self._job_with_rejects(
            "commune;bureau;numéro;nom;mail;ligne;motif\r\n"
            "13055;0001;42;DUPONT;x;2;nom manquant\r\n"
            '13055;0001;7;"MARTIN; Zoé";zoe@example.org;3;"e-mail ""invalide"""\r\n',
            mapping={
                "commune": "roll_commune_code",
                "bureau": "roll_station_code",
                "numéro": "roll_number",
            },
        )
        traces = PersonTraces(roll=("13055", "0001", 42))

        counts = rejected_rows_erase(traces=traces)

        self.assertEqual(counts["rejected_rows"], 1)
        text = Path(job.rejected_path).read_bytes().decode("utf-8-sig")
        self.assertEqual(
            text,
            "commune;bureau;numéro;nom;mail;ligne;motif\r\n"
            '13055;0001;7;"MARTIN; Zoé";zoe@example.org;3;"e-mail ""invalide"""\r\n',
        )
        self.assertEqual(list(Path(job.rejected_path).parent.glob(".erase-*")), [])

    def test_a_separator_hint_line_and_commas_are_read_through(self) -> None:
        job = self._job_with_rejects(
            "sep=,\r\nnom,mail,ligne,motif\r\nDUPONT,'+33612345678,2,x\r\nMARTIN,,3,y\r\n"
        )
        rejected_rows_erase(traces=PersonTraces(phones={"+33612345678"}))
        # Read in whatever dialect it came, written back in the house one (the one CSV writer).
        self.assertEqual(
            Path(job.rejected_path).read_bytes().decode("utf-8-sig"),
            "nom;mail;ligne;motif\r\nMARTIN;;3;y\r\n",
        )

    def test_a_file_that_cannot_be_read_back_is_deleted_and_the_job_says_so(self) -> None:
        job = self._job_with_rejects("")
        Path(job.rejected_path).write_bytes(b"\xff\xfe\x00garbage\xff")

        counts = rejected_rows_erase(traces=PersonTraces(emails={"jean@example.org"}))

        self.assertEqual(counts["rejected_files_deleted"], 1)
        self.assertFalse(Path(job.rejected_path).exists())
        job.refresh_from_db()
        self.assertEqual(job.rejected_path, "")
        self.login(self.owner)
        page = self.client.get(reverse("people:import_detail", args=[job.pk]))
        self.assertContains(page, "supprimé le")
        self.assertContains(page, "lors d&#x27;un effacement")


class ImportFilesRetentionTests(_UploadFolder):
    def _age(self, job: ImportJob, days: int, *paths: Path) -> None:
        then = timezone.now() - timedelta(days=days)
        ImportJob.objects.filter(pk=job.pk).update(created_at=then, finished_at=then)
        for path in paths:
            os.utime(path, (then.timestamp(), then.timestamp()))

    def test_uploads_never_imported_and_rejected_rows_expire_and_the_jobs_say_so(self) -> None:
        waiting = self._upload(HEADER + "DUPONT;Jean;;;;\n", "jamais-confirme.csv")
        self._age(waiting, 31, Path(waiting.stored_path))
        self.login(self.owner)
        finished = self._import(HEADER + ";Zoé;;;;rouge\n", "petition.csv")
        self.assertTrue(Path(finished.rejected_path).is_file())
        self._age(finished, 31, Path(finished.rejected_path))
        recent = self._upload(HEADER, "recent.csv")

        counts = housekeeping_run()

        self.assertEqual((counts["expired_uploads"], counts["expired_rejected_files"]), (1, 1))
        self.assertFalse(Path(waiting.stored_path).exists())
        self.assertFalse(Path(finished.rejected_path).exists())
        self.assertTrue(Path(recent.stored_path).exists())
        waiting.refresh_from_db()
        self.assertEqual(waiting.status, ImportJob.Status.FAILED)
        self.assertIn("n'ont pas été confirmées dans les 30 jours", waiting.error)
        page = self.client.get(reverse("people:import_detail", args=[finished.pk]))
        self.assertContains(page, "Fichier des lignes rejetées supprimé le")
        self.assertNotContains(page, 'data-testid="rejected-download"')
        self.assertEqual(
            self.client.get(reverse("people:import_rejected", args=[finished.pk])).status_code,
            404,
        )


class CrashedImportTests(_UploadFolder):
    def _crashed(self) -> ImportJob:
        job = self._upload(HEADER + "DUPONT;Jean;02/05/1980;jean@example.org;;bleu\n")
        job.status = ImportJob.Status.RUNNING
        job.preset = "generic"
        job.mapping = {
            "Nom": "birth_name",
            "Prénom": "first_names",
            "Naissance": "birth_date",
            "Courriel": "email",
            "Portable": "mobile",
            "Couleur": "tag",
        }
        job.save()
        task_progress_start(progress_id=job.progress_id, total=200_000)
        TaskProgress.objects.filter(pk=job.progress_id).update(
            done=109_312, heartbeat_at=timezone.now() - timedelta(minutes=11)
        )
        return job

    def test_it_validates_access(self) -> None:
        job = self._crashed()
        url = reverse("people:import_rerun", args=[job.pk])
        self.login(self.teammate)
        self.assertEqual(self.client.post(url).status_code, 403)
        self.login(self.owner)
        self.assertEqual(self.client.get(url).status_code, 405)

    def test_an_import_whose_process_died_shows_failed_and_runs_again(self) -> None:
        job = self._crashed()
        self.login(self.owner)

        page = self.client.get(reverse("people:import_detail", args=[job.pk]))

        self.assertContains(page, 'data-status="failed"')
        self.assertContains(page, "109\xa0312 / 200\xa0000")  # grouped as French writes it
        self.assertContains(page, "s&#x27;est arrêté sans finir")
        rerun = reverse("people:import_rerun", args=[job.pk])
        self.assertContains(page, f'action="{rerun}"')
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertIn("s'est arrêté sans finir", job.error)
        listing = self.client.get(reverse("people:import_list"))
        self.assertContains(listing, "échoué")

        response = self.client.post(rerun)

        self.assertRedirects(response, reverse("people:import_detail", args=[job.pk]))
        job.refresh_from_db()  # the tests' immediate backend ran it
        self.assertEqual((job.status, job.created_count), (ImportJob.Status.SUCCEEDED, 1))
        self.assertEqual(job.progress.status, TaskProgress.Status.SUCCEEDED)
        self.assertTrue(Person.objects.filter(birth_name="DUPONT").exists())

    def test_a_job_whose_progress_has_no_rerun_link_still_offers_it(self) -> None:
        job = self._crashed()
        TaskProgress.objects.filter(pk=job.progress_id).update(rerun={})
        self.login(self.owner)
        page = self.client.get(reverse("people:import_detail", args=[job.pk]))
        self.assertContains(page, 'data-testid="import-rerun"')
        self.assertNotContains(page, 'data-testid="progress-rerun"')

    def test_an_import_without_its_file_cannot_run_again(self) -> None:
        job = self._crashed()
        Path(job.stored_path).unlink()
        self.login(self.owner)
        self.client.get(reverse("people:import_detail", args=[job.pk]))
        response = self.client.post(reverse("people:import_rerun", args=[job.pk]), follow=True)
        self.assertContains(response, "n&#x27;est plus disponible")
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.FAILED)


# The import runs in a process of its own, on a database file of its own, and hangs after its
# first batch (the bar moved, the status is "running"); the test kills it with SIGKILL.
IMPORTER = """
import sys, time, django
django.setup()
from maillage.people.services.imports import import_job_create, import_job_run
job = import_job_create(actor=None, path=sys.argv[1], original_name="gros.csv", source="gros",
    preset="generic", mapping={"Nom": "birth_name", "Prénom": "first_names"})
def hang(done, total):
    print("RUNNING", job.pk, done, total, flush=True)
    time.sleep(120)
import_job_run(job_id=job.pk, on_batch=hang)
"""
CHECKER = """
import django
django.setup()
from maillage.core.services import housekeeping_run
from maillage.people.models import ImportJob
housekeeping_run()
job = ImportJob.objects.select_related("progress").get()
print(job.status, job.progress.status, job.progress.done, job.progress.total)
print(job.error)
"""


def test_an_import_killed_with_sigkill_is_marked_failed_after_the_threshold(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "MAILLAGE_DEV": "1",
        "MAILLAGE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TASKS_BACKEND": "dummy",
        "MAILLAGE_IMPORT_WORKERS": "1",
        "MAILLAGE_TASK_STALE_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    source = tmp_path / "gros.csv"
    source.write_text("Nom;Prénom\n" + "".join(f"NOM{n};Camille\n" for n in range(300)))
    maillage = [sys.executable, "-m", "maillage.cli"]
    subprocess.run([*maillage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
    importer = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(source)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert importer.stdout is not None
        assert importer.stdout.readline().startswith("RUNNING")
        importer.send_signal(signal.SIGKILL)
        importer.wait(timeout=30)
    finally:
        if importer.poll() is None:
            importer.kill()
    time.sleep(1.2)  # past the threshold

    checked = subprocess.run(
        [sys.executable, "-c", CHECKER],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stderr
    status, error = checked.stdout.splitlines()[:2]
    assert status == "failed failed 300 300"
    assert "arrêté sans finir" in error
    assert source.exists()  # kept, so the import can run again
