"""`maillage import_people FILE [--preset reu|elistelec|generic] [--mapping M.json] [--source NAME] [--dry-run]`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from maillage.core.errors import ApplicationError
from maillage.core.models import TaskProgress
from maillage.core.progress_bar import redraw, render_bar
from maillage.people.imports.presets import PRESETS
from maillage.people.models import ImportJob
from maillage.people.services.imports import import_job_create, import_job_run


class Command(BaseCommand):
    help = "Import people from an electoral roll (REU, e-listelec) or any CSV/XLSX list with a column mapping."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument(
            "--preset", choices=PRESETS, help="file layout (default: detected from the headers)"
        )
        parser.add_argument(
            "--mapping", help='JSON file {"header in the file": "field"} for generic files'
        )
        parser.add_argument(
            "--source",
            help="name of the source (default: the file name); its mapping is remembered",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="read, validate and count; write nothing"
        )
        parser.add_argument(
            "--no-dedupe",
            action="store_true",
            help="skip the search for likely duplicates after the import",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("fichier introuvable : %(path)s") % {"path": path})
        mapping = None
        if options["mapping"]:
            # The reasons in French: Python's own ("Expecting value", "No such file") are English.
            try:
                mapping = json.loads(Path(options["mapping"]).read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise CommandError(
                    _(
                        "correspondance illisible (%(mapping)s) : JSON invalide à la ligne %(lineno)s, colonne %(colno)s"
                    )
                    % {"mapping": options["mapping"], "lineno": error.lineno, "colno": error.colno}
                ) from None
            except UnicodeDecodeError:
                raise CommandError(
                    _("correspondance illisible (%(mapping)s) : le fichier n'est pas en UTF-8")
                    % {"mapping": options["mapping"]}
                ) from None
            except OSError:
                raise CommandError(
                    _("correspondance illisible (%(mapping)s) : fichier introuvable ou illisible")
                    % {"mapping": options["mapping"]}
                ) from None
            if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
            ):
                raise CommandError(_('correspondance invalide : attendu {"en-tête": "champ", ...}'))
        started = time.perf_counter()
        try:
            job = import_job_create(
                actor=None,
                path=path.resolve(),
                original_name=path.name,
                source=options["source"] or path.name,
                preset=options["preset"] or "",
                mapping=mapping,
                dry_run=options["dry_run"],
            )
            progress_id = job.progress_id
            interactive = (
                self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()
            )

            def show(done: int, total: int) -> None:
                if interactive and progress_id is not None:
                    redraw(TaskProgress.objects.get(pk=progress_id), self.stdout)

            job = import_job_run(
                job_id=job.pk, on_batch=show, detect_duplicates=not options["no_dedupe"]
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        if interactive:
            self.stdout.write("")
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error)
        elapsed = time.perf_counter() - started
        rows = (
            job.created_count
            + job.updated_count
            + job.merged_count
            + job.unchanged_count
            + job.rejected_count
            + job.suppressed_count
        )
        if job.progress_id is not None:  # always set by import_job_create
            self.stdout.write(render_bar(TaskProgress.objects.get(pk=job.progress_id))[:120])
        prefix = "ESSAI (rien n'est enregistré) — " if job.dry_run else ""
        self.stdout.write(
            f"{prefix}{job.original_name} ({job.preset}) : {rows} lignes en {elapsed:.1f} s — "
            f"créées {job.created_count}, mises à jour {job.updated_count}, fusionnées {job.merged_count}, "
            f"inchangées {job.unchanged_count}, rejetées {job.rejected_count}, liste d'opposition {job.suppressed_count}, "
            f"retirées {job.removed_count}"
        )
        if job.rejected_path:
            self.stdout.write(f"lignes rejetées : {job.rejected_path}")
