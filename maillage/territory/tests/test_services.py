"""Territory writes: areas are created in bulk, existing rows are reused, links are learnt."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

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


class RollRegistrationTests(BaseTestCase):
    """An electoral roll registers the places it names, labels included, set-based."""

    def _stations(self, count: int) -> dict[tuple[str, str], tuple[str, ...]]:
        return {
            ("13055", f"{n:04d}"): ("MARSEILLE", f"BUREAU {n}", "CANTON 1", "1re circ.")
            for n in range(1, count + 1)
        }

    def test_stations_and_communes_are_created_with_their_labels(self) -> None:
        seen = services.polling_stations_register(
            stations={
                **self._stations(2),
                ("2A004", "0001"): ("", "", "", ""),  # a roll without label columns
                ("X12", "0001"): ("ailleurs", "", "", ""),  # not an official code: skipped
                ("13055", "TOO-LONG-NUMBER"): ("", "", "", ""),
            }
        )
        self.assertEqual(seen, 3)
        station = PollingStation.objects.select_related("commune__department").get(
            code="13055_0002"
        )
        self.assertEqual(
            (station.number, station.name, station.canton_label, station.constituency_label),
            ("0002", "BUREAU 2", "CANTON 1", "1re circ."),
        )
        self.assertEqual(
            (station.commune.name, station.commune.department.code), ("MARSEILLE", "13")
        )
        self.assertEqual(Commune.objects.get(code="2A004").name, "2A004")  # named by code
        self.assertFalse(Commune.objects.filter(code="X12").exists())

    def test_a_known_label_is_kept_over_an_empty_one_and_replaced_by_a_new_one(self) -> None:
        services.polling_stations_register(stations=self._stations(1))
        services.polling_stations_register(stations={("13055", "0001"): ("", "", "", "")})
        self.assertEqual(PollingStation.objects.get().name, "BUREAU 1")
        services.polling_stations_register(
            stations={("13055", "0001"): ("", "ÉCOLE JULES FERRY", "", "")}
        )
        station = PollingStation.objects.get()
        self.assertEqual((station.name, station.canton_label), ("ÉCOLE JULES FERRY", "CANTON 1"))

    def test_a_commune_named_by_an_election_file_keeps_its_name(self) -> None:
        services.communes_ensure(communes={"13055": ("13", "Marseille")})
        services.polling_stations_register(stations=self._stations(1))
        self.assertEqual(Commune.objects.get().name, "Marseille")

    def test_the_number_of_queries_does_not_grow_with_the_stations(self) -> None:
        services.polling_stations_register(stations=self._stations(3))
        # Nothing new: one select per table.
        with self.assertNumQueries(3):
            services.polling_stations_register(stations=self._stations(3))
        fresh = {("13056", number): labels for (_, number), labels in self._stations(3).items()}
        with CaptureQueriesContext(connection) as three:
            services.polling_stations_register(stations=fresh)
        many = {("13057", number): labels for (_, number), labels in self._stations(300).items()}
        with CaptureQueriesContext(connection) as hundreds:
            services.polling_stations_register(stations=many)
        # The same statements; only SQLite's limit of parameters per statement splits the
        # multi-row INSERT in a few (a few hundred rows each, never one per station).
        kinds = [q["sql"].split()[0] for q in three.captured_queries]
        many_kinds = [q["sql"].split()[0] for q in hundreds.captured_queries]
        self.assertEqual(kinds.count("SELECT"), many_kinds.count("SELECT"))
        self.assertLessEqual(len(many_kinds), len(kinds) + 2)
        self.assertEqual(PollingStation.objects.count(), 306)

    def test_label_limits_follow_the_columns(self) -> None:
        self.assertEqual(selectors.roll_label_limits(), [150, 150, 150, 150])
