"""Demo people: a fictional commune, Vallon-sur-Mer, its roll, contacts, lists and segments.

The commune is fictional, its place is real: INSEE code `13999` (Bouches-du-Rhône communes are
numbered 13001–13119, Marseille's districts 13201–13216, so no real commune collides), in the
department's 11th constituency (`1311`), a close race in 2024 (271 votes), so the targeting
page's campaign columns count these people against real results. Polling stations
`13999_0001` … `13999_0005`. Every voter is generated (seeded, no real person). The roll goes
in through the real REU import; the rest is written in sets. A dozen online sign-ups live
elsewhere in France, outside the organiser's department. Idempotent: the second run imports an
unchanged roll and finds everything else already there.
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

from maillage.accounts.demo import COMMUNE as DEMO_COMMUNE
from maillage.accounts.demo import CONSTITUENCY as DEMO_CONSTITUENCY
from maillage.accounts.demo import TEAM_LEADER_EMAIL, TEAM_NAME, VOLUNTEER_EMAIL
from maillage.accounts.models import Team, User
from maillage.people.demo_attempts import load_attempts
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
from maillage.people.services.interactions import interaction_record
from maillage.people.services.persons import person_keys_refresh

COMMUNE = DEMO_COMMUNE[1]
COMMUNE_NAME = "VALLON-SUR-MER"
CONSTITUENCY = DEMO_CONSTITUENCY[1]  # department + number: 13 + 11
STATIONS = 5
SOURCE = "Démo REU Vallon-sur-Mer"
CONTACT_SOURCE = "Démo contacts"
SEED = 2026
LIST_NAME = "Démo — porte-à-porte bureau 1"  # the team's: its members, the volunteer included
LEADER_LIST_NAME = "Démo — porte-à-porte bureau 2 (à répartir)"  # the team leader's own
ONLINE_SOURCE = "Démo inscriptions en ligne"
# Sign-ups from elsewhere: (first names, birth name, commune, commune code, department, constituency)
ONLINE_SIGNUPS = [
    ("Margaux", "ROUSSEL", "Lyon", "69123", "69", "6901"),
    ("Karim", "BENALI", "Lyon", "69123", "69", "6903"),
    ("Élise", "FOURNIER", "Paris", "75056", "75", "7507"),
    ("Julien", "MOREL", "Paris", "75056", "75", "7512"),
    ("Nadia", "CHÉRIF", "Privas", "07186", "07", "0703"),
    ("Paul", "GIRAUD", "Aubenas", "07019", "07", "0703"),
    ("Inès", "LAMBERT", "Dijon", "21231", "21", "2101"),
    ("Hugo", "PERRIN", "Nantes", "44109", "44", "4401"),
    ("Léa", "GAUTHIER", "Lille", "59350", "59", "5901"),
    ("Thomas", "ROBIN", "Toulouse", "31555", "31", "3101"),
    ("Camille", "MARCHAND", "Rennes", "35238", "35", "3501"),
    ("Yanis", "BRUNET", "Bordeaux", "33063", "33", "3301"),
]
# Door knocks the volunteer logged on the team's list since it was handed out (the team page's
# progress): how many, and what came of them (no opinion recorded on an absent voter).
RECENT_KNOCKS = 24
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
    path = folder / f"reu-{COMMUNE}-{CONSTITUENCY}-{voters}.csv"
    if not path.exists():
        write_roll(
            path,
            rows=voters,
            seed=SEED,
            commune=COMMUNE,
            commune_name=COMMUNE_NAME,
            postcode="13990",
            stations=STATIONS,
            constituency=CONSTITUENCY[2:],  # the roll gives the number, the department is 13
        )
    summary = import_file(path=path, preset="reu", source=SOURCE)
    stdout.write(
        f"people: roll of {COMMUNE_NAME} — {summary.created} created, {summary.unchanged} unchanged"
    )
    with transaction.atomic():
        contacts = _contacts(small=small)
        online = _online_signups()
        _lists_and_segments()
        _recent_knocks()
        load_attempts(
            stdout=stdout,
            commune=COMMUNE,
            small=small,
            volunteer=User.objects.filter(email=VOLUNTEER_EMAIL).first(),
            leader=User.objects.filter(email=TEAM_LEADER_EMAIL).first(),
        )
    stdout.write(
        f"people: {contacts} demo contacts, {online} online sign-ups elsewhere, "
        f"lists « {LIST_NAME} » and « {LEADER_LIST_NAME} », {len(SEGMENTS)} segments"
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
    volunteer = User.objects.filter(email=VOLUNTEER_EMAIL).first()
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


def _online_signups() -> int:
    """People who joined online from elsewhere: on no roll, outside the organiser's department,
    so staff see them and the organiser does not."""
    if EmailAddress.objects.filter(source=ONLINE_SOURCE).exists():
        return EmailAddress.objects.filter(source=ONLINE_SOURCE).count()
    now = timezone.now().replace(microsecond=0)
    people = []
    for first, last, commune, code, department, constituency in ONLINE_SIGNUPS:
        person = Person(
            first_names=first,
            birth_name=last,
            commune_name=commune,
            commune_code=code,
            department_code=department,
            constituency_code=constituency,
            is_voter=False,
            is_contact=True,
            is_sympathiser=True,
            consent_email=True,
        )
        person_keys_refresh(person)
        people.append(person)
    Person.objects.bulk_create(people)
    created = list(
        Person.objects.filter(
            birth_name__in=[row[1] for row in ONLINE_SIGNUPS], is_voter=False, is_contact=True
        ).exclude(commune_code=COMMUNE)
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(
                person=person,
                address=f"inscription{person.pk}@demo.maillage.fr",
                is_primary=True,
                source=ONLINE_SOURCE,
            )
            for person in created
        ],
        ignore_conflicts=True,
    )
    Consent.objects.bulk_create(
        [
            Consent(
                person=person,
                channel="email",
                granted=True,
                legal_basis="consent",
                source=ONLINE_SOURCE,
                recorded_at=now,
            )
            for person in created
        ]
    )
    return len(created)


def _station_voters(station: int, count: int) -> list[int]:
    return list(
        Person.objects.filter(polling_station_code=f"{COMMUNE}_{station:04d}", is_voter=True)
        .order_by("roll_number")
        .values_list("id", flat=True)[:count]
    )


def _lists_and_segments() -> None:
    """The team's walk list (every member sees it, the volunteer included) and a list the team
    leader holds before handing it out; assignments are set, so older demos are put right."""
    team = Team.objects.filter(name=TEAM_NAME).first()
    leader = User.objects.filter(email=TEAM_LEADER_EMAIL).first()
    walk_list, _created = PersonList.objects.get_or_create(name=LIST_NAME)
    walk_list.members.add(*_station_voters(1, 150))
    walk_list.assigned_users.clear()
    walk_list.assigned_teams.set([team] if team else [])
    leader_list, _created = PersonList.objects.get_or_create(name=LEADER_LIST_NAME)
    leader_list.members.add(*_station_voters(2, 100))
    leader_list.assigned_teams.clear()
    leader_list.assigned_users.set([leader] if leader else [])
    for name, definition in SEGMENTS.items():
        Segment.objects.get_or_create(
            name=name,
            defaults={"definition": definition, "description": "Segment de démonstration."},
        )


def _recent_knocks() -> None:
    """The volunteer's door knocks on the team's list since it was handed out, recorded through
    the interaction service (so each person's current support and last contact follow); stable
    client UUIDs make a second run record nothing."""
    volunteer = User.objects.filter(email=VOLUNTEER_EMAIL).first()
    walk_list = PersonList.objects.filter(name=LIST_NAME).first()
    if volunteer is None or walk_list is None:
        return
    rng = random.Random(SEED + 1)
    people = list(walk_list.members.order_by("roll_number")[:RECENT_KNOCKS])
    now = timezone.now().replace(microsecond=0)
    for index, person in enumerate(people):
        talked = index % 3 != 0
        interaction_record(
            actor=volunteer,
            person=person,
            channel="door",
            result="talked" if talked else "not_home",
            support_level=rng.choice([1, 2, 3, 3, 4]) if talked else None,
            occurred_at=max(now, walk_list.created_at),
            client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"maillage-demo:knock:{person.pk}"),
        )
