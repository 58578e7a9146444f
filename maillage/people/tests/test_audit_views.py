"""The audit page reads as an organiser would tell it: imports, segment exports, contact-sheet
views and role changes in sentences, objects by their names, no Python values."""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path

from django.test import override_settings
from django.urls import reverse

from maillage.accounts.services import user_set_role
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role
from maillage.core.services import audit_log_record
from maillage.core.tests.base import BaseTestCase
from maillage.people.services.imports import import_job_create, import_job_run
from maillage.people.services.segments import segment_create
from maillage.people.tests.fixtures.helpers import reu_row, write_reu
from maillage.people.tests.helpers import make_person


class AuditPageSentencesTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp, True)
        override = override_settings(MAILLAGE_UPLOAD_DIR=self.tmp)
        override.enable()
        self.addCleanup(override.disable)

    def audit_text(self, **params: str) -> str:
        self.login(self.owner)
        response = self.client.get(reverse("core:audit_log"), params)
        self.assertEqual(response.status_code, 200)
        # What the table shows, tags and entities removed (the filter links' URLs keep the codes).
        table = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
        return html.unescape(re.sub(r"<[^>]+>", " ", table))

    def test_an_import_reads_as_its_file_and_its_counts(self) -> None:
        rows = [
            reu_row(1),
            reu_row(2, birth_name=""),
            reu_row(3, born="31/02/1980"),
            reu_row(4, birth_name=""),
            reu_row(5, birth_name="DURAND"),
        ]
        path = write_reu(self.tmp / "upload.csv", rows)
        job = import_job_create(
            actor=self.owner, path=path, original_name="five_rows.csv", source="REU"
        )
        import_job_run(job_id=job.pk)
        text = self.audit_text()
        self.assertIn("Import de five_rows.csv : 2 créées, 3 rejetées", text)
        self.assertNotIn("people.importjob", text)
        self.assertNotIn("dry_run", text)
        self.assertNotIn("False", text)

    def test_a_dry_run_says_nothing_was_saved(self) -> None:
        audit_log_record(
            actor=self.owner,
            action=AuditLogEntry.Action.IMPORT,
            target_type="people.importjob",
            target_id=3,
            target_label="essai.csv",
            changes={"dry_run": True, "rows": 4, "created": 4, "rejected": 0},
        )
        self.assertIn(
            "Essai à blanc de l'import de essai.csv : 4 créées (rien enregistré)",
            self.audit_text(),
        )

    def test_a_segment_export_reads_as_the_segment_in_words(self) -> None:
        make_person(birth_year=1940)
        segment = segment_create(
            actor=self.owner,
            name="Anciens",
            definition={"op": "and", "filters": [{"field": "age", "min": 60}]},
        )
        self.login(self.owner)
        self.client.get(reverse("people:segment_export", args=[segment.pk]))
        entry = AuditLogEntry.objects.get(action=AuditLogEntry.Action.EXPORT)
        self.assertEqual(entry.changes["definition"]["filters"][0]["field"], "age")
        text = self.audit_text()
        self.assertIn("Export CSV du segment « Anciens » (1 personne) : 60 ans et plus", text)
        self.assertIn("Création du segment « Anciens » : 60 ans et plus", text)
        self.assertNotIn("{'op'", text)
        self.assertNotIn("'filters'", text)

    def test_a_contact_sheet_view_reads_as_a_consultation(self) -> None:
        person = make_person(birth_name="MARTIN", first_names="Anne")
        self.login(self.owner)
        self.client.get(reverse("people:person_detail", args=[person.pk]))
        text = self.audit_text()
        self.assertIn(f"Consultation de la fiche #{person.pk}", text)
        self.assertIn(f"Personne « #{person.pk} »", text)
        self.assertNotIn("people.person #", text)

    def test_a_role_change_reads_as_who_went_from_what_to_what(self) -> None:
        user_set_role(actor=self.admin, user=self.teammate, role=Role.STAFF)
        text = self.audit_text(action="role_change")
        self.assertIn("Rôle de Théo Teammate : Bénévole / militant·e → Équipe de campagne", text)
        self.assertNotIn("accounts.user #", text)

    def test_two_factor_rows_read_in_words(self) -> None:
        audit_log_record(
            actor=self.owner,
            action=AuditLogEntry.Action.TWO_FACTOR,
            target=self.owner,
            changes={"recovery_codes": "used", "remaining": 9},
        )
        self.assertIn(
            "Code de secours utilisé par Olivia Owner (9 restants)",
            self.audit_text(action="two_factor"),
        )

    def test_list_assignments_and_reruns_read_in_words(self) -> None:
        for changes in (
            {"assigned_users": ["vera@example.org"], "assigned_teams": ["Nord"]},
            {"unassigned_users": ["vera@example.org"], "unassigned_teams": []},
        ):
            audit_log_record(
                actor=self.owner,
                action=AuditLogEntry.Action.UPDATE,
                target_type="people.personlist",
                target_id=1,
                target_label="Rue du Port",
                changes=changes,
            )
        audit_log_record(
            actor=self.owner,
            action=AuditLogEntry.Action.IMPORT,
            target_type="people.importjob",
            target_id=2,
            target_label="reu.csv",
            changes={"rerun": True},
        )
        text = self.audit_text()
        self.assertIn("Liste « Rue du Port » confiée à vera@example.org, équipe(s) Nord", text)
        self.assertIn("Liste « Rue du Port » reprise à vera@example.org", text)
        self.assertIn("Relance de l'import de reu.csv", text)

    def test_rows_nobody_describes_keep_their_values_in_words(self) -> None:
        audit_log_record(
            actor=self.owner,
            action=AuditLogEntry.Action.UPDATE,
            target=self.teammate,
            changes={"full_name": ["Théo", "Théo T."], "is_active": [True, False]},
        )
        text = self.audit_text(action="update")
        self.assertIn("Modification : utilisateur « Théo Teammate »", text)
        self.assertIn("Théo → Théo T.", text)
        self.assertIn("oui → non", text)

    def test_the_page_costs_a_fixed_number_of_queries_whatever_it_describes(self) -> None:
        for n in range(3):
            segment_create(
                actor=self.owner,
                name=f"S{n}",
                definition={"op": "and", "filters": [{"field": "age", "min": 60}]},
            )
        person = make_person()
        for _ in range(5):
            audit_log_record(actor=self.owner, action=AuditLogEntry.Action.VIEW, target=person)
        self.login(self.owner)
        # session with its user, count, page rows (actor joined); the segment names a page's
        # definitions refer to are one more query only when some definition names a segment.
        with self.assertNumQueries(3):
            self.client.get(reverse("core:audit_log"))
