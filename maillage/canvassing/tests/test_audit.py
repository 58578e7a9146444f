"""The turf rows of the audit log read as sentences."""

from __future__ import annotations

from maillage.canvassing.paper import walk_list_pdf
from maillage.canvassing.services import turf_archive, turf_assign, turf_create_from_stations
from maillage.canvassing.tests.helpers import resident
from maillage.core.audit import audit_lines
from maillage.core.models import AuditLogEntry
from maillage.core.tests.base import BaseTestCase


class TurfAuditTests(BaseTestCase):
    def test_each_turf_row_reads_as_a_sentence(self) -> None:
        resident("1", "rue Basse")
        turf = turf_create_from_stations(actor=self.owner, name="B1", station_codes=["13999_0001"])
        (row,) = turf_assign(actor=self.owner, turf=turf, users=[self.teammate])
        walk_list_pdf(actor=self.owner, turf=turf)
        turf_archive(actor=self.owner, turf=turf)
        entries = AuditLogEntry.objects.filter(target_type="canvassing.turf").order_by("id")
        self.assertEqual(
            [line.sentence for line in audit_lines(entries)],
            [
                "Découpage du secteur B1 (personnes : 1, portes : 1)",
                "Attribution du secteur B1 à teammate@example.org",
                "Impression de la liste de marche du secteur B1 (feuille 1, portes 1 à 1, "
                "personnes : 1)",
                "Archivage du secteur B1",
            ],
        )
