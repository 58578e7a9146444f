"""Campaign writes: compose, schedule, cancel, freeze the audience and start."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import (
    audit_log_record,
    task_progress_create,
)
from maillage.messaging.models import Campaign, Delivery
from maillage.messaging.rendering import compile_message
from maillage.messaging.selectors import sender_identities
from maillage.people.selectors.reachability import (
    recipients,
)
from maillage.people.selectors.segments import segment_queryset

logger = logging.getLogger(__name__)

EDITABLE = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)


class CampaignStateError(ApplicationError):
    """The campaign is not in a state that allows this."""


# Compose ---------------------------------------------------------------------------------------


def _check(*, channel: str, sender: str, subject: str, body: str) -> None:
    if channel == Campaign.Channel.EMAIL:
        if sender not in sender_identities():
            raise ApplicationError(_("Choisissez un expéditeur parmi ceux configurés."))
        if not subject.strip():
            raise ApplicationError(_("Un e-mail a besoin d'un objet."))
    if not body.strip():
        raise ApplicationError(_("Le message est vide."))
    compile_message(subject=subject, body=body)  # an unknown field is refused here, not at send


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    name: str,
    channel: str,
    segment_id: int,
    body: str,
    sender: str = "",
    subject: str = "",
    track_opens: bool = False,
    track_clicks: bool = False,
    is_mobilisation: bool = False,
    event_place: str = "",
    event_at: datetime | None = None,
) -> Campaign:
    _check(channel=channel, sender=sender, subject=subject, body=body)
    campaign = Campaign.objects.create(
        is_mobilisation=is_mobilisation,
        event_place=event_place[: max_length(Campaign, "event_place")],
        event_at=event_at,
        name=name.strip()[: max_length(Campaign, "name")] or subject[:200],
        channel=channel,
        segment_id=segment_id,
        sender=sender,
        subject=subject,
        body=body,
        track_opens=track_opens,
        track_clicks=track_clicks,
        created_by=actor,
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CREATE,
        target=campaign,
        changes={"channel": channel, "segment": segment_id},
    )
    return campaign


@transaction.atomic
def campaign_update(*, actor: User, campaign: Campaign, fields: dict[str, Any]) -> Campaign:
    allowed = {
        "name",
        "segment_id",
        "sender",
        "subject",
        "body",
        "track_opens",
        "track_clicks",
        "event_place",
        "event_at",
    }
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in EDITABLE:
        raise CampaignStateError(_("Une campagne envoyée ou annulée ne se modifie plus."))
    changes = {}
    for key, value in fields.items():
        if key in allowed and getattr(locked, key) != value:
            changes[key] = [getattr(locked, key), value]
            setattr(locked, key, value)
    _check(channel=locked.channel, sender=locked.sender, subject=locked.subject, body=locked.body)
    if changes:
        locked.save(update_fields=[*(k for k in changes), "updated_at"])
        audit_log_record(
            actor=actor, action=AuditLogEntry.Action.UPDATE, target=locked, changes=changes
        )
    return locked


def campaign_schedule(*, actor: User, campaign: Campaign, at: datetime) -> Campaign:
    """Send at `at`: a task waits for that time (a campaign cancelled or moved meanwhile is
    left alone by the task, which checks the stored time when it wakes)."""
    from maillage.messaging.tasks import campaign_start_task

    if at <= timezone.now():
        raise ApplicationError(_("Choisissez une date à venir."))
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status__in=EDITABLE).update(
            status=Campaign.Status.SCHEDULED, scheduled_at=at, updated_at=timezone.now()
        )
        if not updated:
            raise CampaignStateError(_("Cette campagne ne peut plus être programmée."))
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=campaign,
            changes={"scheduled_at": at.isoformat()},
        )
        transaction.on_commit(
            lambda: enqueue_at(
                campaign_start_task, at=at, campaign_id=campaign.pk, actor_id=actor.pk
            )
        )
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(*, actor: User, campaign: Campaign) -> Campaign:
    """A draft, a scheduled campaign or one being sent: the sender stops before its next
    batch; what was sent stays sent, the rest stays queued (shown in the report)."""
    updated = Campaign.objects.filter(
        pk=campaign.pk, status__in=[*EDITABLE, Campaign.Status.SENDING]
    ).update(status=Campaign.Status.CANCELLED, updated_at=timezone.now())
    if not updated:
        raise CampaignStateError(_("Cette campagne est déjà terminée."))
    audit_log_record(
        actor=actor, action=AuditLogEntry.Action.UPDATE, target=campaign, changes={"cancel": True}
    )
    campaign.refresh_from_db()
    return campaign


# Freeze and start ------------------------------------------------------------------------------


def _freeze(*, campaign: Campaign, actor: User) -> int:
    """One INSERT … SELECT: a delivery row per reachable person of the segment, as the acting
    user sees it. The SELECT is the segment's own QuerySet (the count shown is the same)."""
    if campaign.reminder_of_id:
        # A reminder goes to those who said yes to its mobilisation, at the same number.
        select = Delivery.objects.filter(
            campaign_id=campaign.reminder_of_id, rsvp="yes"
        ).values_list(
            Value(campaign.pk),
            "person_id",
            "address",
            Value(Delivery.Status.QUEUED),
            Value(0),
            Value(""),
            Value(""),
            Value(""),
        )
        return _insert_select(select)
    people = segment_queryset(
        user=actor, definition=campaign.segment.definition, segment_id=campaign.segment_id
    )
    select = (
        recipients(people, channel=campaign.channel)
        .order_by()
        .values_list(
            Value(campaign.pk),
            "pk",
            "recipient_address",
            Value(Delivery.Status.QUEUED),
            Value(0),
            Value(""),
            Value(""),
            Value(""),
        )
    )
    return _insert_select(select)


