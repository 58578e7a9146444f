"""The team leader's page: their teams, what each member has done lately, the team's lists."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from maillage.accounts.http import AuthenticatedHttpRequest
from maillage.core.decorators import role_required
from maillage.core.roles import Role
from maillage.people.selectors.teams import ACTIVITY_DAYS, team_progress


@role_required(Role.TEAM_LEADER)
def team_detail(request: AuthenticatedHttpRequest) -> HttpResponse:
    teams = team_progress(user=request.user)
    return render(
        request, "people/team_progress.html", {"teams": teams, "activity_days": ACTIVITY_DAYS}
    )
