"""Geocoding the people's addresses in sets, through the BAN-shaped geocoder of `territory`.

A run walks the people table by id, a batch at a time (`GEOCODER_BATCH` people), sends each
distinct address of the batch once (the people of a building share it), and writes the
batch's coordinates in one transaction with one `UPDATE … FROM (VALUES …)` (one statement
per few thousand people, never one per person). A batch the geocoder could not answer writes nothing: the run stops
there with the error on its progress record, the batches before it stay written, and the next
run starts again from the people still waiting (`geocode_status IS NULL`), so nothing is ever
half-written nor done twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.dialect import dialect
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry, TaskProgress
from maillage.core.services import (
    audit_log_record,
    task_progress_advance,
    task_progress_create,
    task_progress_fail,
    task_progress_finish,
    task_progress_start,
)
from maillage.people.models import GeocodeStatus, Person
from maillage.people.selectors.geocoding import (
    GEOCODE_KIND,
    geocodable_people,
    geocoding_in_progress,
)
from maillage.territory.geocoding import (
    AddressQuery,
    GeocodedAddress,
    GeocoderError,
    geocode_batch,
)

_READ = ("pk", "address_number", "address_street", "postcode", "commune_code", "commune_name")
# The columns a batch writes, with their SQL types (`dialect().update_rows`).
_WRITTEN = [
    ("latitude", "double precision"),
    ("longitude", "double precision"),
    ("geocode_score", "smallint"),
    ("geocode_status", "smallint"),
    ("geocoded_at", "timestamp with time zone"),
]

Geocoder = Callable[[Sequence[AddressQuery]], list[GeocodedAddress]]


def geocoding_create(*, actor: User | None, retry_not_found: bool = False) -> TaskProgress:
    """The progress record of a new run; refused while one is under way (two runs would send
    the same addresses twice)."""
    if geocoding_in_progress() is not None:
        raise ApplicationError(
            _("Un géocodage est déjà en cours : suivez-le plutôt que d'en lancer un autre.")
        )
    label = _("Géocodage des adresses")
    if retry_not_found:
        label = _("Géocodage des adresses (y compris les introuvables)")
    return task_progress_create(kind=GEOCODE_KIND, label=label, owner=actor)


def _geocoder() -> Geocoder:
    def call(queries: Sequence[AddressQuery]) -> list[GeocodedAddress]:
        return geocode_batch(
            queries,
            url=settings.GEOCODER_URL,
            timeout=settings.GEOCODER_TIMEOUT,
            tries=settings.GEOCODER_TRIES,
            retry_seconds=settings.GEOCODER_RETRY_SECONDS,
            min_score=settings.GEOCODER_MIN_SCORE,
        )

    return call


def _address(row: tuple[Any, ...]) -> AddressQuery:
    _pk, number, street, postcode, commune_code, commune_name = row
    return AddressQuery(
        address=f"{number} {street}".strip(),
        postcode=postcode,
        citycode=commune_code if len(commune_code) == 5 else "",
        city=commune_name,
    )


def people_geocode_batch(*, rows: Sequence[tuple[Any, ...]], geocoder: Geocoder) -> tuple[int, int]:
    """Geocode one batch of people (rows of `_READ`) and write it whole: (found, not found).
    Raises `GeocoderError` having written nothing."""
    by_address: dict[AddressQuery, list[int]] = {}
    for row in rows:
        by_address.setdefault(_address(row), []).append(row[0])
    addresses = list(by_address)
    results = geocoder(addresses)
    sql = dialect()
    now = sql.connection.ops.adapt_datetimefield_value(timezone.now())
    people = []
    found = 0
    for address, result in zip(addresses, results, strict=True):
        score = None if result.score is None else round(result.score * 100)
        status = GeocodeStatus.FOUND if result.found else GeocodeStatus.NOT_FOUND
        for pk in by_address[address]:
            people.append((pk, result.latitude, result.longitude, score, int(status), now))
        found += result.found * len(by_address[address])
    with transaction.atomic():
        sql.update_rows(Person._meta.db_table, "id", _WRITTEN, people)
    return found, len(people) - found


def _audit(*, progress_id: str, sent: int, counts: dict[str, int]) -> None:
    """People's addresses left for a third-party service: an export, in the audit log (by the
    run's owner; "system" for the command)."""
    progress = TaskProgress.objects.select_related("owner").get(pk=progress_id)
    host = urlsplit(settings.GEOCODER_URL).hostname or ""
    audit_log_record(
        actor=progress.owner,
        action=AuditLogEntry.Action.EXPORT,
        target=progress,
        target_label=_("Adresses envoyées au géocodeur %(host)s") % {"host": host},
        changes={"geocoder": host, "people_sent": sent, **counts},
    )


def geocoding_run(
    *,
    progress_id: str,
    retry_not_found: bool = False,
    geocoder: Geocoder | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Geocode every person waiting (and, with `retry_not_found`, those not found before),
    moving the bar once per batch (and calling `on_batch`, a command's redraw). A geocoder
    error fails the run, recorded on its progress; the addresses sent are audit-logged."""
    geocoder = geocoder or _geocoder()
    batch_size = batch_size or settings.GEOCODER_BATCH
    waiting = Q(geocode_status__isnull=True)
    if retry_not_found:
        waiting |= Q(geocode_status=GeocodeStatus.NOT_FOUND)
    pending = geocodable_people().filter(waiting)
    total = pending.count()
    task_progress_start(progress_id=progress_id, total=total, message=_("Envoi des adresses"))
    counts = {"found": 0, "not_found": 0}
    sent = 0
    last = 0
    try:
        while True:
            rows = list(pending.filter(pk__gt=last).order_by("pk").values_list(*_READ)[:batch_size])
            if not rows:
                break
            sent += len(rows)
            try:
                found, missed = people_geocode_batch(rows=rows, geocoder=geocoder)
            except GeocoderError as error:
                message = _("Géocodage interrompu : %(error)s") % {"error": error.message}
                task_progress_fail(progress_id=progress_id, message=message, result=counts)
                raise
            counts["found"] += found
            counts["not_found"] += missed
            last = rows[-1][0]
            task_progress_advance(progress_id=progress_id, by=len(rows))
            if on_batch is not None:
                on_batch()
    finally:
        if sent:
            _audit(progress_id=progress_id, sent=sent, counts=counts)
    task_progress_finish(
        progress_id=progress_id,
        result=counts,
        message=_("%(found)s personne(s) localisée(s), %(not_found)s adresse(s) introuvable(s)")
        % counts,
    )
    return counts
