"""Demo turfs: one per polling station of Vallon-sur-Mer, cut by the campaign staff, two of
them handed to two volunteers and one to the team (idempotent: a second run finds them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.accounts.demo import COMMUNE as DEMO_COMMUNE
from maillage.accounts.demo import DEMO_PASSWORD, TEAM_NAME, VOLUNTEER_EMAIL
from maillage.accounts.models import Team, User, Zone
from maillage.canvassing.models import Turf, TurfAssignment
from maillage.canvassing.services import TurfError, turf_assign, turf_create_from_stations
from maillage.core.roles import Role

COMMUNE = DEMO_COMMUNE[1]
STATIONS = 5
STAFF_EMAIL = "staff@demo.maillage.fr"
SECOND_VOLUNTEER = ("benevole2@demo.maillage.fr", "Valentine Bénévole")


def turf_name(station: int) -> str:
    return f"Démo — bureau {station}"


def _second_volunteer() -> User:
    email, name = SECOND_VOLUNTEER
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, full_name=name, role=Role.VOLUNTEER
        )
        user.teams.set(Team.objects.filter(name=TEAM_NAME))
        user.zones.set(Zone.objects.filter(code=COMMUNE))
    return user


@transaction.atomic
def load_demo(*, stdout: Any, small: bool = False) -> None:
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:  # the accounts demo did not run
        return
    turfs: dict[int, Turf] = {}
    for station in range(1, STATIONS + 1):
        existing = Turf.objects.filter(name=turf_name(station)).first()
        if existing is not None:
            turfs[station] = existing
            continue
        try:
            turfs[station] = turf_create_from_stations(
                actor=staff,
                name=turf_name(station),
                station_codes=[f"{COMMUNE}_{station:04d}"],
                description="Tous les électeurs du bureau, rue par rue.",
            )
        except TurfError:  # the people demo did not run: no voters to cut turfs from
            return
    volunteer = User.objects.get(email=VOLUNTEER_EMAIL)
    second = _second_volunteer()
    today = timezone.localdate()
    plan: list[tuple[Turf, dict[str, Any]]] = [
        (turfs[1], {"users": [volunteer]}),
        (turfs[2], {"users": [second]}),
        (turfs[3], {"teams": list(Team.objects.filter(name=TEAM_NAME))}),
    ]
    for turf, assignees in plan:
        if not TurfAssignment.objects.filter(turf=turf).exists():
            turf_assign(
                actor=staff,
                turf=turf,
                starts_on=today - timedelta(days=7),
                ends_on=today + timedelta(days=30),
                **assignees,
            )
    stdout.write(
        f"canvassing: {len(turfs)} turfs over the polling stations of {COMMUNE}, "
        f"bureau 1 to {volunteer.email}, bureau 2 to {second.email}, bureau 3 to the team"
    )
