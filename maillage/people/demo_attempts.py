"""Demo contact attempts: eight weeks of door-to-door on polling stations 1-3 by the demo
campaign's volunteer and team leader, with revisits of the undecided (some of whom come round),
a few questions for staff, so the persuasion dashboard and the questions inbox show something.

Written in sets (one bulk insert, then the people's latest values in one bulk update); stable
client UUIDs make a second run insert nothing."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from maillage.accounts.models import User
from maillage.people.models import Interaction, Person

SEED = 2027
WEEKS = 8
DOOR_MINUTES = 5  # one door every five minutes: twelve an hour
QUESTIONS = [
    "Où se trouve mon bureau de vote ?",
    "Quelle est votre position sur la ligne de bus 12 ?",
    "Comment faire une procuration ?",
    "Est-ce que la candidate vient au marché samedi ?",
    "Que proposez-vous pour la maison de santé ?",
]


def _first_result(rng: random.Random) -> tuple[str, int | None]:
    roll = rng.random()
    if roll < 0.35:
        return "not_home", None
    if roll < 0.40:
        return "refused", None
    return "talked", rng.choices([1, 2, 3, 4, 5], weights=[15, 15, 40, 15, 15])[0]


def _revisit(rng: random.Random, level: int | None) -> tuple[str, int | None]:
    if level is None:  # not reached the first time: knock again
        return _first_result(rng)
    if rng.random() < 0.15:
        return "not_home", None
    if level == 3:
        return "talked", rng.choices([1, 2, 3, 4], weights=[10, 25, 55, 10])[0]
    if level == 4:
        return "talked", rng.choices([3, 4, 5], weights=[30, 55, 15])[0]
    return "talked", level


def _session_start(now: datetime, week: int, rng: random.Random) -> datetime:
    """A Saturday morning or a Wednesday evening, `week` weeks ago (local time)."""
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday(), weeks=week)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if rng.random() < 0.6:
        return monday + timedelta(days=5, hours=10)
    return monday + timedelta(days=2, hours=18)


def load_attempts(
    *, stdout: Any, commune: str, small: bool, volunteer: User | None, leader: User | None
) -> None:
    """`volunteer` and `leader` are the demo campaign's (accounts' demo, read by people.demo)."""
    if volunteer is None or leader is None:
        return
    marker = uuid.uuid5(uuid.NAMESPACE_URL, "maillage-demo:attempt:0")
    if Interaction.objects.filter(client_uuid=marker).exists():
        stdout.write("people: demo door-to-door already there")
        return
    rng = random.Random(SEED)
    per_station = 25 if small else 70
    people: list[int] = []
    for station in (1, 2, 3):
        people += list(
            Person.objects.filter(polling_station_code=f"{commune}_{station:04d}", is_voter=True)
            .order_by("-roll_number")
            .values_list("id", flat=True)[:per_station]
        )
    now = timezone.now().replace(microsecond=0)
    # Visits per week: each person is first knocked in an early week, then revisited while
    # undecided, leaning against or not reached (the follow-up rules), a week or two later.
    levels: dict[int, int | None] = {}
    by_week: dict[int, list[tuple[int, str, int | None]]] = {w: [] for w in range(WEEKS)}
    for person_id in people:
        week = rng.randrange(WEEKS - 1, 3, -1)
        result, level = _first_result(rng)
        by_week[week].append((person_id, result, level))
        levels[person_id] = level
        while week > 1 and (levels[person_id] in (None, 3, 4)) and rng.random() < 0.8:
            week = max(1, week - rng.choice([1, 2]))
            result, level = _revisit(rng, levels[person_id])
            by_week[week].append((person_id, result, level))
            levels[person_id] = level if level is not None else levels[person_id]
    rows: list[Interaction] = []
    asked = 0
    for week, visits in by_week.items():
        # Two sessions a week, one per canvasser, each walking their half of the week's doors.
        for actor, half in ((volunteer, visits[0::2]), (leader, visits[1::2])):
            start = _session_start(now, week, rng)
            for index, (person_id, result, level) in enumerate(half):
                question = ""
                if result == "talked" and asked < len(QUESTIONS) and rng.random() < 0.05:
                    question, asked = QUESTIONS[asked], asked + 1
                rows.append(
                    Interaction(
                        client_uuid=uuid.uuid5(
                            uuid.NAMESPACE_URL, f"maillage-demo:attempt:{len(rows)}"
                        ),
                        person_id=person_id,
                        channel="door",
                        result=result,
                        support_level=level,
                        occurred_at=min(now, start + timedelta(minutes=DOOR_MINUTES * index)),
                        actor=actor,
                        question=question,
                        question_status="open" if question else "",
                    )
                )
    Interaction.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    _refresh_latest(people)
    stdout.write(f"people: {len(rows)} demo door knocks over {WEEKS} weeks, {asked} questions")


def _refresh_latest(person_ids: list[int]) -> None:
    """Each person's latest contact and latest level from their whole history (one read,
    one bulk update), as the interaction service keeps them."""
    latest: dict[int, tuple[datetime, str]] = {}
    support: dict[int, tuple[datetime, int]] = {}
    history = (
        Interaction.objects.filter(person_id__in=person_ids)
        .order_by("occurred_at", "id")
        .values_list("person_id", "occurred_at", "channel", "support_level")
    )
    for person_id, at, channel, level in history:
        latest[person_id] = (at, channel)
        if level is not None:
            support[person_id] = (at, level)
    people = list(Person.objects.filter(pk__in=person_ids))
    for person in people:
        person.last_interaction_at, person.last_interaction_channel = latest[person.pk]
        if person.pk in support:
            person.support_updated_at, person.current_support = support[person.pk]
    Person.objects.bulk_update(
        people,
        [
            "last_interaction_at",
            "last_interaction_channel",
            "support_updated_at",
            "current_support",
        ],
        batch_size=500,
    )
