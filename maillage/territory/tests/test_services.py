"""Territory writes: areas are created in bulk, existing rows are reused, links are learnt."""

from __future__ import annotations

from maillage.core.tests.base import BaseTestCase
from maillage.territory import selectors, services
from maillage.territory.models import Commune, Constituency, Department, PollingStation


class TerritoryServicesTests(BaseTestCase):
    def test_it_creates_constituencies_with_their_departments(self) -> None:
        rows = services.constituencies_ensure(
            names={"0703": "Ardèche 3e", "2A01": "", "ZZ04": "Hors de France 4e"}
        )
        self.assertEqual(sorted(rows), ["0703", "2A01", "ZZ04"])
        self.assertEqual(rows["0703"].department.name, "Ardèche")
        self.assertEqual(rows["2A01"].number, 1)
        self.assertEqual(rows["ZZ04"].department.code, "ZZ")
        self.assertEqual(Department.objects.count(), 3)

    def test_it_reuses_existing_rows_in_a_fixed_number_of_queries(self) -> None:
        services.constituencies_ensure(names={"0703": "Ardèche 3e"})
        # departments: select; constituencies: select (nothing missing, nothing inserted).
        with self.assertNumQueries(2):
            rows = services.constituencies_ensure(names={"0703": "autre nom"})
        self.assertEqual(rows["0703"].name, "Ardèche 3e")
        self.assertEqual(Constituency.objects.count(), 1)

    def test_a_placeholder_name_is_replaced_once_a_file_names_the_area(self) -> None:
        services.constituencies_ensure(names={"2902": ""})
        self.assertEqual(Constituency.objects.get().name, "2902")
        services.constituencies_ensure(names={"2902": "Finistère 2e circonscription"})
        services.constituencies_ensure(names={"2902": "autre"})
        self.assertEqual(Constituency.objects.get().name, "Finistère 2e circonscription")

    def test_it_records_polling_stations_and_places_single_constituency_communes(self) -> None:
        services.constituencies_ensure(names={"2902": "", "2903": ""})
        services.polling_stations_ensure(
            stations={
                "29011_0001": ("29011", "0001", "2902"),
                "29011_0002": ("29011", "0002", "2902"),
                "29019_0001": ("29019", "0001", "2902"),
                "29019_0002": ("29019", "0002", "2903"),
            },
            communes={"29011": ("29", "Bohars"), "29019": ("29", "Brest")},
        )
        self.assertEqual(PollingStation.objects.count(), 4)
        self.assertEqual(Commune.objects.get(code="29011").constituency.code, "2902")
        self.assertIsNone(Commune.objects.get(code="29019").constituency)  # split between two
        self.assertEqual(
            selectors.polling_station_constituencies(codes=["29019_0002", "99999-0001"]),
            {"29019_0002": "2903"},
        )
        self.assertEqual(
            selectors.commune_constituencies(codes=["29011", "29019"]), {"29011": "2902"}
        )

    def test_it_links_a_known_station_later_but_never_moves_it(self) -> None:
        services.constituencies_ensure(names={"2902": "", "2903": ""})
        communes = {"29011": ("29", "Bohars")}
        services.polling_stations_ensure(
            stations={"29011_0001": ("29011", "0001", None)}, communes=communes
        )
        services.polling_stations_ensure(
            stations={"29011_0001": ("29011", "0001", "2902")}, communes=communes
        )
        services.polling_stations_ensure(
            stations={"29011_0001": ("29011", "0001", "2903")}, communes=communes
        )
        self.assertEqual(PollingStation.objects.get().constituency.code, "2902")
