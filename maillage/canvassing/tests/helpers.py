"""Builders for the canvassing tests: people at addresses, and turfs over them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from maillage.canvassing.models import Turf, TurfAssignment, TurfMember
from maillage.people.models import Person
from maillage.people.tests.helpers import make_person


def resident(number: str, street: str, complement: str = "", **fields: Any) -> Person:
    """A person of the demo commune at an address (keys computed as the people app does)."""
    defaults: dict[str, Any] = {
        "commune_code": "13999",
        "postcode": "13999",
        "commune_name": "VALLON-SUR-MER",
        "polling_station_code": "13999_0001",
    }
    defaults.update(fields)
    return make_person(
        address_number=number, address_street=street, address_complement=complement, **defaults
    )


def hand_turf(people: list[Person], *, users: list[Any] = (), team: Any = None) -> Turf:  # type: ignore[assignment]
    """A turf of exactly these people (in the given order, one door each) handed out today,
    without cutting it from addresses: for scope tests that need a turf, not an order."""
    turf = Turf.objects.create(
        name=f"Secteur {len(people)}",
        kind=Turf.Kind.SEGMENT,
        member_count=len(people),
        door_count=len(people),
    )
    TurfMember.objects.bulk_create(
        TurfMember(turf=turf, person=p, position=n, door=n) for n, p in enumerate(people, 1)
    )
    today = timezone.localdate()
    for user in users:
        TurfAssignment.objects.create(turf=turf, user=user, starts_on=today)
    if team is not None:
        TurfAssignment.objects.create(turf=turf, team=team, starts_on=today)
    return turf
