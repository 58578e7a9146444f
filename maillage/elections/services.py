"""Writes of the elections app: create elections, import result files (one transaction, bulk inserts).

`results_import` reads the whole file first (streaming, so a big file is never held as text),
so a malformed file is refused before anything is written; then every row is written inside
one transaction, in batches, and the final-round flags and cross-round checks are refreshed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.dialect import dialect
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import (
    audit_log_record,
    task_progress_advance,
    task_progress_alive,
    task_progress_create,
    task_progress_fail,
    task_progress_finish,
    task_progress_start,
)
from maillage.elections.analysis import summarise_area
from maillage.elections.importers import ParsedArea, open_results
from maillage.elections.importers.polling_station import resolve_constituencies
from maillage.elections.models import (
    AreaResult,
    CandidateResult,
    Election,
    Level,
    ResultImport,
    ResultUpload,
    Round,
)
from maillage.territory import selectors as territory_selectors
from maillage.territory import services as territory_services
from maillage.territory.codes import is_insee_commune

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
UPLOAD_SUFFIXES = (".xlsx", ".csv", ".txt", ".tsv", ".xml")
PARSE_PROGRESS_EVERY = 500
MAX_LISTED = 20
ROUNDS_BY_TYPE: dict[str, int] = {Election.Type.EUROPEAN.value: 1}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


@dataclass
class ImportReport:
    election: Election
    created_election: bool
    record: ResultImport
    rounds: list[int]
    level: str
    area_count: int
    candidate_count: int
    format: str
    encoding: str
    layout: str
    warnings: list[str] = field(default_factory=list)


def election_get_or_create(
    *,
    slug: str,
    type: str | None = None,
    date: dt.date | None = None,
    name: str | None = None,
    year_hint: int | None = None,
    actor: User | None = None,
) -> tuple[Election, bool]:
    if not SLUG_RE.fullmatch(slug or ""):
        raise ApplicationError(
            _(
                "identifiant d'élection invalide « %(slug)s » : minuscules, chiffres et tirets (ex. legislatives-2024)"
            )
            % {"slug": slug}
        )
    election = Election.objects.filter(slug=slug).first()
    if election is not None:
        if type and type != election.type:
            raise ApplicationError(
                _("l'élection « %(slug)s » existe déjà avec le type « %(type)s »")
                % {"slug": slug, "type": election.get_type_display()}
            )
        if date and election.date is None:
            election.date = date
            election.save(update_fields=["date", "updated_at"])
        return election, False
    kind = type or Election.Type.LEGISLATIVE
    if kind not in Election.Type.values:
        raise ApplicationError(
            _("type d'élection inconnu « %(kind)s » (choix : %(choices)s)")
            % {"kind": kind, "choices": ", ".join(Election.Type.values)}
        )
    year = date.year if date else year_hint or _year_in(slug)
    label = str(Election.Type(kind).label).capitalize()
    election = Election.objects.create(
        slug=slug,
        type=kind,
        date=date,
        name=(name or (f"{label} {year}" if year else label))[: max_length(Election, "name")],
        rounds=ROUNDS_BY_TYPE.get(kind, 2),
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CREATE,
        target=election,
        changes={"type": kind, "date": date},
    )
    return election, True


def _year_in(slug: str) -> int | None:
    match = re.search(r"(19|20)\d{2}", slug)
    return int(match.group(0)) if match else None


def results_import(
    *,
    path: Path,
    election_slug: str,
    round_number: int | None = None,
    format: str = "auto",
    election_type: str | None = None,
    election_date: dt.date | None = None,
    election_name: str | None = None,
    encoding: str | None = None,
    actor: User | None = None,
    progress_id: str | None = None,
    filename: str | None = None,
) -> ImportReport:
    """Import one results file (one round, or both when the file holds both) into an election."""
    if round_number is not None and round_number not in (1, 2):
        raise ApplicationError(
            _("tour invalide « %(round_number)s » : 1 ou 2") % {"round_number": round_number}
        )
    source = filename or path.name
    info, stream = open_results(path, format=format, encoding=encoding, source=source)
    if progress_id:
        task_progress_start(progress_id=progress_id, message=f"Lecture de {source}")
    areas: list[ParsedArea] = []
    for area in stream:
        areas.append(area)
        if progress_id and len(areas) % PARSE_PROGRESS_EVERY == 0:
            task_progress_advance(
                progress_id=progress_id, done=len(areas), message=f"{len(areas)} zones lues"
            )
    warnings: list[str] = []
    areas = _assign_rounds(
        areas, explicit=round_number, hint=info.round_hint, source=source, warnings=warnings
    )
    if progress_id:
        task_progress_advance(
            progress_id=progress_id, total=len(areas) * 2, done=len(areas), message="Enregistrement"
        )

    try:
        with transaction.atomic():
            election, created = election_get_or_create(
                slug=election_slug,
                type=election_type or info.election_type_hint or None,
                date=election_date,
                name=election_name,
                year_hint=info.year_hint,
                actor=actor,
            )
            rounds_in_file = sorted({area.round_number or 0 for area in areas})
            if rounds_in_file[-1] > election.rounds:
                raise ApplicationError(
                    _(
                        "l'élection « %(slug)s » n'a que %(rounds)s tour(s) ; le fichier contient le tour %(round)s"
                    )
                    % {
                        "slug": election.slug,
                        "rounds": election.rounds,
                        "round": rounds_in_file[-1],
                    }
                )
            rounds = {
                number: Round.objects.get_or_create(election=election, number=number)[0]
                for number in rounds_in_file
            }
            _place_and_register_territory(election=election, areas=areas, warnings=warnings)
            candidate_count = _write_areas(
                election=election,
                rounds=rounds,
                areas=areas,
                warnings=warnings,
                progress_id=progress_id,
            )
            election_refresh_final_flags(election=election)
            _link_territory(election=election)
            warnings.extend(_cross_round_warnings(election=election))
            level = Counter(area.level for area in areas).most_common(1)[0][0]
            record = ResultImport.objects.create(
                election=election,
                filename=source[: max_length(ResultImport, "filename")],
                format=info.format,
                encoding=info.encoding,
                rounds=rounds_in_file,
                level=level,
                area_count=len(areas),
                candidate_count=candidate_count,
                warnings=warnings,
                imported_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_log_record(
                actor=actor,
                action=AuditLogEntry.Action.IMPORT,
                target=election,
                changes={
                    "file": source,
                    "format": info.format,
                    "rounds": rounds_in_file,
                    "areas": len(areas),
                    "warnings": len(warnings),
                },
            )
    except IntegrityError:
        # Only a concurrent import of the same areas and round can collide on the unique keys.
        raise ApplicationError(
            _(
                "%(source)s : un autre import des mêmes zones est en cours ; rien n'a été enregistré, réessayez ensuite"
            )
            % {"source": source}
        ) from None
    return ImportReport(
        election=election,
        created_election=created,
        record=record,
        rounds=rounds_in_file,
        level=level,
        area_count=len(areas),
        candidate_count=candidate_count,
        format=info.format,
        encoding=info.encoding,
        layout=info.layout,
        warnings=warnings,
    )


def _assign_rounds(
    areas: list[ParsedArea],
    *,
    explicit: int | None,
    hint: int | None,
    source: str,
    warnings: list[str],
) -> list[ParsedArea]:
    if not areas:
        raise ApplicationError(_("%(source)s : aucune ligne de résultats") % {"source": source})
    in_file = {area.round_number for area in areas if area.round_number is not None}
    if in_file:  # the XML says which round each <Tour> is
        if explicit is not None:
            if explicit not in in_file:
                raise ApplicationError(
                    _(
                        "%(source)s : pas de tour %(explicit)s dans ce fichier (tours présents : %(rounds)s)"
                    )
                    % {
                        "source": source,
                        "explicit": explicit,
                        "rounds": ", ".join(map(str, sorted(in_file))),
                    }
                )
            areas = [area for area in areas if area.round_number == explicit]
        return areas
    # "QUALIF T2" only appears in first-round results.
    qualified = any(c.qualified for area in areas for c in area.candidates)
    guessed = hint or (1 if qualified else None)
    chosen = explicit or guessed
    if chosen is None:
        raise ApplicationError(
            _(
                "%(source)s : impossible de savoir de quel tour il s'agit ; précisez le tour (--round 1 ou 2)"
            )
            % {"source": source}
        )
    if explicit and guessed and explicit != guessed:
        warnings.append(
            f"{source} : le nom du fichier ou de la feuille indique le tour {guessed}, importé comme tour {explicit} comme demandé"
        )
    for area in areas:
        area.round_number = chosen
    return areas


def _place_and_register_territory(
    *, election: Election, areas: list[ParsedArea], warnings: list[str]
) -> None:
    placed, unplaced = resolve_constituencies(election=election, areas=areas)
    if unplaced:
        listed = ", ".join(unplaced[:MAX_LISTED]) + (
            f" … et {len(unplaced) - MAX_LISTED} autres" if len(unplaced) > MAX_LISTED else ""
        )
        warnings.append(
            f"{len(unplaced)} zone(s) sans circonscription connue (importez d'abord les résultats par circonscription "
            f"du même scrutin, ou renseignez les bureaux) : {listed}"
        )
    constituencies = {
        area.constituency_code: (area.name if area.level == Level.CONSTITUENCY else "")
        for area in areas
        if area.constituency_code
    }
    if constituencies:
        territory_services.constituencies_ensure(names=constituencies)
    communes = {
        area.commune_code: (area.department_code, area.commune_name)
        for area in areas
        if area.commune_code and is_insee_commune(area.commune_code)
    }
    stations = {
        area.code: (area.commune_code, area.station_number, area.constituency_code or None)
        for area in areas
        if area.level == Level.POLLING_STATION
    }
    if stations:
        territory_services.polling_stations_ensure(stations=stations, communes=communes)
    elif communes:
        territory_services.communes_ensure(communes=communes)
    departments = {
        area.department_code: area.department_name for area in areas if area.department_code
    }
    if departments:
        territory_services.departments_ensure(names=departments)


def _link_territory(*, election: Election) -> None:
    """Point the election's commune and bureau results at their territory rows: one UPDATE
    per level, whatever the number of areas (the rows were registered just before)."""
    results = AreaResult.objects.filter(election=election)
    results.filter(level=Level.POLLING_STATION, polling_station__isnull=True).update(
        polling_station_id=territory_selectors.polling_station_id_by_code(OuterRef("code"))
    )
    results.filter(level=Level.COMMUNE, commune__isnull=True).update(
        commune_id=territory_selectors.commune_id_by_code(OuterRef("code"))
    )


def _write_areas(
    *,
    election: Election,
    rounds: dict[int, Round],
    areas: list[ParsedArea],
    warnings: list[str],
    progress_id: str | None,
) -> int:
    by_key: dict[tuple[int, str], list[str]] = {}
    for area in areas:
        by_key.setdefault((area.round_number or 0, area.level), []).append(area.code)
    for (number, level), codes in by_key.items():
        for start in range(0, len(codes), BATCH_SIZE):
            chunk = codes[start : start + BATCH_SIZE]
            # Re-importing a round replaces it (definitive results over provisional ones).
            CandidateResult.objects.filter(
                area__round=rounds[number], area__level=level, area__code__in=chunk
            ).delete()
            AreaResult.objects.filter(round=rounds[number], level=level, code__in=chunk).delete()
    candidate_total = 0
    done = len(areas)
    for start in range(0, len(areas), BATCH_SIZE):
        batch = areas[start : start + BATCH_SIZE]
        rows = []
        ranked_lists = []
        for area in batch:
            summary = summarise_area(area, rounds_in_election=election.rounds)
            warnings.extend(summary.warnings)
            total_votes = sum(c.votes for c in area.candidates)
            rows.append(
                AreaResult(
                    election=election,
                    round=rounds[area.round_number or 0],
                    round_number=area.round_number or 0,
                    level=area.level,
                    code=area.code,
                    name=area.name[: max_length(AreaResult, "name")],
                    department_code=area.department_code,
                    constituency_code=area.constituency_code
                    if area.level != Level.CONSTITUENCY
                    else area.code,
                    registered=area.registered,
                    abstentions=area.abstentions
                    if area.abstentions is not None
                    else max(area.registered - area.voters, 0),
                    voters=area.voters,
                    blank_ballots=area.blank_ballots or 0,
                    null_ballots=area.null_ballots or 0,
                    cast=area.cast,
                    candidate_count=len(area.candidates),
                    top_votes=summary.top_votes,
                    runner_up_votes=summary.runner_up_votes,
                    gap_votes=summary.gap_votes,
                    margin_votes=summary.margin_votes,
                    votes_mismatch=total_votes - area.cast if area.candidates else 0,
                )
            )
            ranked_lists.append(summary.ranked)
        AreaResult.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        candidates = [
            (
                row.pk,
                rank,
                c.panel_number,
                c.last_name,
                c.first_name,
                c.civility,
                c.nuance_code,
                c.nuance_label,
                c.votes,
                c.elected,
                c.qualified,
            )
            for row, ranked in zip(rows, ranked_lists, strict=True)
            for rank, c in enumerate(ranked, start=1)
        ]
        _candidates_insert(candidates)
        candidate_total += len(candidates)
        done += len(batch)
        if progress_id:
            task_progress_advance(progress_id=progress_id, done=done)
    return candidate_total


CANDIDATE_COLUMNS = (
    "area_id",
    "rank",
    "panel_number",
    "last_name",
    "first_name",
    "civility",
    "nuance_code",
    "nuance_label",
    "votes",
    "elected",
    "qualified",
)


def _candidates_insert(rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL, plain executemany elsewhere (`core.dialect`): candidate rows outnumber
    areas ~8 to 1 and need no ids back, so the ORM's per-field preparation in bulk_create is
    skipped (it was most of the write time)."""
    dialect().bulk_insert(CandidateResult._meta.db_table, CANDIDATE_COLUMNS, rows)


