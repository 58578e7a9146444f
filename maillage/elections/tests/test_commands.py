"""The two commands: import_results and close_races, including their one-line errors."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.urls import reverse

from maillage.core.tests.base import BaseTestCase
from maillage.elections.models import Election
from maillage.elections.tests import helpers


def run(*args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


class ImportResultsCommandTests(BaseTestCase):
    def test_it_creates_the_election_and_prints_what_it_stored_and_every_warning(self) -> None:
        output = run(
            "import_results",
            str(helpers.LG2024_T2),
            "--election",
            "legislatives-2024",
            "--date",
            "2024-06-30",
        )
        self.assertIn(
            "Législatives 2024 [legislatives-2024] (nouvelle élection) : tour 2, 501 zones (circonscription), 1094 candidatures",
            output,
        )
        self.assertIn("1 avertissement(s) :", output)
        self.assertIn("Essonne 3e circonscription (9103)", output)
        self.assertEqual(str(Election.objects.get().date), "2024-06-30")

    def test_bad_input_gives_one_clear_line(self) -> None:
        cases = [
            (["/nonexistent.csv", "--election", "x"], "fichier introuvable"),
            ([str(helpers.XML_INDEX), "--election", "x"], "aucun résultat"),
            ([str(helpers.LG2024_T2), "--election", "x", "--date", "30/06/2024"], "date invalide"),
            (
                [str(helpers.LG2024_T2), "--election", "Mauvais Slug"],
                "identifiant d'élection invalide",
            ),
        ]
        for args, message in cases:
            with self.subTest(args=args), self.assertRaisesMessage(CommandError, message):
                run("import_results", *args)


class CloseRacesCommandTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        run("import_results", str(helpers.LG2024_T1), "--election", "legislatives-2024")
        run("import_results", str(helpers.LG2024_T2), "--election", "legislatives-2024")

    def test_it_prints_the_ranked_list_and_the_count(self) -> None:
        output = run("close_races", "--election", "legislatives-2024", "--max-margin", "1")
        lines = output.splitlines()
        self.assertIn("marge de l'élu·e < 1 % — pourcentages des exprimés", lines[0])
        self.assertIn("0703", lines[1])
        self.assertIn(
            "Fabrice BRUN (DVD, 20414 voix élu·e)  devant  Cyrille GRANGIER (RN, 20379 voix)  écart 35 voix (0,06 %)",
            lines[1],
        )
        self.assertEqual(lines[-1], "24 course(s).")

    def test_gap_and_round_filters_combine(self) -> None:
        self.assertTrue(
            run(
                "close_races", "--election", "legislatives-2024", "--round", "2", "--max-gap", "5"
            ).endswith("109 course(s).\n")
        )
        both = run(
            "close_races", "--election", "legislatives-2024", "--max-gap", "5", "--max-margin", "1"
        )
        self.assertTrue(both.endswith("24 course(s).\n"))
        first_round = run(
            "close_races", "--election", "legislatives-2024", "--round", "1", "--max-gap", "0,5"
        )
        self.assertIn("tour 1 — écart < 0.5 %", first_round)

    def test_it_writes_the_same_rows_as_csv_closest_first(self) -> None:
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        target = folder / "cibles.csv"
        run(
            "close_races",
            "--election",
            "legislatives-2024",
            "--max-gap",
            "5",
            "--base",
            "votants",
            "--csv",
            str(target),
        )
        rows = list(csv.reader(target.open(encoding="utf-8-sig", newline=""), delimiter=";"))
        self.assertEqual(rows[0][:3], ["code", "zone", "tour"])
        self.assertEqual(rows[1][0], "0703")
        self.assertEqual(rows[1][9:14], ["35", "0,06", "35", "0,06", "votants"])
        gaps = [float(row[10].replace(",", ".")) for row in rows[1:]]
        self.assertEqual(gaps, sorted(gaps))
        self.assertTrue(all(gap < 5 for gap in gaps))

    def test_the_command_writes_the_same_file_as_the_page(self) -> None:
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder, True)
        target = folder / "cibles.csv"
        run(
            "close_races",
            "--election",
            "legislatives-2024",
            "--max-gap",
            "5",
            "--base",
            "votants",
            "--csv",
            str(target),
        )
        self.login(self.owner)
        response = self.client.get(
            reverse("elections:close_races_export"),
            {"election": "legislatives-2024", "max_gap": "5", "base": "votants"},
        )
        page = b"".join(response.streaming_content)
        written = target.read_bytes()
        self.assertTrue(written.startswith("\ufeffcode;zone;tour;".encode()))  # BOM, `;`
        self.assertEqual(written, page)

    def test_bad_input_gives_one_clear_line(self) -> None:
        with self.assertRaisesMessage(CommandError, "aucune élection « nope »"):
            run("close_races", "--election", "nope")
        with self.assertRaisesMessage(CommandError, "pourcentage invalide « cinq »"):
            run("close_races", "--election", "legislatives-2024", "--max-gap", "cinq")
        with self.assertRaisesMessage(CommandError, "hors limites"):
            run("close_races", "--election", "legislatives-2024", "--max-margin", "150")
        with self.assertRaisesMessage(CommandError, "impossible d'écrire"):
            run(
                "close_races",
                "--election",
                "legislatives-2024",
                "--csv",
                "/nonexistent/dir/out.csv",
            )
