"""Builders for the messaging tests: people with an email and consent, a segment of them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from maillage.people.models import Consent, EmailAddress, Person, Segment
from maillage.people.tests.helpers import make_person

ALL_OF_MARSEILLE = {"op": "and", "filters": [{"field": "commune", "values": ["13055"]}]}


def reachable_person(
    address: str, *, consent: bool | None = True, status: str = "unverified", **fields: Any
) -> Person:
    person = make_person(**fields)
    if address:
        EmailAddress.objects.create(person=person, address=address, status=status, is_primary=True)
    if consent is not None:
        Consent.objects.create(
            person=person, channel="email", granted=consent, recorded_at=timezone.now()
        )
        person.consent_email = consent
        person.save(update_fields=["consent_email"])
    return person


def segment(name: str = "Marseille", definition: dict[str, Any] | None = None) -> Segment:
    return Segment.objects.create(name=name, definition=definition or ALL_OF_MARSEILLE)
