"""Reads of the doorstep app: the volunteer's turfs, the turf they download (walk list and
script), and the team leader's live progress per turf and per volunteer.

Turfs, their assignments and walk lists come from the turfs' own selectors
(`maillage.canvassing.selectors`); people are read only through them and `people_visible_to`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.canvassing.models import Turf, TurfMember
from maillage.canvassing.selectors import (
    access_turf,
    assigned_turf_ids,
    turf_list_for,
    walk_list,
)
from maillage.core.models import AuditLogEntry
from maillage.core.roles import Role, has_role
from maillage.core.services import audit_log_record
from maillage.people.selectors import DOOR_RESULTS
from maillage.people.selectors.attempt_progress import (
    AttemptCounts,
    attempt_counts_by_source,
    result_choices,
)
from maillage.people.selectors.attempt_progress import (
    support_level_choices as _support_level_choices,
)
from maillage.people.selectors.persuasion import Figures, support_history
from maillage.surveys.selectors import script_as_dict, script_for_caller, script_list

SOURCE_KIND = "turf"


def door_result_choices() -> list[tuple[str, str]]:
    return result_choices(DOOR_RESULTS)


def support_level_choices() -> list[tuple[int, str]]:
    return _support_level_choices()


def doorstep_turfs(*, user: User) -> list[Turf]:
    """The turfs handed to this volunteer (or their team) today: the app's home page."""
    return list(Turf.objects.filter(pk__in=assigned_turf_ids(user=user)).order_by("name", "pk"))


def doorstep_turf(*, user: User, turf_id: int) -> Turf:
    """One turf the user may open (NotFound otherwise: another turf's id is a 404)."""
    return access_turf(user=user, turf_id=turf_id)


def doorstep_turf_ids(*, user: User, among: set[int]) -> set[int]:
    """Which of these turfs the user may record results on: one query."""
    if not among:
        return set()
    return set(turf_list_for(user=user).filter(pk__in=among).values_list("pk", flat=True))


def doorstep_members(*, turf_ids: set[int], person_ids: set[int]) -> set[tuple[int, int]]:
    """The (turf, person) pairs among these that are in the turfs' walk lists: one query."""
    if not turf_ids or not person_ids:
        return set()
    return set(
        TurfMember.objects.filter(turf_id__in=turf_ids, person_id__in=person_ids).values_list(
            "turf_id", "person_id"
        )
    )


def doorstep_script(*, user: User) -> dict[str, Any] | None:
    """The script the doorstep app walks through: the campaign's latest active script (turfs
    do not name one). None when there is no active script: the app then asks the result, the
    support level, the note and the question only."""
    script = script_list(user=user).filter(is_active=True).order_by("-pk").first()
    if script is None:
        return None
    return script_as_dict(script_for_caller(script_id=script.pk))


def doorstep_download(*, user: User, turf: Turf, ip_address: str | None = None) -> dict[str, Any]:
    """What the app stores to work offline: the turf's doors in walk order with their people
    (names, building/floor, birth year to tell namesakes apart; no support level, no contact
    details) and the script. The download is written to the audit log (a walk list is person
    data), once per download."""
    doors = walk_list(turf=turf)
    audit_log_record(
        actor=user,
        action=AuditLogEntry.Action.VIEW,
        target=turf,
        target_label=_("Secteur téléchargé : %(name)s (%(people)s personnes)")
        % {"name": turf.name, "people": sum(len(door.people) for door in doors)},
        ip_address=ip_address,
    )
    return {
        "id": turf.pk,
        "name": turf.name,
        "script": doorstep_script(user=user),
        "doors": [
            {
                "door": door.door,
                "address": " — ".join(part for part in (door.address, door.commune_name) if part),
                "where": door.where,
                "people": [
                    {
                        "id": person.person_id,
                        "name": person.display_name,
                        "detail": " · ".join(
                            part
                            for part in (
                                door.where,
                                str(person.birth_year) if person.birth_year else "",
                            )
                            if part
                        ),
                    }
                    for person in door.people
                ],
            }
            for door in doors
        ],
        "downloaded_at": timezone.now().isoformat(),
    }


def consent_wording() -> str:
    """What the volunteer reads out before taking an email or a phone number; stored with the
    consent, word for word, as the proof of what the person agreed to."""
    return _(
        "J’accepte que la campagne me contacte à ce numéro ou à cette adresse pour l’élection en "
        "cours. Je peux retirer mon accord à tout moment, sur simple demande ou par le lien de "
        "désinscription."
    )