def election_refresh_final_flags(*, election: Election) -> None:
    """An area's round is final when no later round of the same area was imported."""
    later = AreaResult.objects.filter(
        election=OuterRef("election"),
        level=OuterRef("level"),
        code=OuterRef("code"),
        round_number__gt=OuterRef("round_number"),
    )
    AreaResult.objects.filter(election=election).update(is_final=~Exists(later))
    # Every import ends here: the election's `updated_at` names the version of its results,
    # which keys the close-races page's cached threshold counts.
    election.updated_at = timezone.now()
    Election.objects.filter(pk=election.pk).update(updated_at=election.updated_at)


def _cross_round_warnings(*, election: Election) -> list[str]:
    """Missing rounds at the race level: undecided first rounds with no second, and the reverse."""
    if election.rounds < 2:
        return []
    rows = AreaResult.objects.filter(election=election, level=Level.CONSTITUENCY).values_list(
        "code", "round_number", "margin_votes"
    )
    first: dict[str, int | None] = {}
    second: set[str] = set()
    for code, number, margin in rows:
        if number == 1:
            first[code] = margin
        else:
            second.add(code)
    warnings = []
    if first and second:
        pending = sorted(
            code for code, margin in first.items() if margin is None and code not in second
        )
        if pending:
            warnings.append(
                f"{len(pending)} circonscription(s) sans élu·e au 1er tour ni 2nd tour importé : {_listed(pending)}"
            )
        extra = sorted(code for code in second if first.get(code) is not None)
        if extra:
            warnings.append(
                f"{len(extra)} 2nd(s) tour(s) là où un·e élu·e l'était déjà au 1er tour : {_listed(extra)}"
            )
        orphan = sorted(code for code in second if code not in first)
        if orphan:
            warnings.append(
                f"{len(orphan)} 2nd(s) tour(s) sans 1er tour importé : {_listed(orphan)}"
            )
    elif first and not second:
        pending = [code for code, margin in first.items() if margin is None]
        if pending:
            warnings.append(
                f"2nd tour pas encore importé : {len(pending)} circonscription(s) en ballottage"
            )
    return warnings


