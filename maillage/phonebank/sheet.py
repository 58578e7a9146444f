"""What the caller screen shows about the person held, limited to the caller's role, and the
campaign's script as the data its branching script reads."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from maillage.accounts.models import User
from maillage.core.roles import Role, has_role
from maillage.phonebank.models import CallCampaign
from maillage.surveys.selectors import script_as_dict, script_for_caller, script_list

PREVIOUS_INTERACTIONS = 10


def caller_sheet(*, user: User, person: Any) -> dict[str, Any]:
    """Name, age, polling station and the last interactions. Support levels and notes (opinion
    and free text about a person) only from staff up; a volunteer sees dates and results."""
    sees_details = has_role(user, Role.STAFF)
    interactions = list(
        person.interactions.select_related("actor").order_by("-occurred_at", "-id")[
            :PREVIOUS_INTERACTIONS
        ]
    )
    return {
        "person": person,
        "age": person.birth_year and (timezone.localdate().year - person.birth_year),
        "interactions": interactions,
        "sees_details": sees_details,
    }


def script_for_campaign(campaign: CallCampaign) -> dict[str, Any] | None:
    if not campaign.script_id:
        return None
    return script_as_dict(script_for_caller(script_id=campaign.script_id))


def scripts_for_lead(*, user: User) -> Any:
    return script_list(user=user)
