"""Files of people imports that hold personal data: how long they stay, and erasure in them.

An uploaded file is deleted once its import ran (`imports._upload_forget`). What stays on disk
is an upload whose mapping was never confirmed (or whose import crashed, kept so it can run
again) and the rejected rows kept for download. Both go after MAILLAGE_UPLOAD_RETENTION_DAYS
(`import_files_purge`, run by the housekeeping), and an erasure removes the person's rows from
every rejected-rows file still kept (`rejected_rows_erase`).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from maillage.core.csv_export import csv_file_write
from maillage.people.imports.rows import normalise_commune_code, station_code
from maillage.people.models import ImportJob, Person
from maillage.people.normalise import fold, normalise_email, normalise_phone

logger = logging.getLogger(__name__)


def _uploads_folder() -> Path:
    return (Path(settings.MAILLAGE_UPLOAD_DIR) / "people").resolve()


def _note(job: ImportJob, text: str) -> None:
    job.file_note = (f"{job.file_note} {text}" if job.file_note else text)[-500:]


def _today() -> str:
    return str(formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT"))


def import_files_purge(*, cutoff: datetime) -> dict[str, int]:
    """Delete the uploads and rejected-row files of jobs older than `cutoff`, saying so on each
    job. (Files no job points at are swept by `core.services.upload_files_purge`.)"""
    days = settings.MAILLAGE_UPLOAD_RETENTION_DAYS
    uploads = 0
    waiting = ImportJob.objects.filter(
        status__in=[ImportJob.Status.UPLOADED, ImportJob.Status.FAILED], created_at__lt=cutoff
    )
    for job in waiting:
        stored = Path(job.stored_path).resolve()
        if stored.parent != _uploads_folder() or not stored.is_file():
            continue  # a file the command was pointed at is not ours to delete
        stored.unlink(missing_ok=True)
        uploads += 1
        fields = ["file_note", "updated_at"]
        if job.status == ImportJob.Status.UPLOADED:
            job.status = ImportJob.Status.FAILED
            job.error = _(
                "Les colonnes de ce fichier n'ont pas été confirmées dans les %(days)s jours : "
                "le fichier déposé a été supprimé. Déposez-le à nouveau pour l'importer."
            ) % {"days": days}
            job.finished_at = timezone.now()
            fields += ["status", "error", "finished_at"]
        _note(
            job,
            _("Fichier déposé supprimé le %(date)s (conservation : %(days)s jours).")
            % {"date": _today(), "days": days},
        )
        job.save(update_fields=fields)
    rejected = 0
    for job in ImportJob.objects.filter(finished_at__lt=cutoff).exclude(rejected_path=""):
        Path(job.rejected_path).unlink(missing_ok=True)
        rejected += 1
        job.rejected_path = ""
        _note(
            job,
            _("Fichier des lignes rejetées supprimé le %(date)s (conservation : %(days)s jours).")
            % {"date": _today(), "days": days},
        )
        job.save(update_fields=["rejected_path", "file_note", "updated_at"])
    return {"expired_uploads": uploads, "expired_rejected_files": rejected}


# Erasure in the rejected rows -------------------------------------------------------------------


@dataclass
class PersonTraces:
    """What identifies one person in a row of a file: names with the birth date, an email, a
    phone, a roll identity. Built before the person is deleted."""

    names: set[str] = field(default_factory=set)
    first_name: str = ""
    birth: tuple[int | None, int | None, int | None] = (None, None, None)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    roll: tuple[str, str, int] | None = None

    @classmethod
    def of(cls, person: Person) -> PersonTraces:
        first = fold(person.first_names).split()
        roll = None
        if person.roll_number is not None and person.roll_commune_code:
            roll = (person.roll_commune_code, person.roll_station_code, person.roll_number)
        return cls(
            names={name for name in (fold(person.birth_name), fold(person.usage_name)) if name},
            first_name=first[0] if first else "",
            birth=(person.birth_year, person.birth_month, person.birth_day),
            emails={normalise_email(a) for a in person.emails.values_list("address", flat=True)},
            phones=set(person.phones.values_list("number", flat=True)),
            roll=roll,
        )


_DATE_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_DATE_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")


def _clean(cell: str) -> str:
    """A cell as written by any version of the rejected-rows writer: BOM, spaces, and the `'`
    that neutralises a formula-looking cell removed."""
    cell = cell.lstrip("\ufeff").strip()
    return cell[1:].strip() if cell.startswith("'") else cell


def _dates(cells: Iterable[str]) -> set[tuple[int, int, int]]:
    found = set()
    for cell in cells:
        if match := _DATE_DMY.match(cell):
            found.add((int(match[3]), int(match[2]), int(match[1])))
        elif match := _DATE_YMD.match(cell):
            found.add((int(match[1]), int(match[2]), int(match[3])))
    return found


def row_names_person(
    cells: list[str], traces: PersonTraces, roll_columns: dict[str, int] | None = None
) -> bool:
    """Whether a row (cells already `_clean`ed) is about the person. Column-blind for names,
    dates, emails and phones, so it holds whatever the file's layout; the roll identity needs
    the job's mapping. Names match with the birth date when the person has one (two namesakes
    born the same day are taken for one: the row goes, which errs on the side of erasure)."""
    if traces.emails and {normalise_email(c) for c in cells if "@" in c} & traces.emails:
        return True
    if traces.phones:
        for cell in cells:
            if sum(ch.isdigit() for ch in cell) >= 9 and normalise_phone(cell) in traces.phones:
                return True
    if traces.roll and roll_columns and _roll_of(cells, roll_columns) == traces.roll:
        return True
    if not traces.names or not traces.first_name:
        return False
    folded = [fold(cell) for cell in cells]
    if not traces.names & set(folded):
        return False
    if not any(value.split()[:1] == [traces.first_name] for value in folded):
        return False
    year, month, day = traces.birth
    if year is None:
        return True
    if month and day:
        return (year, month, day) in _dates(cells)
    return str(year) in cells or any(found[0] == year for found in _dates(cells))


def _roll_of(cells: list[str], columns: dict[str, int]) -> tuple[str, str, int] | None:
    try:
        department = cells[columns["department_code"]] if "department_code" in columns else ""
        return (
            normalise_commune_code(cells[columns["roll_commune_code"]], department),
            station_code(cells[columns["roll_station_code"]]),
            int(cells[columns["roll_number"]]),
        )
    except (KeyError, IndexError, ValueError):
        return None


def _roll_columns(headers: list[str], mapping: dict[str, Any]) -> dict[str, int]:
    wanted = {"roll_commune_code", "roll_station_code", "roll_number", "department_code"}
    by_header = {_clean(str(header)): value for header, value in mapping.items()}
    return {
        by_header[header]: position
        for position, header in enumerate(headers)
        if by_header.get(header) in wanted
    }


def _delimiter(first_line: str) -> str:
    return max((";", ",", "\t"), key=first_line.count)


def _rewrite_without(path: Path, traces: PersonTraces, mapping: dict[str, Any]) -> int:
    """Remove the person's rows from one file, atomically (a temporary file in the same folder,
    then `os.replace`). Returns the rows removed; raises ValueError when the file is unreadable."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first_line = handle.readline()
            # A spreadsheet hint line ("sep=;") names the separator and comes before the header.
            hint = first_line if first_line.lower().startswith("sep=") else ""
            delimiter = hint[4:5] if hint[4:5] else _delimiter(first_line)
            if not hint:
                handle.seek(0)
            rows = list(csv.reader(handle, delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(str(error)) from error
    if not rows:
        return 0
    header, body = rows[0], rows[1:]
    columns = _roll_columns([_clean(cell) for cell in header], mapping)
    kept = [row for row in body if not row_names_person([_clean(c) for c in row], traces, columns)]
    removed = len(body) - len(kept)
    if not removed:
        return 0
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".erase-", suffix=".csv")
    os.close(descriptor)
    try:
        # Written back through the one CSV writer: the kept cells were neutralised when the
        # file was first written (a leading `'`), and the writer leaves such cells as they are.
        csv_file_write(path=temporary, rows=[header, *kept])
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return removed


def rejected_rows_erase(*, traces: PersonTraces) -> dict[str, int]:
    """Remove the person's rows from every rejected-rows file still kept; a file that cannot be
    read back is deleted instead. Each job touched says so in its file note (without names)."""
    rows = files = deleted = 0
    for job in ImportJob.objects.exclude(rejected_path=""):
        path = Path(job.rejected_path)
        if not path.is_file():
            continue
        try:
            removed = _rewrite_without(path, traces, job.mapping or {})
        except (OSError, ValueError):
            logger.warning("rejected rows of import %s unreadable: deleted", job.pk, exc_info=True)
            path.unlink(missing_ok=True)
            deleted += 1
            job.rejected_path = ""
            _note(
                job,
                _(
                    "Fichier des lignes rejetées supprimé le %(date)s lors d'un effacement "
                    "(il n'a pas pu être relu)."
                )
                % {"date": _today()},
            )
            job.save(update_fields=["rejected_path", "file_note", "updated_at"])
            continue
        if removed:
            rows += removed
            files += 1
            _note(
                job,
                _(
                    "%(count)s ligne(s) retirée(s) du fichier des lignes rejetées le %(date)s "
                    "à la suite d'une demande d'effacement."
                )
                % {"count": removed, "date": _today()},
            )
            job.save(update_fields=["file_note", "updated_at"])
    return {"rejected_rows": rows, "rejected_files": files, "rejected_files_deleted": deleted}