def _listed(codes: list[str]) -> str:
    return ", ".join(codes[:MAX_LISTED]) + (
        f" … et {len(codes) - MAX_LISTED} autres" if len(codes) > MAX_LISTED else ""
    )


def result_upload_create(
    *,
    actor: User,
    upload: UploadedFile,
    election_slug: str,
    round_number: int | None = None,
    format: str = "auto",
    election_type: str = "",
    election_date: dt.date | None = None,
) -> ResultUpload:
    """Store an uploaded results file under a server-chosen name and check it reads as results
    (format, header row, first area) before anything is queued: a file that cannot be imported
    is refused on the form, like the people import, and is not kept."""
    folder = Path(settings.MAILLAGE_UPLOAD_DIR) / "elections"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.name or "").suffix.lower()
    # The user's file name is kept only as a label.
    path = folder / f"{uuid.uuid4().hex}{suffix if suffix in UPLOAD_SUFFIXES else '.upload'}"
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    try:
        result_file_check(path=path, format=format, source=upload.name or path.name)
    except ApplicationError:
        path.unlink(missing_ok=True)
        raise
    progress = task_progress_create(
        kind="elections_import",
        label=_("Import de %(name)s") % {"name": upload.name},
        owner=actor,
    )
    return ResultUpload.objects.create(
        original_name=(upload.name or "")[: max_length(ResultUpload, "original_name")],
        stored_path=str(path),
        election_slug=election_slug,
        round_number=round_number,
        format=format,
        election_type=election_type or "",
        election_date=election_date,
        progress=progress,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def result_file_check(*, path: Path, format: str = "auto", source: str = "") -> None:
    """Read the format, the header row and the first area, as the import will: raises
    `ApplicationError` with the importer's message when the file is not usable results."""
    try:
        _info, stream = open_results(path, format=format, source=source or path.name)
        try:
            next(stream, None)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    except ApplicationError:
        raise
    except Exception:
        # An importer choking on a hostile file must not show a traceback; the log keeps it.
        logger.exception("Results file check failed on %s", path)
        raise ApplicationError(
            _("%(name)s : fichier illisible comme résultats électoraux.")
            % {"name": source or path.name}
        ) from None


def result_upload_run(*, upload_id: int) -> ResultUpload:
    """The import task's body: import the stored file into its election.

    On success the file is deleted and the progress record links to the import report. On any
    error the row and the progress record fail with a readable message and a link back to the
    upload form, and the file is kept (for a look, or until retention removes it): an importer's
    refusal cannot be helped by running again, anything else (a database outage) can, from the
    progress page. Idempotent: a succeeded upload is returned as it is."""
    with transaction.atomic():
        upload = ResultUpload.objects.select_for_update().get(pk=upload_id)
        if upload.status == ResultUpload.Status.SUCCEEDED:
            return upload
        upload.status = ResultUpload.Status.RUNNING
        upload.error = ""
        upload.save(update_fields=["status", "error", "updated_at"])
    progress_id = str(upload.progress_id) if upload.progress_id else None
    if not Path(upload.stored_path).is_file():  # run again after its retention
        return _result_upload_fail(
            upload,
            _("Le fichier déposé n'est plus disponible : déposez-le à nouveau."),
            can_rerun=False,
        )
    try:
        with task_progress_alive(progress_id):
            report = results_import(
                path=Path(upload.stored_path),
                election_slug=upload.election_slug,
                round_number=upload.round_number,
                format=upload.format or "auto",
                election_type=upload.election_type or None,
                election_date=upload.election_date,
                actor=upload.created_by,
                progress_id=progress_id,
                filename=upload.original_name,
            )
    except ApplicationError as error:
        return _result_upload_fail(upload, str(error.message), can_rerun=False)
    except Exception:
        logger.exception("Results import of upload %s failed", upload.pk)
        return _result_upload_fail(
            upload, _("Erreur inattendue pendant l'import ; rien n'a été enregistré.")
        )
    upload.status = ResultUpload.Status.SUCCEEDED
    upload.result_import = report.record
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "result_import", "finished_at", "updated_at"])
    Path(upload.stored_path).unlink(missing_ok=True)
    if progress_id:
        task_progress_finish(
            progress_id=progress_id,
            result={
                "url": reverse("elections:import_detail", args=[report.record.pk]),
                "areas": report.area_count,
                "candidates": report.candidate_count,
                "warnings": len(report.warnings),
            },
            message=_("%(areas)s zones, tour %(rounds)s, %(warnings)s avertissement(s)")
            % {
                "areas": report.area_count,
                "rounds": " et ".join(map(str, report.rounds)),
                "warnings": len(report.warnings),
            },
        )
    return upload