@dataclass(frozen=True)
class VolunteerProgress:
    name: str
    counts: AttemptCounts
    by_result: list[int]


@dataclass(frozen=True)
class TurfProgress:
    turf: Any
    counts: AttemptCounts
    by_result: list[int]
    volunteers: list[VolunteerProgress]


@dataclass(frozen=True)
class Progress:
    total: AttemptCounts
    turfs: list[TurfProgress]
    results: list[tuple[str, str]]

    @property
    def columns(self) -> int:
        return 3 + len(self.results)


def progress_turfs(*, user: User) -> list[Turf]:
    """The turfs a team leader follows: those handed to them, to their teams, or to a member of
    one of their teams; staff follow every active turf."""
    active = Turf.objects.filter(status=Turf.Status.ACTIVE)
    if has_role(user, Role.STAFF):
        return list(active.order_by("name", "pk"))
    teams = list(user.teams.values_list("pk", flat=True))
    return list(
        active.filter(
            Q(assignments__user=user)
            | Q(assignments__team_id__in=teams)
            | Q(assignments__user__teams__in=teams)
        )
        .distinct()
        .order_by("name", "pk")
    )


def turf_progress(*, user: User) -> Progress:
    """The team leader's live figures: per turf and per volunteer, doors knocked, contacts
    made and results by code. Six queries whatever the number of turfs and volunteers."""
    return _progress(progress_turfs(user=user))


def _progress(turfs: list[Any]) -> Progress:
    # "Talked" is the contacts column already.
    results = [(value, label) for value, label in door_result_choices() if value != "talked"]
    per_turf, per_actor = attempt_counts_by_source(
        source_kind=SOURCE_KIND, source_ids=[turf.pk for turf in turfs], channel="door"
    )
    actor_ids = {actor_id for _turf, actor_id in per_actor if actor_id is not None}
    names = {
        user.pk: user.full_name or user.email
        for user in User.objects.filter(pk__in=actor_ids).only("pk", "full_name", "email")
    }
    total = AttemptCounts()
    rows = []
    for turf in turfs:
        counts = per_turf.get(turf.pk, AttemptCounts())
        total.doors += counts.doors
        total.contacts += counts.contacts
        total.attempts += counts.attempts
        volunteers = sorted(
            (
                VolunteerProgress(
                    name=names.get(actor_id, "") if actor_id else _("(compte supprimé)"),
                    counts=actor_counts,
                    by_result=[actor_counts.by_result.get(value, 0) for value, _l in results],
                )
                for (turf_id, actor_id), actor_counts in per_actor.items()
                if turf_id == turf.pk
            ),
            key=lambda row: (-row.counts.doors, row.name),
        )
        rows.append(
            TurfProgress(
                turf=turf,
                counts=counts,
                by_result=[counts.by_result.get(value, 0) for value, _l in results],
                volunteers=volunteers,
            )
        )
    return Progress(total=total, turfs=rows, results=results)


@dataclass(frozen=True)
class TurfPersuasion:
    turf: Turf
    figures: Figures
    # (from, to, count) for every transition seen in the turf, most frequent first.
    transitions: list[tuple[str, str, int]]


def turf_persuasion(*, user: User) -> list[TurfPersuasion]:
    """Per turf, how support moved in the conversations held there (the people selectors'
    persuasion figures grouped by source "turf"): transitions, undecided won, conversations
    with undecided people, flips and contacts per flip. Staff only (support in bulk)."""
    history, _boundaries = support_history(user=user)
    ids = [pk for kind, pk in history.by_source if kind == SOURCE_KIND and pk is not None]
    turfs = {turf.pk: turf for turf in Turf.objects.filter(pk__in=ids)}
    labels = dict(support_level_choices())
    rows = []
    for (kind, pk), figures in history.by_source.items():
        if kind != SOURCE_KIND or pk not in turfs:
            continue
        transitions = sorted(
            (
                (labels[before], labels[after], n)
                for (before, after), n in figures.transitions.items()
            ),
            key=lambda row: (-row[2], row[0], row[1]),
        )
        rows.append(TurfPersuasion(turf=turfs[pk], figures=figures, transitions=transitions))
    rows.sort(key=lambda row: (-row.figures.undecided_won, row.turf.name, row.turf.pk))
    return rows
