"""Writes of turfs: cut a turf (by polling stations, by streets of a commune, by a polygon
drawn on the map, from a segment), hand it to volunteers or teams for dates, take it back,
archive it. Each write is audit-logged.

Cutting is set-based: the chosen people are read once, in one pass of a few columns, ordered
for the walk in memory (`walk_order`), and written in bulk inserts of `BATCH` rows. Whoever
cuts a turf only draws from the people they may see (`people_visible_to`), and the people the
campaign's follow-up rules or contact cap leave alone are left out (`_knockable`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import Team, User
from maillage.canvassing.models import Turf, TurfAssignment, TurfMember
from maillage.canvassing.selectors import ASSIGNABLE_ROLES, can_manage_turfs, turf_manageable
from maillage.canvassing.walk_order import Resident, doors_count, walk_order
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError, PermissionDenied
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.normalise import street_name_key
from maillage.people.selectors import (
    Channel,
    ContactPolicy,
    Interaction,
    contact_policy,
    followup_q,
    over_contact_cap_q,
)
from maillage.people.selectors.followup import RETRY_RESULTS, SETTLED_RESULTS
from maillage.people.selectors.people import people_visible_to
from maillage.people.selectors.segments import SegmentError, access_segment, segment_queryset

BATCH = 2_000
# A turf is walked by a handful of people over a few days; a bigger cut is a mistake (a whole
# city), and would hold every row in memory while it is ordered.
MAX_TURF_PEOPLE = 20_000

RESIDENT_COLUMNS = (
    "pk",
    "building_key",
    "household_key",
    "address_number",
    "address_complement",
    "address_complement2",
    "sort_name",
)


class TurfError(ApplicationError):
    """A turf cannot be cut or handed out as asked; the message says why."""


def _check_manager(actor: User) -> None:
    """Organisers and staff cut turfs and hand them out."""
    if not can_manage_turfs(user=actor):
        raise PermissionDenied(_("Seuls les organisateur·rices et l'équipe gèrent les secteurs."))


def _check_turf(actor: User, turf: Turf) -> None:
    _check_manager(actor)
    if not turf_manageable(user=actor, turf=turf):
        raise PermissionDenied(_("Vous ne gérez pas ce secteur."))


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise TurfError(_("Donnez un nom au secteur."))
    limit = max_length(Turf, "name")
    if len(name) > limit:
        raise TurfError(_("Le nom du secteur dépasse %(max)d caractères.") % {"max": limit})
    return name


def _source(actor: User) -> QuerySet[Any]:
    return people_visible_to(user=actor)


def retries_exhausted_q(policy: ContactPolicy) -> Q:
    """Not reached at the door N times (the policy's retries) and never reached since: the
    door misses without a settling result, minus those the follow-up rules still retry."""
    misses = Interaction.objects.filter(
        person_id=OuterRef("pk"), channel=Channel.DOOR, result__in=RETRY_RESULTS
    )
    settled = Interaction.objects.filter(person_id=OuterRef("pk"), result__in=SETTLED_RESULTS)
    return Q(Exists(misses)) & ~Q(Exists(settled)) & ~followup_q("retry_not_home", policy=policy)


def _knockable(people: QuerySet[Any]) -> QuerySet[Any]:
    """The people the campaign still knocks on, by its follow-up rules and contact cap
    (people's ContactPolicy): not those left alone (against), not the convinced who are only
    informed by email, not those at the contact cap, not those whose not-home retries are used
    up."""
    policy = contact_policy()
    return (
        people.exclude(followup_q("no_further_contact", policy=policy))
        .exclude(followup_q("inform_by_email", policy=policy))
        .exclude(over_contact_cap_q(policy=policy))
        .exclude(retries_exhausted_q(policy))
    )


def _residents(people: QuerySet[Any]) -> list[Resident]:
    rows = list(
        people.order_by()
        .values_list(*RESIDENT_COLUMNS)[: MAX_TURF_PEOPLE + 1]
        .iterator(chunk_size=BATCH)
    )
    if len(rows) > MAX_TURF_PEOPLE:
        raise TurfError(
            _(
                "Ce secteur compterait plus de %(max)s personnes : découpez-le plus finement "
                "(moins de bureaux ou de rues)."
            )
            % {"max": f"{MAX_TURF_PEOPLE:,}".replace(",", "\u202f")}
        )
    return [Resident(*row) for row in rows]


def _fill(turf: Turf, residents: Sequence[Resident]) -> None:
    placed = walk_order(residents)
    iterator = iter(placed)
    while batch := list(islice(iterator, BATCH)):
        TurfMember.objects.bulk_create(
            [
                TurfMember(
                    turf_id=turf.pk,
                    person_id=p.person_id,
                    position=p.position,
                    door=p.door,
                    side=p.side,
                )
                for p in batch
            ]
        )
    turf.member_count = len(placed)
    turf.door_count = doors_count(placed)
    turf.save(update_fields=["member_count", "door_count", "updated_at"])


def _create(
    *,
    actor: User,
    name: str,
    description: str,
    kind: str,
    people: QuerySet[Any] | None = None,
    residents: Sequence[Resident] | None = None,
    **fields: Any,
) -> Turf:
    definition = fields.pop("definition")
    if residents is None:
        assert people is not None
        residents = _residents(_knockable(people))
        # Said on the turf's page: "12 people left out by the follow-up rules and the cap".
        definition["left_out"] = people.count() - len(residents)
    if not residents:
        raise TurfError(_("Personne à qui frapper dans ce secteur : il serait vide."))
    turf = Turf.objects.create(
        name=_clean_name(name),
        description=(description or "").strip(),
        kind=kind,
        created_by=actor,
        definition=definition,
        **fields,
    )
    _fill(turf, residents)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CREATE,
        target=turf,
        changes={"kind": kind, "people": turf.member_count, "doors": turf.door_count},
    )
    return turf


def _codes(values: Iterable[str]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})


def _snapshot(**fields: Any) -> dict[str, Any]:
    return {**fields, "cut_at": timezone.now().isoformat()}


@transaction.atomic
def turf_create_from_stations(
    *, actor: User, name: str, station_codes: Sequence[str], description: str = ""
) -> Turf:
    """A turf of every knockable person registered at these polling stations."""
    _check_manager(actor)
    codes = _codes(station_codes)
    if not codes:
        raise TurfError(_("Choisissez au moins un bureau de vote."))
    people = _source(actor).filter(polling_station_code__in=codes)
    return _create(
        actor=actor,
        name=name,
        description=description,
        kind=Turf.Kind.STATION,
        people=people,
        polling_station_codes=codes,
        definition=_snapshot(stations=codes),
    )


def street_q(street_names: Sequence[str]) -> Q:
    """People living in these streets, whatever the spelling ("bd" or "boulevard", accents):
    the street part of the people app's building key, "postcode|number|street words"."""
    q = Q(pk__in=[])
    for words in {street_name_key(name) for name in street_names} - {""}:
        q |= Q(building_key__endswith=f"|{words}")
    return q


@transaction.atomic
def turf_create_from_streets(
    *,
    actor: User,
    name: str,
    commune_code: str,
    street_names: Sequence[str],
    description: str = "",
) -> Turf:
    """A turf of the knockable people living in these streets of one commune."""
    _check_manager(actor)
    commune_code = (commune_code or "").strip()
    streets = [s.strip() for s in street_names if s and s.strip()]
    if not commune_code:
        raise TurfError(_("Indiquez la commune (code INSEE)."))
    if not streets:
        raise TurfError(_("Indiquez au moins une rue."))
    people = _source(actor).filter(commune_code=commune_code).filter(street_q(streets))
    return _create(
        actor=actor,
        name=name,
        description=description,
        kind=Turf.Kind.STREETS,
        people=people,
        commune_code=commune_code,
        street_names=streets,
        definition=_snapshot(commune=commune_code, streets=streets),
    )


@transaction.atomic
def turf_create_from_segment(
    *,
    actor: User,
    name: str,
    segment_id: int | str,
    station_codes: Sequence[str] = (),
    description: str = "",
) -> Turf:
    """A turf of a saved segment's knockable people ("undecided and leaning, polling stations
    3 to 5, not visited in 30 days"), optionally narrowed to polling stations. The segment's
    definition is copied into the turf: editing the segment later does not move the turf."""
    _check_manager(actor)
    segment = access_segment(user=actor, segment_id=segment_id)
    try:
        people = segment_queryset(user=actor, definition=segment.definition, segment_id=segment.pk)
    except SegmentError as exc:
        raise TurfError(str(exc)) from exc
    codes = _codes(station_codes)
    if codes:
        people = people.filter(polling_station_code__in=codes)
    return _create(
        actor=actor,
        name=name,
        description=description,
        kind=Turf.Kind.SEGMENT,
        people=people,
        polling_station_codes=codes,
        definition=_snapshot(
            segment_id=segment.pk,
            segment_name=segment.name,
            segment_definition=segment.definition,
            stations=codes,
        ),
    )


def polygon_parse(geometry: str) -> dict[str, Any]:
    """A GeoJSON Polygon (or a Feature holding one) as a geometry dict; TurfError otherwise."""
    from shapely.geometry import shape

    try:
        data = json.loads(geometry)
    except (TypeError, ValueError):
        raise TurfError(_("La zone dessinée n'est pas du GeoJSON lisible.")) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") != "Polygon":
        raise TurfError(_("Dessinez une zone fermée (un polygone) sur la carte."))
    try:
        polygon = shape(data)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        raise TurfError(_("La zone dessinée n'est pas un polygone valide.")) from None
    if polygon.is_empty or not polygon.is_valid or polygon.area == 0:
        raise TurfError(
            _("La zone dessinée n'est pas un polygone valide (ses côtés se croisent ?).")
        )
    return data


def points_in_polygon(
    geometry: dict[str, Any], points: Sequence[tuple[float, float]]
) -> list[bool]:
    """For each (longitude, latitude), whether it lies in the polygon (edges included)."""
    import numpy
    from shapely import intersects_xy
    from shapely.geometry import shape

    if not points:
        return []
    polygon = shape(geometry)
    xs = numpy.fromiter((p[0] for p in points), dtype=float, count=len(points))
    ys = numpy.fromiter((p[1] for p in points), dtype=float, count=len(points))
    return [bool(inside) for inside in intersects_xy(polygon, xs, ys)]


@transaction.atomic
def turf_create_from_polygon(
    *, actor: User, name: str, geometry: str, description: str = ""
) -> Turf:
    """A turf of the knockable people whose geocoded address lies in a polygon drawn on the
    map. The bounding box is asked of the database; the exact test is shapely's."""
    from shapely.geometry import shape

    _check_manager(actor)
    polygon = polygon_parse(geometry)
    west, south, east, north = shape(polygon).bounds
    people = _knockable(
        _source(actor).filter(
            latitude__isnull=False,
            longitude__isnull=False,
            latitude__range=(south, north),
            longitude__range=(west, east),
        )
    )
    rows = list(
        people.order_by()
        .values_list(*RESIDENT_COLUMNS, "longitude", "latitude")[: MAX_TURF_PEOPLE * 4]
        .iterator(chunk_size=BATCH)
    )
    inside = points_in_polygon(polygon, [(float(r[-2]), float(r[-1])) for r in rows])
    residents = [Resident(*row[:-2]) for row, keep in zip(rows, inside, strict=True) if keep]
    if len(residents) > MAX_TURF_PEOPLE:
        raise TurfError(
            _("Cette zone compte plus de %(max)s personnes : dessinez-la plus petite.")
            % {"max": f"{MAX_TURF_PEOPLE:,}".replace(",", "\u202f")}
        )
    return _create(
        actor=actor,
        name=name,
        description=description,
        kind=Turf.Kind.POLYGON,
        residents=residents,
        geometry=json.dumps(polygon),
        definition=_snapshot(polygon=polygon),
    )


def _check_assignable(users: Sequence[User]) -> None:
    for user in users:
        if not user.is_active or user.role not in ASSIGNABLE_ROLES:
            raise TurfError(
                _(
                    "%(user)s ne peut pas recevoir de secteur : seuls les comptes actifs de "
                    "bénévole, chef·fe d'équipe ou organisateur·rice en reçoivent."
                )
                % {"user": user}
            )


@transaction.atomic
def turf_assign(
    *,
    actor: User,
    turf: Turf,
    users: Iterable[User] = (),
    teams: Iterable[Team] = (),
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> list[TurfAssignment]:
    """Hand the turf to volunteers and/or teams from `starts_on` (today by default) to
    `ends_on` (open-ended when None). While it runs they see the turf and its people."""
    _check_turf(actor, turf)
    users, teams = list(users), list(teams)
    if not users and not teams:
        raise TurfError(_("Choisissez au moins une personne ou une équipe."))
    if turf.status != Turf.Status.ACTIVE:
        raise TurfError(_("Ce secteur est archivé : il ne peut plus être attribué."))
    starts_on = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < starts_on:
        raise TurfError(_("La fin de l'attribution précède son début."))
    _check_assignable(users)
    dates = {"starts_on": starts_on, "ends_on": ends_on, "assigned_by": actor}
    created = TurfAssignment.objects.bulk_create(
        [TurfAssignment(turf=turf, user=u, **dates) for u in users]
        + [TurfAssignment(turf=turf, team=t, **dates) for t in teams]
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=turf,
        changes={
            "assigned_users": [u.email for u in users],
            "assigned_teams": [t.name for t in teams],
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
    )
    return created


@transaction.atomic
def turf_unassign(*, actor: User, assignment: TurfAssignment) -> None:
    """Take the turf back from one assignee: they stop seeing it and its people at once."""
    turf = assignment.turf
    _check_turf(actor, turf)
    label = assignment.user.email if assignment.user else str(assignment.team)
    assignment.delete()
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=turf,
        changes={"unassigned": label},
    )


@transaction.atomic
def turf_archive(*, actor: User, turf: Turf) -> Turf:
    """Retire a turf: it leaves its volunteers' pages and stops opening its people to them."""
    _check_turf(actor, turf)
    if turf.status == Turf.Status.ARCHIVED:
        return turf
    turf.status = Turf.Status.ARCHIVED
    turf.save(update_fields=["status", "updated_at"])
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=turf,
        changes={"status": [Turf.Status.ACTIVE, Turf.Status.ARCHIVED]},
    )
    return turf


def _turfs_count_one_fewer(turfs: Any) -> int:
    """One person fewer in each of these turfs (ids, or a subquery of them)."""
    return Turf.objects.filter(pk__in=turfs, member_count__gt=0).update(
        member_count=F("member_count") - 1
    )


def turf_places_merge(*, keep_id: int, merge_id: int) -> int:
    """A merge of two people (`people.signals.person_merging`): the merged person's places in
    turfs go to the kept person, at the same door and position. Where both had a place in one
    turf, the kept person's stays and the turf counts one person fewer. Answers how many moved."""
    kept_turfs = TurfMember.objects.filter(person_id=keep_id).values("turf_id")
    doubles = TurfMember.objects.filter(person_id=merge_id, turf_id__in=kept_turfs)
    turfs = list(doubles.values_list("turf_id", flat=True))
    doubles.delete()
    if turfs:
        _turfs_count_one_fewer(turfs)
    return TurfMember.objects.filter(person_id=merge_id).update(person_id=keep_id)


def person_merging_received(*, keep: Any, merge: Any, **kwargs: Any) -> None:
    """`people.signals.person_merging`'s receiver (connected in `CanvassingConfig.ready`)."""
    turf_places_merge(keep_id=keep.pk, merge_id=merge.pk)


def turf_counts_forget_person(*, person_id: int) -> int:
    """An erasure (`people.signals.person_erasing`): the turfs the person is in count one person
    fewer; their places go with the person's deletion. Answers how many turfs changed."""
    return _turfs_count_one_fewer(TurfMember.objects.filter(person_id=person_id).values("turf_id"))


def person_erasing_received(*, person: Any, **kwargs: Any) -> None:
    """`people.signals.person_erasing`'s receiver (connected in `CanvassingConfig.ready`)."""
    turf_counts_forget_person(person_id=person.pk)