def _result_upload_fail(
    upload: ResultUpload, message: str, *, can_rerun: bool = True
) -> ResultUpload:
    upload.status = ResultUpload.Status.FAILED
    upload.error = message
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if upload.progress_id:
        task_progress_fail(
            progress_id=upload.progress_id,
            message=message,
            result={"url": reverse("elections:upload")},
            can_rerun=can_rerun,
        )
    return upload


def result_uploads_mark_stale(*, progress_ids: list[Any], message: str) -> int:
    """Uploads whose import process died (their progress record went stale) fail with the same
    message; their file is still there, so the progress page can run them again."""
    return ResultUpload.objects.filter(
        progress_id__in=progress_ids, status=ResultUpload.Status.RUNNING
    ).update(
        status=ResultUpload.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def result_upload_files_purge(*, cutoff: dt.datetime) -> dict[str, int]:
    """Delete the files of uploads older than `cutoff` that are still kept (never run, or
    failed), saying so on each row. Files no row points at are swept by the core housekeeping."""
    folder = (Path(settings.MAILLAGE_UPLOAD_DIR) / "elections").resolve()
    days = settings.MAILLAGE_UPLOAD_RETENTION_DAYS
    deleted = 0
    kept = ResultUpload.objects.filter(
        status__in=[ResultUpload.Status.UPLOADED, ResultUpload.Status.FAILED],
        created_at__lt=cutoff,
    )
    for upload in kept:
        stored = Path(upload.stored_path).resolve()
        if stored.parent != folder or not stored.is_file():
            continue  # not ours to delete, or already gone
        stored.unlink(missing_ok=True)
        deleted += 1
        note = _("Fichier déposé supprimé (conservation : %(days)s jours).") % {"days": days}
        upload.error = f"{upload.error} {note}".strip()
        fields = ["error", "updated_at"]
        if upload.status == ResultUpload.Status.UPLOADED:
            upload.status = ResultUpload.Status.FAILED
            upload.finished_at = timezone.now()
            fields += ["status", "finished_at"]
        upload.save(update_fields=fields)
    return {"election_uploads": deleted}
