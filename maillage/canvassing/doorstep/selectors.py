"""Reads of the doorstep app: the volunteer's turfs, the turf they download (walk list and
script), and the team leader's live progress per turf and per volunteer.

Turfs, their assignments and walk lists come from the turfs' own selectors
(`maillage.canvassing.selectors`); people are read only through them and `people_visible_to`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.models import AuditLogEntry
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
from maillage.surveys.selectors import script_as_dict, script_for_caller

SOURCE_KIND = "turf"


def door_result_choices() -> list[tuple[str, str]]:
    return result_choices(DOOR_RESULTS)


def support_level_choices() -> list[tuple[int, str]]:
    return _support_level_choices()


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


def _progress(turfs: list[Any]) -> Progress:
    results = door_result_choices()
    per_turf, per_actor = attempt_counts_by_source(
        source_kind=SOURCE_KIND, source_ids=[turf.pk for turf in turfs], channel="door"
    )
    actor_ids = {actor_id for _turf, actor_id in per_actor if actor_id is not None}
    names = {
        user.pk: user.short_name
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
