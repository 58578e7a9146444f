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
