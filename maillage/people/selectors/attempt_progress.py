"""How far field work has got, counted from the contact-attempt ledger by the source that made
the attempts (`source_kind`/`source_id`: a turf, a call campaign), so a feature app reads its
progress without touching people's models.

Only counts of attempts and of their result codes: never a support level, so a team leader may
see them (support in bulk is for staff: `support_visible_to`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import CharField, Count, F, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from maillage.people.models import Interaction, SupportLevel

TALKED = Interaction.Result.TALKED.value


@dataclass
class AttemptCounts:
    """One source (or one volunteer within a source): doors knocked, contacts made, results."""

    doors: int = 0
    attempts: int = 0
    contacts: int = 0
    by_result: dict[str, int] = field(default_factory=dict)


def _door_key() -> Coalesce:
    # A door is a household; a person with no household key is a door of their own.
    return Coalesce(
        NullIf(F("person__household_key"), Value("")),
        Cast(F("person_id"), output_field=CharField()),
        output_field=CharField(),
    )


def attempt_counts_by_source(
    *,
    source_kind: str,
    source_ids: Collection[int],
    channel: str,
    since: datetime | None = None,
) -> tuple[dict[int, AttemptCounts], dict[tuple[int, int | None], AttemptCounts]]:
    """Counts per source and per (source, actor) for the given sources. Three grouped queries,
    whatever the number of sources, volunteers or results."""
    attempts = Interaction.objects.filter(
        source_kind=source_kind, source_id__in=list(source_ids), channel=channel
    ).order_by()
    if since is not None:
        attempts = attempts.filter(occurred_at__gte=since)
    per_source: dict[int, AttemptCounts] = {pk: AttemptCounts() for pk in source_ids}
    per_actor: dict[tuple[int, int | None], AttemptCounts] = {}
    for source_id, actor_id, result, n in attempts.values_list(
        "source_id", "actor_id", "result"
    ).annotate(n=Count("pk")):
        for counts in (
            per_source.setdefault(source_id, AttemptCounts()),
            per_actor.setdefault((source_id, actor_id), AttemptCounts()),
        ):
            counts.attempts += n
            counts.by_result[result] = counts.by_result.get(result, 0) + n
            if result == TALKED:
                counts.contacts += n
    for source_id, doors in attempts.values_list("source_id").annotate(
        doors=Count(_door_key(), distinct=True)
    ):
        per_source.setdefault(source_id, AttemptCounts()).doors = doors
    for source_id, actor_id, doors in attempts.values_list("source_id", "actor_id").annotate(
        doors=Count(_door_key(), distinct=True)
    ):
        per_actor.setdefault((source_id, actor_id), AttemptCounts()).doors = doors
    return per_source, per_actor


def result_choices(values: Collection[str]) -> list[tuple[str, str]]:
    """(value, translated label) of the given result codes, in the order given: the forms of a
    feature app show the ledger's own labels."""
    labels = dict(Interaction.Result.choices)
    return [(value, str(labels.get(value, value))) for value in values]


def support_level_choices() -> list[tuple[int, str]]:
    return [(value, str(label)) for value, label in SupportLevel.choices]