def _insert_select(select: Any) -> int:
    sql, params = select.query.sql_with_params()
    table = Delivery._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, person_id, address, status, attempts, error, "  # noqa: S608 - our table, the ORM's SELECT
            f"provider_id, rsvp) {sql}",
            params,
        )
        return int(cursor.rowcount)


def campaign_start(
    *, actor: User, campaign: Campaign, now: datetime | None = None, enqueue: bool = True
) -> Campaign:
    """Freeze the recipients and hand the campaign to a worker. A compare-and-swap on the
    status: two clicks (or a click and the schedule) start it once. `enqueue=False` when the
    caller sends in its own process (the demo)."""
    from maillage.messaging.tasks import campaign_send_task

    now = now or timezone.now()
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status__in=EDITABLE).update(
            status=Campaign.Status.SENDING, started_at=now, sent_by=actor, updated_at=now
        ):
            raise CampaignStateError(_("Cette campagne est déjà partie ou annulée."))
        campaign.refresh_from_db()
        _check(
            channel=campaign.channel,
            sender=campaign.sender,
            subject=campaign.subject,
            body=campaign.body,
        )
        frozen = _freeze(campaign=campaign, actor=actor)
        progress = task_progress_create(
            kind="messaging.send",
            label=_("Envoi : %(name)s") % {"name": campaign.name},
            owner=actor,
            total=frozen,
        )
        progress.rerun = {
            "task": campaign_send_task.module_path,
            "kwargs": {"campaign_id": campaign.pk},
        }
        progress.save(update_fields=["rerun"])
        campaign.progress = progress
        campaign.audience = {"frozen": frozen}
        campaign.save(update_fields=["progress", "audience", "updated_at"])
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=campaign,
            changes={"start": frozen},
        )
        if enqueue:
            transaction.on_commit(lambda: campaign_send_task.enqueue(campaign_id=campaign.pk))
    return campaign


def enqueue_at(task: Any, *, at: datetime, **kwargs: Any) -> bool:
    """Enqueue for later on a backend that can wait (the database and RQ backends can); the
    inline backend of the tests cannot, and nothing is enqueued there (False)."""
    if not task.get_backend().supports_defer:
        logger.warning("Task backend cannot defer %s to %s: not enqueued", task.name, at)
        return False
    task.using(run_after=at).enqueue(**kwargs)
    return True
