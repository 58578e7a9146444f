"""`maillage generate_roll OUT.csv --rows N --seed S`: fictional voters in the REU layout."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from maillage.people.imports.generator import write_roll


class Command(BaseCommand):
    help = "Write a seeded file of fictional voters in the exact REU extract layout (no real personal data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", help="path of the CSV to write")
        parser.add_argument(
            "--rows", type=int, default=1000, help="number of voters (default 1000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same file")
        parser.add_argument(
            "--commune",
            default="13999",
            help="INSEE code of the (fictional) commune, default 13999",
        )
        parser.add_argument("--commune-name", default="VALLON-SUR-MER")
        parser.add_argument(
            "--stations", type=int, default=5, help="number of polling stations (default 5)"
        )
        parser.add_argument(
            "--bad-rows",
            type=int,
            default=0,
            help="rows to spoil on purpose (missing name, impossible date, wrong column count)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rows"] < 0 or options["stations"] < 1 or options["bad_rows"] < 0:
            raise CommandError(_("--rows, --bad-rows >= 0 et --stations >= 1"))
        if options["bad_rows"] > options["rows"]:
            raise CommandError(_("--bad-rows ne peut pas dépasser --rows"))
        started = time.perf_counter()
        try:
            count = write_roll(
                options["out"],
                rows=options["rows"],
                seed=options["seed"],
                commune=options["commune"],
                commune_name=options["commune_name"],
                stations=options["stations"],
                bad_rows=options["bad_rows"],
            )
        except OSError as error:
            raise CommandError(_("écriture impossible : %(error)s") % {"error": error}) from None
        self.stdout.write(
            f"{count} électeurs écrits dans {options['out']} en {time.perf_counter() - started:.1f} s"
        )
