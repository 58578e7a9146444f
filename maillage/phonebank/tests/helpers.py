"""Builders for the phone-bank tests: people one may call, a campaign over them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from maillage.people.models import Person, PhoneNumber, Segment
from maillage.people.tests.helpers import make_person
from maillage.phonebank.models import CallCampaign

PARIS = ZoneInfo("Europe/Paris")


def _next_tuesday_at_eleven() -> datetime:
    """11:00 in Paris on the next Tuesday (inside the default calling hours), always after now,
    so queues built "now" are already due then."""
    today = datetime.now(PARIS).date()
    days = (1 - today.weekday()) % 7 or 7
    return datetime.combine(today + timedelta(days=days), time(11, 0), tzinfo=PARIS)


IN_HOURS = _next_tuesday_at_eleven()
_numbers = iter(range(10_000, 99_999))


def make_callable(count: int = 1, **fields: Any) -> list[Person]:
    """People with a usable mobile and phone consent."""
    people = []
    for _ in range(count):
        person = make_person(consent_phone=True, **fields)
        PhoneNumber.objects.create(
            person=person, number=f"+3361{next(_numbers):07d}", is_primary=True
        )
        people.append(person)
    return people


def make_campaign(*, actor: Any, callers: list[Any] = (), **fields: Any) -> CallCampaign:  # type: ignore[assignment]
    segment = Segment.objects.create(
        name=f"Tout le monde {next(_numbers)}",
        definition={"op": "and", "filters": []},
        created_by=actor,
    )
    values: dict[str, Any] = {"name": "Appels du soir", "segment": segment, "created_by": actor}
    values.update(fields)
    campaign = CallCampaign.objects.create(**values)
    campaign.callers.set(callers)
    return campaign
