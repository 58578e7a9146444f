"""Reads of turfs: which turfs a user may see, one turf permission-checked, its walk list
(doors in walking order, each with its household), its assignments.

A volunteer or team leader sees the turfs handed to them or to one of their teams, while the
assignment runs; an organiser also the turfs they cut; staff every turf. The people of a turf
reach a volunteer through the assignment source (`assignment_sources.py`), so the people pages
and `access_person` open exactly these people and no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import Team, User
from maillage.canvassing.models import Turf, TurfAssignment, TurfMember
from maillage.core.errors import NotFound
from maillage.core.roles import Role, has_role, role_of

# Who may receive a turf: those whose scope it changes (staff already see everyone).
ASSIGNABLE_ROLES = (Role.VOLUNTEER, Role.TEAM_LEADER, Role.ORGANISER)


def running_q(today: date, prefix: str = "") -> Q:
    """Assignments running on `today` (both ends included), optionally through a relation."""
    return Q(**{f"{prefix}starts_on__lte": today}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": today})
    )


def assigned_turf_ids(*, user: User, today: date | None = None) -> QuerySet[Any]:
    """Ids of the active turfs handed to the user or to one of the user's teams, today.

    Starts from the assignment rows (indexed by user, and by team through the membership
    table); one IN over a UNION so SQLite searches both indexes rather than scanning. Used in
    an IN only: UNION ALL, the IN keeps each turf once."""
    today = today or timezone.localdate()
    running = running_q(today) & Q(turf__status=Turf.Status.ACTIVE)
    by_user = TurfAssignment.objects.filter(running, user_id=user.pk).order_by().values("turf_id")
    by_team = (
        TurfAssignment.objects.filter(running, team__members=user.pk).order_by().values("turf_id")
    )
    return by_user.union(by_team, all=True)


def can_manage_turfs(*, user: User) -> bool:
    """Organisers cut and hand out turfs on their ground; staff everywhere."""
    return has_role(user, Role.ORGANISER)


def turf_list_for(*, user: User) -> QuerySet[Turf]:
    """The turfs this user may open, newest first."""
    level = role_of(user)
    if level >= Role.STAFF:
        turfs = Turf.objects.all()
    elif level < Role.VOLUNTEER:
        return Turf.objects.none()
    else:
        mine = Q(pk__in=assigned_turf_ids(user=user))
        if level >= Role.ORGANISER:
            mine |= Q(created_by_id=user.pk)
        turfs = Turf.objects.filter(mine)
    return turfs.order_by("-created_at", "-pk")


def access_turf(*, user: User, turf_id: int | str) -> Turf:
    """One turf this user may open; NotFound otherwise (whether it exists or not)."""
    try:
        pk = int(turf_id)
    except (TypeError, ValueError):
        raise NotFound(_("Ce secteur n'existe pas ou ne vous est pas accessible.")) from None
    turf = turf_list_for(user=user).filter(pk=pk).first()
    if turf is None:
        raise NotFound(_("Ce secteur n'existe pas ou ne vous est pas accessible."))
    return turf


def access_managed_turf(*, user: User, turf_id: int | str) -> Turf:
    """A turf this user may change (assign, archive): staff any, an organiser their own."""
    turf = access_turf(user=user, turf_id=turf_id)
    if not turf_manageable(user=user, turf=turf):
        raise NotFound(_("Ce secteur n'existe pas ou ne vous est pas accessible."))
    return turf


def turf_manageable(*, user: User, turf: Turf) -> bool:
    if has_role(user, Role.STAFF):
        return True
    return has_role(user, Role.ORGANISER) and turf.created_by_id == user.pk


def turf_assignments(*, turf: Turf) -> QuerySet[TurfAssignment]:
    """Every assignment of the turf, past, running and planned, with who it goes to."""
    return (
        TurfAssignment.objects.filter(turf_id=turf.pk)
        .select_related("user", "team", "assigned_by")
        .order_by("starts_on", "pk")
    )


def turf_assignable_users(*, user: User) -> QuerySet[User]:
    """Active volunteers, team leaders and organisers (those a turf changes something for)."""
    if not can_manage_turfs(user=user):
        return User.objects.none()
    return User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).order_by(
        "full_name", "email"
    )


def turf_assignable_teams(*, user: User) -> QuerySet[Team]:
    if not can_manage_turfs(user=user):
        return Team.objects.none()
    return Team.objects.order_by("name")


def turf_member_ids(*, turf: Turf) -> QuerySet[Any]:
    """`person_id` of the turf's people, in walk order (a subquery or a list)."""
    return TurfMember.objects.filter(turf_id=turf.pk).order_by("position").values("person_id")


@dataclass
class WalkPerson:
    person_id: int
    first_names: str
    last_name: str
    birth_year: int | None
    position: int

    @property
    def display_name(self) -> str:
        return f"{self.last_name} {self.first_names}".strip() or f"#{self.person_id}"


@dataclass
class WalkDoor:
    """One door of the walk (a household): its address and the people behind it."""

    door: int
    side: int
    street: str
    number: str
    complement: str
    complement2: str
    postcode: str
    commune_name: str
    latitude: float | None = None  # from the geocoder; None when the address is not placed
    longitude: float | None = None
    people: list[WalkPerson] = field(default_factory=list)

    @property
    def address(self) -> str:
        return " ".join(part for part in (self.number, self.street) if part)

    @property
    def where(self) -> str:
        """Building, floor and flat as written on the roll."""
        return " · ".join(part for part in (self.complement, self.complement2) if part)


WALK_COLUMNS = (
    "door",
    "side",
    "position",
    "person_id",
    "person__first_names",
    "person__usage_name",
    "person__birth_name",
    "person__birth_year",
    "person__address_number",
    "person__address_street",
    "person__address_complement",
    "person__address_complement2",
    "person__postcode",
    "person__commune_name",
    "person__latitude",
    "person__longitude",
)


def walk_list(*, turf: Turf) -> list[WalkDoor]:
    """The turf's doors in walking order, each with its people (one query, in position order).

    The turf must come from `access_turf` (or a service that checked the actor): its people are
    exactly what the assignment opens to the volunteers who walk it. The order was settled when
    the turf was cut (`walk_order.walk_order`), so reading it is one index range scan."""
    rows = (
        TurfMember.objects.filter(turf_id=turf.pk).order_by("position").values_list(*WALK_COLUMNS)
    )
    doors: list[WalkDoor] = []
    current: WalkDoor | None = None
    for (
        door,
        side,
        position,
        person_id,
        first_names,
        usage_name,
        birth_name,
        birth_year,
        number,
        street,
        complement,
        complement2,
        postcode,
        commune_name,
        latitude,
        longitude,
    ) in rows:
        if current is None or current.door != door:
            current = WalkDoor(
                door,
                side,
                street,
                number,
                complement,
                complement2,
                postcode,
                commune_name,
                latitude,
                longitude,
            )
            doors.append(current)
        current.people.append(
            WalkPerson(person_id, first_names, usage_name or birth_name, birth_year, position)
        )
    return doors
