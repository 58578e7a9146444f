"""The people list's sort key as imports write it (the list sorts by the name it shows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from maillage.people.models import Person
from maillage.people.services.imports import import_file
from maillage.people.tests.fixtures.helpers import write_plain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MAILLAGE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.MAILLAGE_UPLOAD_DIR


def test_an_import_writes_the_sort_key_of_the_shown_name(tmp_path: Path) -> None:
    path = write_plain(
        tmp_path / "contacts.csv",
        ["nom", "nom d'usage", "prenom"],
        [["ZOLA", "Bernard", "Lucie"], ["ADAM", "", "Émilie"], ["X" * 150, "", "Jean"]],
    )
    import_file(path=path, source="Test", preset="generic")
    keys = dict(Person.objects.values_list("first_names", "sort_name"))
    assert keys["Lucie"] == "bernard lucie"
    assert keys["Émilie"] == "adam emilie"
    assert keys["Jean"] == "x" * 120  # a long name is cut, not refused
    assert list(Person.objects.order_by("sort_name").values_list("first_names", flat=True)) == [
        "Émilie",
        "Lucie",
        "Jean",
    ]
