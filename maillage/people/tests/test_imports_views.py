"""Staff pages of people imports: upload, mapping, progress and summary, rejected rows."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from maillage.accounts.tests.factories import UserFactory
from maillage.core.models import AuditLogEntry
from maillage.core.tests.base import BaseTestCase
from maillage.people.models import ImportJob, ImportMapping, Person
from maillage.people.services.imports import import_job_create
from maillage.people.tests.fixtures.helpers import FIXTURES

PETITION = "Famille;Prénom;Courriel;Couleur\nMARTIN;Camille;camille@example.org;bleu\nDURAND;Jean;pas-un-mail;vert\n;Zoé;;rouge\n"


class ImportViewsTests(BaseTestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        override = override_settings(MAILLAGE_UPLOAD_DIR=Path(self.folder.name))
        override.enable()
        self.addCleanup(override.disable)
        self.addCleanup(self.folder.cleanup)

    def _upload(self, content: bytes, name: str = "petition.csv", **data: str):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("people:import_list"),
            {"file": SimpleUploadedFile(name, content), "source": "Pétition", **data},
        )

    def test_it_validates_access(self) -> None:
        job = import_job_create(
            actor=self.owner,
            path=FIXTURES / "reu_sample.csv",
            original_name="reu.csv",
            source="REU",
        )
        urls = [
            reverse("people:import_list"),
            reverse("people:import_mapping", args=[job.pk]),
            reverse("people:import_detail", args=[job.pk]),
            reverse("people:import_rejected", args=[job.pk]),
        ]
        for url in urls:
            self.client.logout()
            self.assertEqual(self.client.get(url).status_code, 302, url)  # to the login page
            self.login(self.teammate)
            self.assertEqual(self.client.get(url).status_code, 403, url)
            self.login(UserFactory(role=40))  # organisers are not staff
            self.assertEqual(self.client.get(url).status_code, 403, url)
        self.login(self.owner)
        self.assertEqual(self.client.get(urls[0]).status_code, 200)
        self.login(self.admin)
        self.assertEqual(self.client.get(urls[1]).status_code, 200)

    def test_it_uploads_maps_imports_and_serves_the_rejected_rows(self) -> None:
        self.login(self.owner)
        response = self._upload(PETITION.encode("cp1252"))
        job = ImportJob.objects.get()
        self.assertRedirects(response, reverse("people:import_mapping", args=[job.pk]))
        page = self.client.get(reverse("people:import_mapping", args=[job.pk]))
        self.assertContains(page, "cp1252")
        self.assertContains(
            page, '<option value="email" selected>', html=False
        )  # guessed from "Courriel"
        self.assertContains(page, "camille@example.org")  # the preview
        response = self.client.post(
            reverse("people:import_mapping", args=[job.pk]),
            {"col_0": "birth_name", "col_1": "first_names", "col_2": "email", "col_3": "tag"},
        )
        self.assertRedirects(response, reverse("people:import_detail", args=[job.pk]))
        job.refresh_from_db()
        self.assertEqual(
            (job.status, job.created_count, job.rejected_count), (ImportJob.Status.SUCCEEDED, 1, 2)
        )
        self.assertEqual(Person.objects.get().tags.get().slug, "bleu")
        self.assertEqual(ImportMapping.objects.get(source="Pétition").mapping["Couleur"], "tag")
        detail = self.client.get(reverse("people:import_detail", args=[job.pk]))
        self.assertContains(detail, "100 %")
        self.assertContains(detail, reverse("people:import_rejected", args=[job.pk]))
        download = self.client.get(reverse("people:import_rejected", args=[job.pk]))
        content = b"".join(download.streaming_content).decode("utf-8-sig")
        self.assertIn("e-mail invalide : pas-un-mail", content)
        self.assertIn("\r\n;Zoé;;rouge;4;nom manquant", content)
        self.assertTrue(
            AuditLogEntry.objects.filter(
                action=AuditLogEntry.Action.EXPORT, target_id=str(job.pk)
            ).exists()
        )

    def test_it_offers_the_saved_mapping_of_a_source_next_time(self) -> None:
        ImportMapping.objects.create(
            source="Pétition", preset="generic", mapping={"Famille": "birth_name", "Couleur": "tag"}
        )
        self.login(self.owner)
        self._upload(PETITION.encode())
        page = self.client.get(reverse("people:import_mapping", args=[ImportJob.objects.get().pk]))
        self.assertContains(page, "Correspondance reprise")
        self.assertContains(page, '<option value="tag" selected>', html=False)

    def test_it_shows_file_errors_in_the_form(self) -> None:
        self.login(self.owner)
        response = self._upload(b"\x00\x01binary", name="photo.csv")
        self.assertContains(response, "binaire")
        response = self._upload(b"x", name="photo.png")
        self.assertContains(response, "Type de fichier non pris en charge")
        response = self._upload(PETITION.encode(), preset="reu")
        self.assertContains(response, "27 colonnes")
        self.assertFalse(ImportJob.objects.exists())

    def test_a_roll_shows_its_fixed_mapping_and_imports(self) -> None:
        self.login(self.owner)
        self._upload((FIXTURES / "reu_sample.csv").read_bytes(), name="reu.csv", preset="")
        job = ImportJob.objects.get()
        page = self.client.get(reverse("people:import_mapping", args=[job.pk]))
        self.assertContains(page, "Les colonnes de ce format sont fixes")
        self.assertNotContains(page, "<select")
        self.client.post(reverse("people:import_mapping", args=[job.pk]))
        self.assertEqual(Person.objects.filter(is_voter=True).count(), 4)

    def test_the_list_shows_jobs_in_few_queries(self) -> None:
        for _ in range(5):
            import_job_create(
                actor=self.owner,
                path=FIXTURES / "reu_sample.csv",
                original_name="reu.csv",
                source="REU",
            )
        self.login(self.owner)
        with self.assertMaxQueries(5):  # the session with its user (one query) included
            response = self.client.get(reverse("people:import_list"))
        self.assertContains(response, "reu.csv", count=5)

    def test_there_is_nothing_to_download_without_rejected_rows(self) -> None:
        self.login(self.owner)
        job = import_job_create(
            actor=self.owner,
            path=FIXTURES / "reu_sample.csv",
            original_name="reu.csv",
            source="REU",
        )
        self.assertEqual(
            self.client.get(reverse("people:import_rejected", args=[job.pk])).status_code, 404
        )

    def test_the_uploaded_copy_is_deleted_once_imported(self) -> None:
        self.login(self.owner)
        self._upload((FIXTURES / "reu_sample.csv").read_bytes(), name="reu.csv")
        job = ImportJob.objects.get()
        self.assertTrue(Path(job.stored_path).exists())
        self.client.post(reverse("people:import_mapping", args=[job.pk]))
        self.assertFalse(Path(job.stored_path).exists())
        self.assertTrue((FIXTURES / "reu_sample.csv").exists())
