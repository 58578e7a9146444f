"""People imports: create a job for an uploaded (or local) file, run it in batches with a progress
record, keep the rejected rows in a CSV next to the summary.

Guarantee on failure: the file is read and validated into a temporary staging table first (the
progress bar moves during that phase), then every change to people, emails, phones, tags and
consents is applied in ONE transaction. An import that fails at any point leaves nothing
behind; it is re-run from the start (re-running is safe: the same file changes nothing twice).
"""

from __future__ import annotations

import codecs
import gc
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db import utils as db_utils
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.csv_export import CsvFile
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.services import (
    TaskProgressChannel,
    audit_log_record,
    task_progress_alive,
    task_progress_create,
    task_progress_fail,
    task_progress_finish,
    task_progress_reset,
    task_progress_start,
)
from maillage.people.imports import parallel, presets
from maillage.people.imports.reader import Chunk, Table, open_table
from maillage.people.imports.rows import (
    Ledger,
    RowConverter,
    max_length,
    normalise_commune_code,
    station_code,
)
from maillage.people.imports.writer import StagingWriter, WriteResult
from maillage.people.models import ImportJob, ImportMapping
from maillage.people.services.dedupe import duplicates_detect

logger = logging.getLogger(__name__)

BATCH_SIZE = 20_000
REJECTED_EXTRA_HEADERS = ["ligne", "motif"]


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    suppressed: int = 0
    removed: int = 0
    preset: str = ""
    encoding: str = ""
    delimiter: str = ""
    rejected_path: str = ""
    new_ids: list[int] = field(default_factory=list, repr=False)

    def counts(self) -> dict[str, int]:
        data = asdict(self)
        return {
            key: data[key]
            for key in (
                "rows",
                "created",
                "updated",
                "merged",
                "unchanged",
                "rejected",
                "suppressed",
                "removed",
            )
        }


def count_data_rows(table: Table) -> int:
    """Rows to expect, for the progress bar and as an upper bound of the line numbers (the
    writer reserves ids by line): newlines in a CSV (fast, binary; decoded in UTF-16, where a
    newline is two bytes), the last row number found by `check_workbook` in a sheet (the
    sheet's declared dimension can be wrong)."""
    if table.format == "xlsx":
        return max(table.last_row - 1, 0)
    if table.encoding.startswith("utf-16"):
        return _count_utf16_rows(table.path, table.encoding)
    lines = 0
    last = b"\n"
    with table.path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def _count_utf16_rows(path: Path, encoding: str) -> int:
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    lines = 0
    last = "\n"
    with path.open("rb") as handle:
        while True:
            block = handle.read(1 << 20)
            text = decoder.decode(block, final=not block)
            lines += text.count("\n")
            last = text[-1:] or last
            if not block:
                break
    if last != "\n":
        lines += 1
    return max(lines - 1, 0)


