"""Reads of the work handed out: the lists assigned to a user and how far they have got, and a
team leader's view of their teams (members' activity, the team's lists).

Progress counts people of a list with an interaction since the list was made (any channel, any
result): how far the work has got, never what people answered, so no support level appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import Team, User
from maillage.core.compiled import compiled_rows_for_user
from maillage.core.errors import PermissionDenied
from maillage.core.roles import Role, has_role
from maillage.people.models import Interaction, PersonList

ACTIVITY_DAYS = 30


@dataclass(frozen=True)
class ListProgress:
    person_list: PersonList
    people: int
    contacted: int

    @property
    def percent(self) -> int:
        return round(self.contacted * 100 / self.people) if self.people else 0


@dataclass(frozen=True)
class MemberActivity:
    user: User
    interactions: int


@dataclass(frozen=True)
class TeamProgress:
    team: Team
    members: list[MemberActivity]
    lists: list[ListProgress]


def _progress_of(lists: QuerySet[PersonList]) -> QuerySet[PersonList]:
    """The given lists (passed as a subquery, so no join repeats them) with their `people` and
    `contacted` counts: one grouped query."""
    return (
        PersonList.objects.filter(pk__in=lists.values("pk"))
        .annotate(
            people=Count("members"),
            contacted=Count("members", filter=Q(members__last_interaction_at__gte=F("created_at"))),
        )
        .order_by("name", "pk")
    )


def _with_progress(lists: QuerySet[PersonList]) -> list[ListProgress]:
    rows = _progress_of(lists)
    return [ListProgress(row, row.people, row.contacted) for row in rows]  # type: ignore[attr-defined]


def _assigned_lists(user: User) -> QuerySet[PersonList]:
    """The lists assigned to this user, directly or through one of their teams (the lists
    `people_visible_to` opens to them)."""
    return PersonList.objects.filter(Q(assigned_users=user) | Q(assigned_teams__members=user))


def assigned_list_progress(*, user: User) -> list[ListProgress]:
    """The lists assigned to this user, with their progress. One query."""
    if not has_role(user, Role.VOLUNTEER):
        return []
    return _with_progress(_assigned_lists(user))


def assigned_list_counts(*, user: User) -> list[dict[str, Any]]:
    """`assigned_list_progress` as plain rows (`pk`, `name`, `people`, `contacted`) for the
    dashboard's bars, through SQL compiled once per process, day and role (core.compiled):
    building the grouped query cost the ORM more than running it, on every dashboard view."""
    if not has_role(user, Role.VOLUNTEER):
        return []
    return compiled_rows_for_user(
        key=("assigned-list-counts",),
        user=user,
        build=lambda placeholder: _progress_of(_assigned_lists(placeholder)).values(
            "pk",
            "name",
            "people",  # type: ignore[misc]  # _progress_of's annotations
            "contacted",
        ),
    )


def team_progress(*, user: User) -> list[TeamProgress]:
    """For a team leader (or above): each of their teams with its members' recent activity and
    the lists assigned to the team. Five queries whatever the number of teams."""
    if not has_role(user, Role.TEAM_LEADER):
        raise PermissionDenied(_("Le suivi d'équipe est réservé aux chef·fes d'équipe."))
    teams = list(
        Team.objects.filter(members=user)
        .select_related("zone")
        .prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("-role", "full_name", "email"))
        )
        .order_by("name")
    )
    if not teams:
        return []
    Assignment = PersonList.assigned_teams.through
    links = list(
        Assignment.objects.filter(team_id__in=[t.pk for t in teams]).values_list(
            "team_id", "personlist_id"
        )
    )
    progress = {
        row.person_list.pk: row
        for row in _with_progress(PersonList.objects.filter(pk__in=[pk for _t, pk in links]))
    }
    since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
    member_ids = {member.pk for team in teams for member in team.members.all()}
    activity = dict(
        Interaction.objects.filter(actor_id__in=member_ids, occurred_at__gte=since)
        .order_by()
        .values("actor_id")
        .annotate(n=Count("pk"))
        .values_list("actor_id", "n")
    )
    result = []
    for team in teams:
        lists = [progress[pk] for team_id, pk in links if team_id == team.pk and pk in progress]
        lists.sort(key=lambda row: (row.person_list.name, row.person_list.pk))
        members = [MemberActivity(m, activity.get(m.pk, 0)) for m in team.members.all()]
        result.append(TeamProgress(team=team, members=members, lists=lists))
    return result
