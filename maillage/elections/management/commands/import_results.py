"""`maillage import_results FILE --election SLUG`: import one official results file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError
from maillage.elections.importers import FORMATS
from maillage.elections.models import Election
from maillage.elections.services import results_import


class Command(BaseCommand):
    help = "Import an official results file (ministry XML, data.gouv.fr CSV/TXT or XLSX, per constituency, commune or polling station)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path of the file to import")
        parser.add_argument(
            "--election",
            required=True,
            help="election slug, e.g. legislatives-2024 (created when new)",
        )
        parser.add_argument(
            "--round",
            type=int,
            choices=[1, 2],
            help="round of the file (detected from the file or its name when possible)",
        )
        parser.add_argument(
            "--format", default="auto", choices=FORMATS, help="file format (default: detected)"
        )
        parser.add_argument(
            "--type",
            choices=Election.Type.values,
            help="election type, for a new election (default: legislative)",
        )
        parser.add_argument(
            "--date", help="date of the first round, YYYY-MM-DD, for a new election"
        )
        parser.add_argument("--name", help="display name, for a new election")
        parser.add_argument(
            "--encoding",
            help="force the text encoding of a CSV (default: detected; utf-8, cp1252, iso-8859-1, cp850)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("fichier introuvable : %(path)s") % {"path": path})
        date = None
        if options["date"]:
            try:
                date = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(
                    _("date invalide « %(date)s » (attendu AAAA-MM-JJ)") % {"date": options["date"]}
                ) from None
        try:
            report = results_import(
                path=path,
                election_slug=options["election"],
                round_number=options["round"],
                format=options["format"],
                election_type=options["type"],
                election_date=date,
                election_name=options["name"],
                encoding=options["encoding"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        created = " (nouvelle élection)" if report.created_election else ""
        rounds = " et ".join(str(number) for number in report.rounds)
        details = ", ".join(
            part for part in (report.format, report.layout, report.encoding) if part
        )
        self.stdout.write(
            f"{report.election.name} [{report.election.slug}]{created} : tour {rounds}, "
            f"{report.area_count} zones ({report.record.get_level_display()}), {report.candidate_count} candidatures enregistrées ({details})."
        )
        if report.warnings:
            self.stdout.write(f"{len(report.warnings)} avertissement(s) :")
            for warning in report.warnings:
                self.stdout.write(f"  ⚠ {warning}")
        else:
            self.stdout.write("Aucun avertissement.")