class _RejectedWriter:
    """The rejected rows as a CSV: the original columns, then the line number and the reason
    (through the one CSV writer, so a cell a spreadsheet would run as a formula gets a `'`)."""

    def __init__(self, path: Path | None, headers: list[str]) -> None:
        self.headers = headers
        self.count = 0
        self._file = CsvFile(path) if path is not None else None

    def write(self, line_no: int, row: list[str], reason: str) -> None:
        self.count += 1
        if self._file is None:
            return
        if self.count == 1:
            self._file.writerow([*self.headers, *REJECTED_EXTRA_HEADERS])
        width = len(self.headers)
        cells = list(row[:width]) + [""] * (width - len(row)) if len(row) <= width else list(row)
        self._file.writerow([*cells, line_no, reason])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def import_file(
    *,
    path: Path | str,
    preset: str = "",
    mapping: dict[str, str] | None = None,
    source: str = "",
    dry_run: bool = False,
    rejected_path: Path | None = None,
    progress_id: Any = None,
    on_batch: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    collect_new_ids: bool = True,
) -> ImportSummary:
    """Import one file end to end; raises ApplicationError (with a French message) on a bad file.

    `collect_new_ids`: keep the ids of the people created in `summary.new_ids` (the duplicate
    search after an import needs them; a benchmark or `--no-dedupe` does not)."""
    table = open_table(path)
    preset = preset or presets.detect_preset(table.headers)
    full_mapping = presets.mapping_for(preset=preset, headers=table.headers, mapping=mapping)
    source = (source or Path(path).name)[: max_length(ImportJob, "source")]
    summary = ImportSummary(preset=preset, encoding=table.encoding, delimiter=table.delimiter)
    total = count_data_rows(table)
    if progress_id:
        task_progress_start(progress_id=progress_id, total=total, message=_("Lecture du fichier"))
    converter = RowConverter(
        headers=table.headers, mapping=full_mapping, preset=preset, ledger=Ledger.load()
    )
    rejected = _RejectedWriter(rejected_path, table.headers)
    # Without contact columns, rows of communes with no voter yet go straight into the people
    # table on PostgreSQL (see the writer): reading then happens inside the transaction.
    writer = StagingWriter(
        source=source,
        is_roll=preset in presets.ROLL_PRESETS,
        direct=not converter.has_contacts,
    )
    progress = _Progress(progress_id, on_batch, total, separate=writer.direct)
    reading = _Reading(table, converter, writer, rejected, progress, full_mapping, batch_size)
    writer.create()
    # The cyclic garbage collector would walk every row of the batch again and again while
    # they are converted; nothing here makes reference cycles, so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if writer.direct:
            with transaction.atomic():
                try:
                    writer.start_direct(
                        now=timezone.now(), last_line=total + 1, expected_rows=total
                    )
                    reading.run()
                    result = _apply(writer, converter, collect_new_ids and not dry_run, dry_run)
                except BaseException:
                    writer.abort()  # end an open COPY first, or the rollback cannot be sent
                    raise
        else:
            reading.run()  # into the session's staging table, outside the transaction
            with transaction.atomic():
                result = _apply(writer, converter, collect_new_ids and not dry_run, dry_run)
        if result.duplicate_lines:
            _write_duplicates(table, result.duplicate_lines, rejected)
    finally:
        if collecting:
            gc.enable()
        rejected.close()
        writer.drop()
        progress.close()
    summary.rows = reading.rows
    summary.created, summary.updated, summary.merged = result.created, result.updated, result.merged
    summary.unchanged, summary.removed = result.unchanged, result.removed
    summary.rejected, summary.suppressed = rejected.count, reading.suppressed
    summary.rejected_path = str(rejected_path) if rejected.count and rejected_path else ""
    summary.new_ids = [] if dry_run else result.new_ids
    return summary


def _apply(
    writer: StagingWriter, converter: RowConverter, collect_new_ids: bool, dry_run: bool
) -> WriteResult:
    """Inside the import's transaction: write everything staged, roll back a dry run."""
    result = writer.apply(
        now=timezone.now(), stations=converter.stations, collect_new_ids=collect_new_ids
    )
    if dry_run:
        transaction.set_rollback(True)
    return result


class _Progress:
    """The bar of an import: the task's progress record (through its own connection while the
    import's transaction is open, see `TaskProgressChannel`) and the command's callback."""

    def __init__(
        self,
        progress_id: Any,
        on_batch: Callable[[int, int], None] | None,
        total: int,
        *,
        separate: bool,
    ) -> None:
        self.on_batch = on_batch
        self.total = total
        self.channel = TaskProgressChannel(progress_id, separate=separate) if progress_id else None

    def advance(self, done: int, message: str | None = None) -> None:
        if self.channel is not None:
            self.channel.advance(
                done=min(done, self.total) if self.total else done, message=message
            )
        if self.on_batch is not None:
            self.on_batch(done, self.total)

    def close(self) -> None:
        if self.channel is not None:
            self.channel.close()


