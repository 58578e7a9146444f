"""The team leader's page: their teams, what each member has done lately, the team's lists."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from maillage.core.decorators import role_required
from maillage.core.roles import Role
from maillage.people.selectors.teams import ACTIVITY_DAYS, team_progress


@role_required(Role.TEAM_LEADER)
def team_detail(request: HttpRequest) -> HttpResponse:
    teams = team_progress(user=request.user)
    return render(
        request, "people/team_progress.html", {"teams": teams, "activity_days": ACTIVITY_DAYS}
    )
