"""Reads of the phone bank: the campaigns a user may call on or lead, the caller's sheet for the
person they hold, and the supervision figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import NotFound
from maillage.core.roles import Role, has_role
from maillage.phonebank.models import Call, CallCampaign, QueueEntry

State = QueueEntry.State
# A caller counts as "on line" while holding a claim or within this long of their last call.
ON_LINE_WINDOW = timedelta(minutes=10)


def call_campaigns_for(*, user: User) -> QuerySet[CallCampaign]:
    """Staff see every campaign; a volunteer the running or paused ones they call on."""
    campaigns = CallCampaign.objects.select_related("segment").order_by("-created_at", "-id")
    if has_role(user, Role.STAFF):
        return campaigns
    if not has_role(user, Role.VOLUNTEER):
        return campaigns.none()
    return campaigns.filter(
        Q(callers=user.pk) | Q(caller_teams__members=user.pk),
        status__in=[CallCampaign.Status.RUNNING, CallCampaign.Status.PAUSED],
    ).distinct()


def access_call_campaign(*, user: User, campaign_id: int | str) -> CallCampaign:
    try:
        pk = int(campaign_id)
    except (TypeError, ValueError):
        raise NotFound(_("Cette campagne d'appels n'existe pas.")) from None
    campaign = call_campaigns_for(user=user).filter(pk=pk).first()
    if campaign is None:
        raise NotFound(_("Cette campagne d'appels n'existe pas."))
    return campaign


def access_call_campaign_lead(*, user: User, campaign_id: int | str) -> CallCampaign:
    """For the phone-bank lead's pages (staff)."""
    if not has_role(user, Role.STAFF):
        raise NotFound(_("Cette campagne d'appels n'existe pas."))
    return access_call_campaign(user=user, campaign_id=campaign_id)


def held_entry_for(*, user: User, campaign: CallCampaign, entry_id: int | str) -> QueueEntry:
    """The entry the user holds right now (the caller page's only person)."""
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        raise NotFound(_("Cet appel ne vous est pas attribué.")) from None
    entry = QueueEntry.objects.filter(
        pk=pk, campaign=campaign, claimed_by=user.pk, state=State.CLAIMED
    ).first()
    if entry is None:
        raise NotFound(_("Cet appel ne vous est plus attribué (délai dépassé ou déjà saisi)."))
    return entry


@dataclass
class Supervision:
    callers: list[dict[str, Any]]
    results: list[tuple[str, int]]
    finished: int
    talked: int
    contact_rate: int | None  # percent
    remaining: int
    in_call: int
    callbacks: int
    done: int
    calls_last_hour: int
    eta_hours: float | None
    on_line: int


def campaign_supervision(*, campaign: CallCampaign, now: datetime | None = None) -> Supervision:
    """The lead's live figures, in a fixed number of queries (polled every few seconds)."""
    now = now or timezone.now()
    hour_ago = now - timedelta(hours=1)
    queue = QueueEntry.objects.filter(campaign=campaign).aggregate(
        remaining=Count("pk", filter=Q(state=State.WAITING)),
        in_call=Count("pk", filter=Q(state=State.CLAIMED, claimed_until__gte=now)),
        callbacks=Count("pk", filter=Q(state=State.WAITING, callback_user__isnull=False)),
        done=Count("pk", filter=Q(state=State.DONE)),
    )
    finished = Call.objects.filter(campaign=campaign, finished_at__isnull=False)
    results = list(
        finished.order_by().values_list("result").annotate(n=Count("pk")).order_by("-n", "result")
    )
    per_caller = list(
        Call.objects.filter(campaign=campaign, finished_at__gte=now - timedelta(hours=24))
        .order_by()
        .values("caller_id", "caller__full_name", "caller__email")
        .annotate(
            last_hour=Count("pk", filter=Q(finished_at__gte=hour_ago)),
            total=Count("pk"),
            talked=Count("pk", filter=Q(result="talked")),
        )
        .order_by("-last_hour", "caller__full_name")
    )
    holding = set(
        QueueEntry.objects.filter(
            campaign=campaign, state=State.CLAIMED, claimed_until__gte=now
        ).values_list("claimed_by_id", flat=True)
    )
    recent = set(
        finished.filter(finished_at__gte=now - ON_LINE_WINDOW).values_list("caller_id", flat=True)
    )
    callers = [
        {
            "name": row["caller__full_name"] or row["caller__email"] or "—",
            "last_hour": row["last_hour"],
            "total": row["total"],
            "talked": row["talked"],
            "on_line": row["caller_id"] in holding or row["caller_id"] in recent,
        }
        for row in per_caller
    ]
    total = sum(n for _result, n in results)
    talked = sum(n for result, n in results if result == "talked")
    calls_last_hour = sum(row["last_hour"] for row in callers)
    remaining = queue["remaining"] + queue["in_call"]
    return Supervision(
        callers=callers,
        results=results,
        finished=total,
        talked=talked,
        contact_rate=round(100 * talked / total) if total else None,
        remaining=remaining,
        in_call=queue["in_call"],
        callbacks=queue["callbacks"],
        done=queue["done"],
        calls_last_hour=calls_last_hour,
        eta_hours=round(remaining / calls_last_hour, 1) if calls_last_hour else None,
        on_line=len((holding | recent) - {None}),
    )


def pending_callbacks(*, campaign: CallCampaign) -> QuerySet[QueueEntry]:
    return (
        QueueEntry.objects.filter(
            campaign=campaign, state=State.WAITING, callback_user__isnull=False
        )
        .select_related("callback_user")
        .order_by("available_at", "id")
    )


def campaign_callers(*, campaign: CallCampaign) -> QuerySet[User]:
    """Who may call on the campaign (for reassigning call-backs)."""
    return (
        User.objects.filter(
            Q(pk__in=campaign.callers.values("pk"))
            | Q(teams__in=campaign.caller_teams.values("pk"))
        )
        .distinct()
        .order_by("full_name", "email")
    )


def current_call(*, entry: QueueEntry) -> Call | None:
    return entry.calls.filter(finished_at__isnull=True).order_by("-started_at").first()