class _Reading:
    """Reads the file batch by batch: converts, writes rejected rows, hands the rest to the writer."""

    def __init__(
        self,
        table: Table,
        converter: RowConverter,
        writer: StagingWriter,
        rejected: _RejectedWriter,
        progress: _Progress,
        mapping: dict[str, str],
        batch_size: int,
    ) -> None:
        self.table, self.converter, self.writer = table, converter, writer
        self.rejected, self.progress, self.batch_size = rejected, progress, batch_size
        self.mapping = mapping
        self.keep = _roll_identity_reader(table.headers, mapping) if writer.is_roll else None
        self.rows = self.suppressed = 0

    def run(self) -> None:
        workers = parallel.import_workers()
        resume_at = None
        if self.table.splittable and parallel.worth_parallel(self.table, workers):
            resume_at = self._run_in_workers(workers)
            if resume_at is None:
                self._finish()
                return
        self._run_here(resume_at)
        self._finish()

    def _run_here(self, resume_at: Chunk | None = None) -> None:
        """Read (the rest of) the file in this process."""
        rest = None
        if resume_at is not None:
            rest = Chunk(resume_at.start, self.table.path.stat().st_size, resume_at.first_line)
        for numbers, batch, problems in self.table.batches(self.batch_size, chunk=rest):
            self.rows += len(batch)
            unreadable = []
            for position in sorted(problems, reverse=True):
                unreadable.append((numbers[position], batch[position], problems[position]))
                del numbers[position], batch[position]
            staged, refused, suppressed = self.converter.convert_rows(numbers, batch)
            self.suppressed += suppressed
            self._reject(sorted([*unreadable, *refused], key=itemgetter(0)))
            self.writer.add(staged)
            self.progress.advance(self.rows)

    def _run_in_workers(self, workers: int) -> Chunk | None:
        """Read the file in worker processes; the range to read on from here when the workers
        met a cell with a quote in it (see `parallel`), else None."""
        converter = self.converter
        spec = parallel.ConverterSpec(
            headers=self.table.headers,
            mapping=self.mapping,
            preset=converter.preset,
            ledger=converter.ledger,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        for result in parallel.convert_in_workers(
            self.table,
            spec,
            workers=workers,
            batch_size=self.batch_size,
            route=self.writer.route,
            chunk_bytes=parallel.CHUNK_BYTES,
        ):
            if result.state.cut_in_quotes:
                return result.chunk
            self.rows += result.rows
            self.suppressed += result.suppressed
            self._reject(result.rejected)
            converter.stations.update(result.stations)
            if self.writer.route is None:
                self.writer.add(result.staged)
            else:
                self.writer.add_routed(
                    direct=result.direct,
                    direct_rows=result.direct_rows,
                    identities=result.direct_identities,
                    last_line=result.direct_last_line,
                    staged=result.staged,
                )
            self.progress.advance(self.rows)
        return None

    def _reject(self, rows: list[tuple[int, list[str], str]]) -> None:
        for line_no, row, reason in rows:
            self.rejected.write(line_no, row, reason)
            if self.keep is not None and (identity := self.keep(row)):
                self.writer.keep_identity(*identity)

    def _finish(self) -> None:
        self.progress.advance(self.rows, message=_("Enregistrement"))


def _roll_identity_reader(
    headers: list[str], mapping: dict[str, str]
) -> Callable[[list[str]], tuple[str, str, int] | None]:
    """Reads the roll identity of a rejected row, when it has one, so the voter is not marked absent."""
    index = {
        field: position for position, header in enumerate(headers) if (field := mapping.get(header))
    }

    def read(row: list[str]) -> tuple[str, str, int] | None:
        try:
            department = row[index["department_code"]] if "department_code" in index else ""
            commune = normalise_commune_code(row[index["roll_commune_code"]], department)
            station = station_code(row[index["roll_station_code"]])
            return commune, station, int(row[index["roll_number"]])
        except (KeyError, IndexError, ValueError):
            return None

    return read


def _write_duplicates(table: Table, duplicates: dict[int, int], rejected: _RejectedWriter) -> None:
    """Second pass, only when the file repeats a roll identity: those rows are rejected too."""
    for line_no, row, _problem in table.rows():
        first = duplicates.get(line_no)
        if first is not None:
            rejected.write(
                line_no, row, _("numéro d'ordre déjà présent ligne %(line)s") % {"line": first}
            )


def _detect_duplicates(person_ids: list[int]) -> None:
    """Likely duplicates among the new people."""
    if person_ids:
        duplicates_detect(person_ids=person_ids)


# Jobs ---------------------------------------------------------------------------------------


def import_job_create(
    *,
    actor: User | None,
    path: Path | str,
    original_name: str,
    source: str,
    preset: str = "",
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
) -> ImportJob:
    """Record an import of a file already stored on disk; it runs later with `import_job_run`."""
    if preset and preset not in presets.PRESETS:
        raise ApplicationError(_("Format inconnu : %(preset)s") % {"preset": preset})
    progress = task_progress_create(
        kind="people_import", label=_("Import « %(name)s »") % {"name": original_name}, owner=actor
    )
    job = ImportJob.objects.create(
        source=(source or original_name)[: max_length(ImportJob, "source")],
        preset=preset or "",
        original_name=original_name[: max_length(ImportJob, "original_name")],
        stored_path=str(path),
        mapping=mapping or {},
        dry_run=dry_run,
        progress=progress,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # A crashed run is run again from the job's page (the job goes back to "uploaded" first).
    progress.rerun = {"url": _job_url(job, "people:import_rerun")}
    progress.save(update_fields=["rerun"])
    return job


def import_job_rerun(*, actor: User | None, job_id: int) -> ImportJob:
    """Put a failed job back in line, when its file is still there (an import that crashed: its
    process died before deleting the upload). The caller enqueues `import_job_task`."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.FAILED:
            raise ApplicationError(_("Seul un import qui a échoué peut être relancé."))
        if not Path(job.stored_path).is_file():
            raise ApplicationError(
                _("Le fichier de cet import n'est plus disponible : déposez-le à nouveau.")
            )
        job.status = ImportJob.Status.UPLOADED
        job.error = ""
        job.finished_at = None
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        if job.progress_id:
            task_progress_reset(progress_id=job.progress_id)
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.IMPORT,
            target=job,
            target_label=job.original_name,
            changes={"rerun": True},
        )
    return job


def import_job_mapping_save(
    *, job_id: int, preset: str, mapping: dict[str, str], actor: User | None = None
) -> ImportJob:
    """Keep the confirmed mapping on the job and, for generic files, per source for next time."""
    job = ImportJob.objects.get(pk=job_id)
    table = open_table(job.stored_path)
    full = presets.mapping_for(preset=preset, headers=table.headers, mapping=mapping)
    job.preset = preset
    job.mapping = full
    job.save(update_fields=["preset", "mapping", "updated_at"])
    if preset == presets.GENERIC:
        ImportMapping.objects.update_or_create(
            source=job.source, defaults={"preset": preset, "mapping": full}
        )
    return job


def import_job_run(
    *,
    job_id: int,
    on_batch: Callable[[int, int], None] | None = None,
    detect_duplicates: bool = True,
) -> ImportJob:
    """Run a job once: a job already finished (or running) is returned as it is.

    After the import commits, likely duplicates among the new people are looked for (unless
    `detect_duplicates` is False: the benchmark measures the import alone)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.UPLOADED:
            return job
        job.status = ImportJob.Status.RUNNING
        job.save(update_fields=["status", "updated_at"])
    progress_id = job.progress_id
    rejected_path = Path(settings.MAILLAGE_UPLOAD_DIR) / "rejected" / f"import-{job.pk}-rejets.csv"
    try:
        with task_progress_alive(progress_id):
            summary = import_file(
                path=job.stored_path,
                preset=job.preset,
                mapping=job.mapping or None,
                source=job.source,
                dry_run=job.dry_run,
                rejected_path=rejected_path,
                progress_id=progress_id,
                on_batch=on_batch,
                collect_new_ids=detect_duplicates,
            )
    except ApplicationError as error:
        _job_fail(job, error.message)
        return job
    except Exception as error:
        if _is_database_failure(error):
            # The connection was cut (the server restarted, an administrator ended the
            # session) or the database refuses writes: the transaction is gone with it.
            message = _(
                "La base de données a interrompu l'import (%(error)s) ; rien n'a été enregistré."
            ) % {"error": _first_line(error)}
            _job_fail_after_database_failure(job, message)
            raise ApplicationError(message) from None
        logger.exception("people import %s failed", job.pk)
        _job_fail(job, _("L'import a échoué sur une erreur inattendue ; rien n'a été enregistré."))
        raise
    finally:
        _upload_forget(job)
    job.status = ImportJob.Status.SUCCEEDED
    job.preset = summary.preset
    job.created_count, job.updated_count, job.merged_count = (
        summary.created,
        summary.updated,
        summary.merged,
    )
    job.unchanged_count, job.rejected_count, job.suppressed_count = (
        summary.unchanged,
        summary.rejected,
        summary.suppressed,
    )
    job.removed_count = summary.removed
    job.rejected_path = summary.rejected_path
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "preset",
            "created_count",
            "updated_count",
            "merged_count",
            "unchanged_count",
            "rejected_count",
            "suppressed_count",
            "removed_count",
            "rejected_path",
            "finished_at",
            "updated_at",
        ]
    )
    counts = summary.counts()
    audit_log_record(
        actor=job.created_by,
        action=AuditLogEntry.Action.IMPORT,
        target=job,
        target_label=job.original_name,
        changes={"source": job.source, "preset": summary.preset, "dry_run": job.dry_run, **counts},
    )
    if progress_id:
        labels = {
            "rows": _("lignes lues"),
            "created": _("créées"),
            "updated": _("mises à jour"),
            "merged": _("fusionnées"),
            "unchanged": _("inchangées"),
            "rejected": _("rejetées"),
            "suppressed": _("liste d'opposition"),
            "removed": _("retirées de la liste"),
        }
        task_progress_finish(
            progress_id=progress_id,
            result={
                "counts": {labels[key]: value for key, value in counts.items()},
                "url": _job_url(job),
            },
            message=_("Terminé")
            + (" " + _("(essai : rien n'a été enregistré)") if job.dry_run else ""),
        )
    if detect_duplicates:
        _detect_duplicates(summary.new_ids)
    return job


