"""Builders for the doorstep tests: a turf cut over given people, assigned to volunteers."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from maillage.canvassing.models import Turf, TurfAssignment, TurfMember
from maillage.people.models import Person

_numbers = itertools.count(1)


def make_turf(
    people: list[Person],
    *,
    users: list[Any] = (),
    teams: list[Any] = (),
    name: str = "",  # type: ignore[assignment]
) -> Turf:
    """A turf over `people` in the given order; people sharing a household key share a door."""
    turf = Turf.objects.create(
        name=name or f"Secteur {next(_numbers)}",
        kind=Turf.Kind.STATION,
        member_count=len(people),
    )
    doors: dict[str, int] = {}
    for position, person in enumerate(people, 1):
        key = person.household_key or f"p{person.pk}"
        door = doors.setdefault(key, len(doors) + 1)
        TurfMember.objects.create(turf=turf, person=person, position=position, door=door)
    turf.door_count = len(doors)
    turf.save(update_fields=["door_count"])
    today = date.today()
    for user in users:
        TurfAssignment.objects.create(turf=turf, user=user, starts_on=today - timedelta(days=1))
    for team in teams:
        TurfAssignment.objects.create(turf=turf, team=team, starts_on=today - timedelta(days=1))
    return turf


def door_result(person: Person, turf: Turf, **fields: Any) -> dict[str, Any]:
    """One result as the doorstep app's outbox posts it."""
    item: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "person": person.pk,
        "turf": turf.pk,
        "result": "talked",
        "support_level": None,
        "answers": {},
        "note": "",
        "question": "",
        "new_email": "",
        "email_consent": None,
        "new_phone": "",
        "phone_consent": None,
        "consent_wording": "",
        "occurred_at": timezone.now().isoformat(),
    }
    item.update(fields)
    return item
