"""Turfs open their people to the volunteers and teams they are handed to, while the
assignment runs (registered with the people app's scope, `people_visible_to`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from maillage.accounts.models import User
from maillage.canvassing.models import TurfMember
from maillage.canvassing.selectors import assigned_turf_ids
from maillage.people.assignment_sources import assignment_source


@assignment_source("turfs")
def turf_people(user: User) -> QuerySet[Any]:
    """From the user's running assignments (by user, by team) to the turfs' members by the
    (turf, person) index: the cost follows the turfs handed out, not the people table."""
    return TurfMember.objects.filter(turf_id__in=assigned_turf_ids(user=user)).values("person_id")