def _upload_forget(job: ImportJob) -> None:
    """A roll is personal data: once imported, the uploaded copy goes (only uploads, never a file
    the command was pointed at); the rejected rows stay for download."""
    uploads = (Path(settings.MAILLAGE_UPLOAD_DIR) / "people").resolve()
    stored = Path(job.stored_path).resolve()
    if stored.parent == uploads:
        stored.unlink(missing_ok=True)


def _job_url(job: ImportJob, name: str = "people:import_detail") -> str:
    from django.urls import reverse

    return reverse(name, args=[job.pk])


def _is_database_failure(error: BaseException) -> bool:
    """A lost connection or a database that refuses work, from Django or from the driver
    itself (COPY goes through the driver's own cursor, whose errors Django does not wrap)."""
    driver = connection.Database  # type: ignore[attr-defined]  # the backend's DB-API module
    return isinstance(
        error,
        (
            db_utils.OperationalError,
            db_utils.InterfaceError,
            driver.OperationalError,
            driver.InterfaceError,
        ),
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else error.__class__.__name__


def _job_fail_after_database_failure(job: ImportJob, message: str) -> None:
    """Record the failure on a fresh connection when one can be had; the job stays `running`
    otherwise (the message reaches the person all the same)."""
    connection.close()  # a broken connection is replaced at the next query
    try:
        _job_fail(job, message)
    except db_utils.Error as error:
        # Debug only: the command prints the failure as its one line, the task records it.
        logger.debug("people import %s: failure not recorded: %s", job.pk, _first_line(error))


def _job_fail(job: ImportJob, message: str) -> None:
    job.status = ImportJob.Status.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if job.progress_id and TaskProgress.objects.filter(pk=job.progress_id).exists():
        # The upload is gone (`_upload_forget`) and the same file would fail the same way.
        task_progress_fail(progress_id=job.progress_id, message=message, can_rerun=False)
