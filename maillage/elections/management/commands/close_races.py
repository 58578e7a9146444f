"""`maillage close_races --election SLUG`: print (or write as CSV) the ranked list of close races."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from maillage.core.csv_export import csv_file_write
from maillage.elections.models import Election, Level
from maillage.elections.selectors import (
    BASES,
    CSV_HEADER,
    ROUND_CHOICES,
    RaceFilters,
    close_race_list,
    race_csv_rows,
    race_rows,
)


def _percent(value: str) -> float:
    try:
        number = float(value.replace(",", ".").rstrip("%"))
    except ValueError:
        raise CommandError(_("pourcentage invalide « %(value)s »") % {"value": value}) from None
    if not 0 < number <= 100:
        raise CommandError(
            _("pourcentage hors limites « %(value)s » (entre 0 et 100)") % {"value": value}
        )
    return number


class Command(BaseCommand):
    help = "List the close races of an election: gap between the top two, and/or winner's margin, under a share of the votes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--election", required=True, help="election slug")
        parser.add_argument(
            "--round",
            default="final",
            choices=ROUND_CHOICES,
            help="round whose gap is measured (default: final, i.e. 2 where held)",
        )
        parser.add_argument(
            "--max-gap", type=str, help="keep races whose gap between the top two is under PCT %%"
        )
        parser.add_argument(
            "--max-margin",
            type=str,
            help="keep decided races whose winner's margin is under PCT %%",
        )
        parser.add_argument(
            "--base",
            default="exprimes",
            choices=list(BASES),
            help="base of the percentages (default: exprimes)",
        )
        parser.add_argument(
            "--level",
            default=Level.CONSTITUENCY,
            choices=Level.values,
            help="area level (default: constituency)",
        )
        parser.add_argument("--csv", dest="csv_path", help="also write the rows to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        election = Election.objects.filter(slug=options["election"]).first()
        if election is None:
            raise CommandError(
                _("aucune élection « %(slug)s » (importez-la avec import_results)")
                % {"slug": options["election"]}
            )
        filters = RaceFilters(
            round=options["round"],
            max_gap=_percent(options["max_gap"]) if options["max_gap"] else None,
            max_margin=_percent(options["max_margin"]) if options["max_margin"] else None,
            base=options["base"],
            level=options["level"],
        )
        rows = race_rows(close_race_list(election=election, filters=filters))
        conditions = []
        if filters.max_gap is not None:
            conditions.append(f"écart < {filters.max_gap:g} %")
        if filters.max_margin is not None:
            conditions.append(f"marge de l'élu·e < {filters.max_margin:g} %")
        round_label = "tour final" if filters.round == "final" else f"tour {filters.round}"
        self.stdout.write(
            f"{election.name} — {round_label} — {', '.join(conditions) or 'toutes les zones'} — "
            f"pourcentages des {filters.base_label}"
        )
        for position, row in enumerate(rows, start=1):
            self.stdout.write(
                f"{position:>4}. {row.code:<6} {row.name[:40]:<40} T{row.round_number}  "
                f"{_candidate(row.winner)}  devant  {_candidate(row.runner_up)}  "
                f"écart {row.gap_votes} voix ({_pct(row.gap_pct)})"
            )
        self.stdout.write(f"{len(rows)} course(s).")
        if options["csv_path"]:
            path = Path(options["csv_path"])
            try:
                csv_file_write(
                    path=path, rows=[CSV_HEADER, *race_csv_rows(rows, base=filters.base)]
                )
            except OSError as error:
                raise CommandError(
                    _("impossible d'écrire %(path)s : %(strerror)s")
                    % {"path": path, "strerror": error.strerror}
                ) from None
            self.stdout.write(f"CSV écrit : {path}")


def _candidate(candidate: Any) -> str:
    if candidate is None:
        return "—"
    elected = " élu·e" if candidate.elected else ""
    return (
        f"{candidate.full_name} ({candidate.nuance_code or '?'}, {candidate.votes} voix{elected})"
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} %".replace(".", ",")
