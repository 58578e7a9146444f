"""Background work of messaging: start a scheduled campaign, send a campaign (resumable)."""

from __future__ import annotations

from uuid import UUID

from django.utils import timezone
from django_tasks import task

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.core.services import task_progress_reset
from maillage.messaging.models import Campaign
from maillage.messaging.services import (
    campaign_send_run,
    campaign_start,
    deliveries_requeue_for,
)


@task()
def campaign_start_task(campaign_id: int, actor_id: int) -> dict[str, object]:
    """Wakes at the scheduled time; a campaign cancelled or moved to later meanwhile is left."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if (
        campaign is None
        or campaign.status != Campaign.Status.SCHEDULED
        or campaign.scheduled_at is None
        or campaign.scheduled_at > timezone.now()
    ):
        return {"started": False}
    actor = User.objects.filter(pk=actor_id, is_active=True).first()
    if actor is None:
        return {"started": False}
    try:
        campaign_start(actor=actor, campaign=campaign)
    except ApplicationError as exc:
        return {"started": False, "error": exc.message}
    return {"started": True}


@task()
def campaign_send_task(campaign_id: int) -> dict[str, object]:
    """Idempotent: run again after a crash, it resumes where the dead worker stopped."""
    report = campaign_send_run(campaign_id=campaign_id)
    return {"sent": report.sent, "failed": report.failed, "suppressed": report.suppressed}


def on_task_progress_stale(*, progress_ids: list[UUID], message: str) -> None:
    """Called by `core.services.task_progress_reap` when a worker died mid-send: the send is
    resumed at once (its lease has gone stale too), not left failed."""
    for campaign_id in deliveries_requeue_for(progress_ids=progress_ids):
        campaign = Campaign.objects.get(pk=campaign_id)
        if campaign.progress_id:
            task_progress_reset(progress_id=campaign.progress_id)
        campaign_send_task.enqueue(campaign_id=campaign_id)
