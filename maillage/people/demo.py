"""Demo people: a fictional commune, Vallon-sur-Mer, its roll, contacts, a list and segments.

Codes that no real election data can collide with: INSEE commune `13999` (Bouches-du-Rhône
communes are numbered 13001–13119, Marseille's districts 13201–13216), constituency `1399` (the
department has 16),
polling stations `13999_0001` … `13999_0005`. Every voter is generated (seeded, no real person).
The roll goes in through the real REU import; the rest is written in sets. Idempotent: the
second run imports an unchanged roll and finds everything else already there.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from maillage.accounts.models import Team, User
from maillage.people.imports.generator import write_roll
from maillage.people.models import (
    Consent,
    EmailAddress,
    Interaction,
    Person,
    PersonList,
    PersonTag,
    PhoneNumber,
    Segment,
    Tag,
)
from maillage.people.services.imports import import_file

COMMUNE = "13999"
COMMUNE_NAME = "VALLON-SUR-MER"
STATIONS = 5
SOURCE = "Démo REU Vallon-sur-Mer"
CONTACT_SOURCE = "Démo contacts"
SEED = 2026
LIST_NAME = "Démo — porte-à-porte bureau 1"
SEGMENTS = {
    "Seniors du bureau 3": {
        "op": "and",
        "filters": [
            {"field": "age", "min": 65, "max": None},
            {"field": "polling_station", "values": [f"{COMMUNE}_0003"]},
        ],
    },
    "Infirmières": {"op": "and", "filters": [{"field": "tag", "values": ["infirmiere"]}]},
    "Indécis avec téléphone": {
        "op": "and",
        "filters": [
            {"field": "support", "values": [3]},
            {"field": "reachable", "channel": "phone"},
        ],
    },
}


def load_demo(*, stdout: Any, small: bool = False) -> None:
    voters = 500 if small else 20_000
    folder = Path(settings.MAILLAGE_UPLOAD_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reu-{COMMUNE}-{voters}.csv"
    if not path.exists():
        write_roll(
            path,
            rows=voters,
            seed=SEED,
            commune=COMMUNE,
            commune_name=COMMUNE_NAME,
            postcode="13990",
            stations=STATIONS,
        )
    summary = import_file(path=path, preset="reu", source=SOURCE)
    stdout.write(
        f"people: roll of {COMMUNE_NAME} — {summary.created} created, {summary.unchanged} unchanged"
    )
    with transaction.atomic():
        contacts = _contacts(small=small)
        _list_and_segments()
    stdout.write(
        f"people: {contacts} demo contacts, list « {LIST_NAME} », {len(SEGMENTS)} segments"
    )


def _contacts(*, small: bool) -> int:
    """A few hundred voters met by the campaign: email/phone with consent, interactions, tags."""
    if EmailAddress.objects.filter(source=CONTACT_SOURCE).exists():
        return EmailAddress.objects.filter(source=CONTACT_SOURCE).count()
    rng = random.Random(SEED)
    voters = list(
        Person.objects.filter(roll_commune_code=COMMUNE, is_voter=True)
        .order_by("roll_station_code", "roll_number")
        .values_list("id", flat=True)
    )
    chosen = sorted(rng.sample(voters, min(len(voters), 60 if small else 400)))
    now = timezone.now().replace(microsecond=0)
    emails, phones, consents, interactions = [], [], [], []
    volunteer = User.objects.filter(email="benevole@demo.maillage.fr").first()
    for index, person_id in enumerate(chosen):
        if index % 3 != 2:
            emails.append(
                EmailAddress(
                    person_id=person_id,
                    address=f"contact{person_id}@demo.maillage.fr",
                    is_primary=True,
                    source=CONTACT_SOURCE,
                )
            )
            consents.append(
                Consent(
                    person_id=person_id,
                    channel="email",
                    granted=index % 5 != 0,
                    legal_basis="consent",
                    source=CONTACT_SOURCE,
                    recorded_at=now,
                )
            )
        if index % 2 == 0:
            phones.append(
                PhoneNumber(
                    person_id=person_id,
                    number=f"+3361{person_id % 10_000_000:07d}",
                    kind="mobile",
                    is_primary=True,
                    source=CONTACT_SOURCE,
                )
            )
            for channel in ("phone", "sms"):
                consents.append(
                    Consent(
                        person_id=person_id,
                        channel=channel,
                        granted=index % 7 != 0,
                        legal_basis="consent",
                        source=CONTACT_SOURCE,
                        recorded_at=now,
                    )
                )
        # One to three interactions, older ones first: some undecided voters later lean for.
        first_level = rng.choice([1, 2, 3, 3, 4, 5])
        moves = rng.randrange(1, 4)
        for step in range(moves):
            level = first_level if step == 0 else max(1, first_level - step)
            interactions.append(
                Interaction(
                    client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"maillage-demo:{person_id}:{step}"),
                    person_id=person_id,
                    channel=rng.choice(["door", "door", "phone", "event"]),
                    result="talked",
                    support_level=level,
                    occurred_at=now - timedelta(days=90 - step * 30 + rng.randrange(0, 20)),
                    actor=volunteer,
                )
            )
    EmailAddress.objects.bulk_create(emails, ignore_conflicts=True)
    PhoneNumber.objects.bulk_create(phones, ignore_conflicts=True)
    Consent.objects.bulk_create(consents)
    Interaction.objects.bulk_create(interactions, ignore_conflicts=True)

    # Keep the denormalised columns consistent with the history rows just written.
    latest: dict[int, Interaction] = {}
    for interaction in interactions:
        if (
            interaction.person_id not in latest
            or interaction.occurred_at > latest[interaction.person_id].occurred_at
        ):
            latest[interaction.person_id] = interaction
    consent_in_force: dict[tuple[int, str], bool] = {
        (c.person_id, c.channel): c.granted for c in consents
    }
    people = list(Person.objects.filter(pk__in=chosen))
    for person in people:
        last = latest[person.pk]
        person.current_support = last.support_level
        person.support_updated_at = last.occurred_at
        person.last_interaction_at = last.occurred_at
        person.last_interaction_channel = last.channel
        person.consent_email = consent_in_force.get((person.pk, "email"))
        person.consent_phone = consent_in_force.get((person.pk, "phone"))
        person.consent_sms = consent_in_force.get((person.pk, "sms"))
        person.is_contact = True
        person.is_sympathiser = last.support_level in (1, 2)
    fields = [
        "current_support",
        "support_updated_at",
        "last_interaction_at",
        "last_interaction_channel",
        "consent_email",
        "consent_phone",
        "consent_sms",
        "is_contact",
        "is_sympathiser",
    ]
    Person.objects.bulk_update(people, fields, batch_size=500)

    nurse, _created = Tag.objects.get_or_create(
        slug="infirmiere", defaults={"name": "Infirmière", "kind": Tag.Kind.PROFESSION}
    )
    PersonTag.objects.bulk_create(
        [PersonTag(person_id=person_id, tag=nurse) for person_id in chosen[::9]],
        ignore_conflicts=True,
    )
    return len(emails)


def _list_and_segments() -> None:
    walk_list, _created = PersonList.objects.get_or_create(name=LIST_NAME)
    members = (
        Person.objects.filter(polling_station_code=f"{COMMUNE}_0001", is_voter=True)
        .order_by("roll_number")
        .values_list("id", flat=True)[:150]
    )
    walk_list.members.add(*members)
    volunteer = User.objects.filter(email="benevole@demo.maillage.fr").first()
    if volunteer is not None:
        walk_list.assigned_users.add(volunteer)
    team = Team.objects.filter(name="Équipe Marseille centre").first()
    if team is not None:
        walk_list.assigned_teams.add(team)
    for name, definition in SEGMENTS.items():
        Segment.objects.get_or_create(
            name=name,
            defaults={"definition": definition, "description": "Segment de démonstration."},
        )
