"""The people tables' rows print what the template filters they replace printed (#17)."""

from __future__ import annotations

from django.template.defaultfilters import truncatechars
from django.test import SimpleTestCase
from django.utils import timezone

from maillage.people.models import SupportLevel
from maillage.people.selectors.rows import person_rows, truncate


class RowsTests(SimpleTestCase):
    def test_truncate_prints_what_truncatechars_printed(self) -> None:
        for text in ("", "DUPONT", "x" * 60, "x" * 61, "Élise-Marie " * 9, "ÀÉÎÕÜ" * 20):
            for length in (1, 2, 60, 80):
                with self.subTest(text=text, length=length):
                    self.assertEqual(truncate(text, length), truncatechars(text, length))

    def test_a_row_holds_the_cells_of_the_table(self) -> None:
        year = timezone.localdate().year
        person = {
            "pk": 7,
            "birth_name": "MARTIN",
            "usage_name": "",
            "first_names": "Camille",
            "birth_year": year - 40,
            "address_number": "12",
            "address_street": "rue de la République",
            "commune_name": "Marseille",
            "polling_station_code": "13055_0001",
            "current_support": SupportLevel.LEANING_AGAINST,
        }
        [row] = person_rows([person])
        self.assertEqual(row["url"], "/people/7/")
        self.assertEqual(row["name"], "MARTIN Camille")
        self.assertEqual(row["age"], 40)
        self.assertEqual(row["address"], "12 rue de la République, Marseille")
        self.assertEqual((row["support"], row["support_class"]), ("Plutôt contre", "badge bad"))
        bare = {**person, "usage_name": "DURAND", "birth_year": None, "address_number": ""}
        bare.update(address_street="", commune_name="", current_support=None)
        [row] = person_rows([bare])
        self.assertEqual((row["name"], row["age"], row["address"]), ("DURAND Camille", "", ""))
        self.assertEqual((row["support"], row["support_class"]), ("", ""))
