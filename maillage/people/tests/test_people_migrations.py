"""The migration that adds the people list's sort key fills it for people already there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("people", "0005_import_job_file_note")]
AFTER = [("people", "0006_person_sort_name")]


def test_existing_people_get_the_sort_key_of_the_name_they_show() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Person = executor.loader.project_state(BEFORE).apps.get_model("people", "Person")
    Person.objects.create(birth_name="ZOLA", usage_name="Bernard", first_names="Lucie")
    Person.objects.create(birth_name="ADAM", first_names="Émilie")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    Person = executor.loader.project_state(AFTER).apps.get_model("people", "Person")
    keys = dict(Person.objects.values_list("first_names", "sort_name"))
    assert keys == {"Lucie": "bernard lucie", "Émilie": "adam emilie"}
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


STATIONS_BEFORE = [("people", "0007_person_department_index"), ("territory", "0002_roll_labels")]
STATIONS_AFTER = [("people", "0008_places_territory_stations")]


def test_roll_stations_move_to_territory_and_back() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(STATIONS_BEFORE)
    apps = executor.loader.project_state(STATIONS_BEFORE).apps
    RollStation = apps.get_model("people", "RollStation")
    RollStation.objects.create(
        commune_code="13055",
        station_code="0003",
        commune_label="MARSEILLE",
        station_label="ÉCOLE DU PORT",
        canton_label="MARSEILLE 1",
        constituency_label="1re circonscription",
    )
    RollStation.objects.create(commune_code="13055", station_code="0004")
    RollStation.objects.create(commune_code="X1", station_code="0001", station_label="hors code")
    # A station an election file placed first keeps its row, and takes the roll's labels.
    Department = apps.get_model("territory", "Department")
    Commune = apps.get_model("territory", "Commune")
    PollingStation = apps.get_model("territory", "PollingStation")
    department = Department.objects.create(code="13", name="Bouches-du-Rhône")
    commune = Commune.objects.create(code="13055", department=department, name="Marseille")
    known = PollingStation.objects.create(code="13055_0003", commune=commune, number="0003")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(STATIONS_AFTER)
    apps = executor.loader.project_state(STATIONS_AFTER).apps
    PollingStation = apps.get_model("territory", "PollingStation")
    rows = {
        s.code: (s.pk, s.commune.name, s.name, s.canton_label, s.constituency_label)
        for s in PollingStation.objects.select_related("commune")
    }
    assert rows == {
        "13055_0003": (
            known.pk,
            "Marseille",
            "ÉCOLE DU PORT",
            "MARSEILLE 1",
            "1re circonscription",
        ),
        "13055_0004": (rows["13055_0004"][0], "Marseille", "", "", ""),
    }

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(STATIONS_BEFORE)
    RollStation = executor.loader.project_state(STATIONS_BEFORE).apps.get_model(
        "people", "RollStation"
    )
    assert list(
        RollStation.objects.values_list("commune_code", "station_code", "station_label")
    ) == [("13055", "0003", "ÉCOLE DU PORT")]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


VACUUM_BEFORE = [("people", "0011_person_station_index_covers_the_name")]
VACUUM_AFTER = [("people", "0012_person_vacuum_cleans_its_indexes")]


def _people_table_options() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = 'people_person'::regclass"
        )
        return list(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage parameter")
def test_every_vacuum_of_the_people_table_cleans_its_indexes_and_the_migration_reverses() -> None:
    assert "vacuum_index_cleanup=on" in _people_table_options()
    executor = MigrationExecutor(connection)
    executor.migrate(VACUUM_BEFORE)
    assert "vacuum_index_cleanup=on" not in _people_table_options()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(VACUUM_AFTER)
    assert "vacuum_index_cleanup=on" in _people_table_options()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
