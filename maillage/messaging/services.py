"""Writes of messaging: compose, schedule, cancel, freeze the audience, send in batches, record
unsubscribes and the providers' delivery events.

Sending and crash-resume. The audience is frozen once (one INSERT … SELECT of delivery rows,
unique per campaign and person) in the transaction that moves the campaign to "sending". A
worker then holds the campaign's lease and loops: claim the next `batch` queued rows (marked
"sending"), check each address against the suppression ledger, send, mark the batch sent or
failed in one UPDATE per outcome, record the contact attempts in a set. A worker that dies
leaves at most one batch in "sending": the next worker to take the lease puts those rows back
in the queue and sends them again. So nobody is skipped, and at most `batch` messages (the
in-flight batch, MAILLAGE_MESSAGING_BATCH, default 50) can be received twice.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from smtplib import SMTPRecipientsRefused, SMTPResponseException, SMTPServerDisconnected
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import (
    audit_log_record,
    task_progress_advance,
    task_progress_create,
    task_progress_finish,
    task_progress_start,
)
from maillage.messaging.models import Campaign, Delivery
from maillage.messaging.providers import sms_provider
from maillage.messaging.quiet_hours import is_quiet, next_allowed
from maillage.messaging.rendering import CompiledMessage, compile_message
from maillage.messaging.selectors import sender_identities
from maillage.messaging.sms import sms_send_batch
from maillage.people.selectors.reachability import (
    people_message_fields,
    people_over_contact_cap,
    person_by_address,
    recipients,
    suppressed_among,
)
from maillage.people.selectors.segments import segment_queryset
from maillage.people.services.consent import consent_record
from maillage.people.services.contact_attempts import contact_attempts_record_sent
from maillage.people.services.reachability import email_mark_bounced
from maillage.people.services.suppression import Kind, Scope, suppression_add

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "maillage.messaging.unsubscribe"
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


# Unsubscribe links ---------------------------------------------------------------------------


def unsubscribe_token(delivery_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(signing.b62_encode(delivery_id))


def unsubscribe_url(delivery_id: int) -> str:
    # The URL reversed once with a marker, then filled (a reverse per message costs more than
    # building the rest of it).
    prefix = settings.SITE_URL + reverse("messaging:unsubscribe", args=["TOKEN"])
    return prefix.replace("TOKEN", unsubscribe_token(delivery_id))


def unsubscribe_delivery(token: str) -> Delivery | None:
    """The delivery a link names, or None for a forged or mangled one."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Delivery.objects.filter(pk=signing.b62_decode(value)).select_related("campaign").first()


@transaction.atomic
def unsubscribe_record(*, delivery: Delivery) -> None:
    """The one-click POST: the address goes into the suppression ledger at once, and the
    person's consent for the channel is withdrawn through people's consent service (which
    writes the ledger for every address of theirs too). Idempotent."""
    channel = delivery.campaign.channel
    kind, scope = (Kind.EMAIL, Scope.EMAIL) if channel == "email" else (Kind.PHONE, Scope.SMS)
    suppression_add(kind=kind, value=delivery.address, scope=scope, reason="unsubscribe link")
    if delivery.unsubscribed_at is None:
        person = person_by_address(kind=kind, value=delivery.address)
        if person is not None and person.pk == delivery.person_id:
            consent_record(
                actor=None,  # type: ignore[arg-type]  # the recipient, who has no account
                person=person,
                channel=channel,
                granted=False,
                legal_basis="consent",
                source=f"unsubscribe link, campaign {delivery.campaign_id}",
            )
        Delivery.objects.filter(pk=delivery.pk).update(unsubscribed_at=timezone.now())


# Sending ------------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    batches: int = 0
    requeued: int = 0
    waiting_until: datetime | None = None


def _lease_take(campaign_id: int, worker: str) -> bool:
    stale = timezone.now() - timedelta(seconds=settings.MAILLAGE_MESSAGING_LEASE_SECONDS)
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING)
        .filter(Q(worker="") | Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
        .update(worker=worker, heartbeat_at=timezone.now())
    )


class _CampaignMessage(EmailMultiAlternatives):
    """Its MIME boundary is chosen once per worker: the standard library would otherwise
    compile a fresh regular expression for every message to check a random one against the
    text (a third of the rendering time in a blast). 32 random hex digits cannot be guessed
    by a recipient whose name is in the message."""

    boundary = f"==maillage-{secrets.token_hex(16)}=="

    def message(self, **kwargs: Any) -> Any:  # Django 5.2 takes no argument, 6.0 a policy
        msg = super().message(**kwargs)
        if msg.is_multipart():
            msg.set_boundary(self.boundary)
        return msg


def _message(
    *,
    campaign: Campaign,
    compiled: CompiledMessage,
    delivery_id: int,
    address: str,
    person: dict[str, Any],
    connection: Any,
) -> EmailMultiAlternatives:
    link = unsubscribe_url(delivery_id)
    subject, html, text = compiled.render({**person, "_unsubscribe": link})
    footer = _("Pour ne plus recevoir nos messages : %(url)s") % {"url": link}
    message = _CampaignMessage(
        subject,
        f"{text}\n\n-- \n{footer}\n",
        campaign.sender,
        [address],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": make_msgid(f"d{delivery_id}", domain=settings.MAILLAGE_MESSAGE_ID_DOMAIN),
        },
    )
    message.attach_alternative(
        f'{html}\n<hr>\n<p><small><a href="{link}">{_("Se désinscrire")}</a></small></p>',
        "text/html",
    )
    # django-anymail reads these (ESP backends); the SMTP backend ignores them.
    message.metadata = {"delivery_id": str(delivery_id)}  # type: ignore[attr-defined]
    message.track_opens = campaign.track_opens  # type: ignore[attr-defined]
    message.track_clicks = campaign.track_clicks  # type: ignore[attr-defined]
    return message


def _send_one(connection: Any, message: EmailMultiAlternatives) -> str:
    """'' when sent, else the reason. A dropped connection is reopened and tried once more."""
    for attempt in (1, 2):
        try:
            connection.send_messages([message])
            return ""
        except SMTPRecipientsRefused as exc:
            return "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())[:500]
        except SMTPServerDisconnected as exc:
            connection.close()
            if attempt == 2:
                return f"disconnected: {exc}"[:500]
        except SMTPResponseException as exc:
            return f"{exc.smtp_code} {exc.smtp_error!r}"[:500]
        except Exception as exc:  # noqa: BLE001 - any backend error is this message's failure
            return f"{type(exc).__name__}: {exc}"[:500]
    return "unreachable"


def _record_contacts(*, campaign: Campaign, person_ids: Sequence[int]) -> None:
    """Each message sent is a contact attempt in people's shared ledger (set-based, idempotent
    per person and campaign: a resumed batch is not counted twice)."""
    if not person_ids or campaign.sent_by is None:
        return
    contact_attempts_record_sent(
        actor=campaign.sent_by,
        person_ids=person_ids,
        channel=campaign.channel,
        source_kind=f"{campaign.channel}_campaign",
        source_id=campaign.pk,
    )


def campaign_send_run(
    *,
    campaign_id: int,
    batch: int | None = None,
    rate: float | None = None,
    worker: str | None = None,
    max_batches: int | None = None,
    quiet_hours: bool = True,
    provider: Any = None,
) -> SendReport:
    """The worker's loop (see the module's docstring). Returns what this run did; safe to run
    again at any time: a live lease elsewhere makes it return at once, a dead one is taken.
    `quiet_hours=False` and `provider` only for the demo, which sends its mobilisation
    whatever the hour, into the file provider."""
    batch = batch or settings.MAILLAGE_MESSAGING_BATCH
    worker = worker or secrets.token_hex(8)
    report = SendReport()
    if not _lease_take(campaign_id, worker):
        return report
    campaign = Campaign.objects.select_related("progress").get(pk=campaign_id)
    is_sms = campaign.channel == Campaign.Channel.SMS
    if rate is None:
        rate = settings.MAILLAGE_SMS_RATE if is_sms else settings.MAILLAGE_MESSAGING_RATE
    report.requeued = Delivery.objects.filter(
        campaign_id=campaign_id, status=Delivery.Status.SENDING
    ).update(status=Delivery.Status.QUEUED)
    progress_id = campaign.progress_id
    if progress_id:
        task_progress_start(progress_id=progress_id)
    compiled = compile_message(subject=campaign.subject, body=campaign.body)
    connection: Any = (provider or sms_provider()) if is_sms else get_connection()
    started = time.monotonic()
    sent_total = 0
    try:
        while max_batches is None or report.batches < max_batches:
            current = Campaign.objects.filter(pk=campaign_id).values("status", "worker").first()
            if current is None or current["status"] != Campaign.Status.SENDING:
                break
            if current["worker"] != worker:
                return report  # another worker took the lease: it owns the rest
            if is_sms and quiet_hours and is_quiet(timezone.now()):
                report.waiting_until = next_allowed(timezone.now())
                break
            ids = list(
                Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.QUEUED)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                _finish(campaign=campaign)
                break
            Delivery.objects.filter(id__in=ids).update(
                status=Delivery.Status.SENDING, attempts=F("attempts") + 1
            )
            rows = list(Delivery.objects.filter(id__in=ids).values("id", "person_id", "address"))
            done = _send_batch(campaign=campaign, compiled=compiled, rows=rows, conn=connection)
            report.sent += done.sent
            report.failed += done.failed
            report.suppressed += done.suppressed
            report.batches += 1
            sent_total += len(rows)
            Campaign.objects.filter(pk=campaign_id, worker=worker).update(
                heartbeat_at=timezone.now()
            )
            if progress_id:
                task_progress_advance(progress_id=progress_id, by=len(rows))
            if rate:
                ahead = sent_total / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        if not is_sms:
            connection.close()
        Campaign.objects.filter(pk=campaign_id, worker=worker).update(worker="")
    if report.waiting_until is not None:
        _resume_at(campaign_id=campaign_id, at=report.waiting_until)
    return report


def _resume_at(*, campaign_id: int, at: datetime) -> None:
    """Quiet hours: the send goes on by itself at the next allowed minute."""
    from maillage.messaging.tasks import campaign_send_task

    enqueue_at(campaign_send_task, at=at, campaign_id=campaign_id)


def enqueue_at(task: Any, *, at: datetime, **kwargs: Any) -> bool:
    """Enqueue for later on a backend that can wait (the database and RQ backends can); the
    inline backend of the tests cannot, and nothing is enqueued there (False)."""
    if not task.get_backend().supports_defer:
        logger.warning("Task backend cannot defer %s to %s: not enqueued", task.name, at)
        return False
    task.using(run_after=at).enqueue(**kwargs)
    return True


def _send_batch(
    *, campaign: Campaign, compiled: CompiledMessage, rows: list[Any], conn: Any
) -> SendReport:
    report = SendReport()
    is_sms = campaign.channel == Campaign.Channel.SMS
    # The ledger again, for each message of the batch in one query: an opt-out recorded after
    # the audience was frozen is honoured.
    kind, scope = (Kind.PHONE, Scope.SMS) if is_sms else (Kind.EMAIL, Scope.EMAIL)
    suppressed = suppressed_among(kind=kind, values=[r["address"] for r in rows], scope=scope)
    # And the contact cap, for the batch's people in one query: other channels may have
    # reached them since the freeze.
    capped = people_over_contact_cap(person_ids=[r["person_id"] for r in rows])
    people = {
        pk: fields
        for pk, fields in people_message_fields(r["person_id"] for r in rows).items()
        if pk not in capped
    }
    if is_sms:
        sent, sent_people, skipped, failures = sms_send_batch(
            provider=conn, compiled=compiled, rows=rows, people=people, suppressed=suppressed
        )
    else:
        sent, sent_people, skipped, failures = _email_batch(
            campaign=campaign,
            compiled=compiled,
            rows=rows,
            people=people,
            suppressed=suppressed,
            conn=conn,
        )
    _commit_batch(
        campaign=campaign,
        sent=sent,
        sent_people=sent_people,
        skipped=skipped,
        failures=failures,
        now=timezone.now(),
        capped_ids=[r["id"] for r in rows if r["person_id"] in capped],
    )
    report.sent = len(sent)
    report.suppressed = len(skipped)
    report.failed = sum(len(ids) for ids in failures.values())
    return report


def _email_batch(
    *,
    campaign: Campaign,
    compiled: CompiledMessage,
    rows: list[Any],
    people: dict[int, dict[str, Any]],
    suppressed: set[str],
    conn: Any,
) -> tuple[list[int], list[int], list[int], dict[str, list[int]]]:
    sent: list[int] = []
    sent_people: list[int] = []
    skipped: list[int] = []
    failures: dict[str, list[int]] = {}
    conn.open()
    for row in rows:
        if row["address"] in suppressed or row["person_id"] not in people:
            skipped.append(row["id"])
            continue
        message = _message(
            campaign=campaign,
            compiled=compiled,
            delivery_id=row["id"],
            address=row["address"],
            person=people[row["person_id"]],
            connection=conn,
        )
        error = _send_one(conn, message)
        if error:
            failures.setdefault(error, []).append(row["id"])
        else:
            sent.append(row["id"])
            sent_people.append(row["person_id"])
    return sent, sent_people, skipped, failures


def _commit_batch(
    *,
    campaign: Campaign,
    sent: list[int],
    sent_people: list[int],
    skipped: list[int],
    failures: dict[str, list[int]],
    now: datetime,
    capped_ids: list[int],
) -> None:
    with transaction.atomic():
        if sent:
            Delivery.objects.filter(id__in=sent).update(status=Delivery.Status.SENT, sent_at=now)
        opted_out = [i for i in skipped if i not in set(capped_ids)]
        if opted_out:
            Delivery.objects.filter(id__in=opted_out).update(
                status=Delivery.Status.SUPPRESSED, error=_("Sur la liste d'opposition")
            )
        if capped_ids:
            Delivery.objects.filter(id__in=capped_ids).update(
                status=Delivery.Status.CAPPED, error=_("Plafond de contacts atteint")
            )
        for error, ids in failures.items():
            Delivery.objects.filter(id__in=ids).update(status=Delivery.Status.FAILED, error=error)
        _record_contacts(campaign=campaign, person_ids=sent_people)


def _finish(*, campaign: Campaign) -> None:
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
        status=Campaign.Status.SENT, finished_at=now, updated_at=now
    )
    if campaign.progress_id:
        counts = dict(
            Delivery.objects.filter(campaign_id=campaign.pk)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        task_progress_finish(progress_id=campaign.progress_id, result=counts)


def campaign_test_send(*, actor: User, campaign: Campaign, person: dict[str, Any]) -> None:
    """The message as `person` would get it, to the acting user's own address only."""
    compiled = compile_message(subject=campaign.subject, body=campaign.body)
    with get_connection() as connection:
        message = _message(
            campaign=campaign,
            compiled=compiled,
            delivery_id=0,
            address=actor.email,
            person=person,
            connection=connection,
        )
        message.subject = "[TEST] " + message.subject
        error = _send_one(connection, message)
    if error:
        raise ApplicationError(_("L'envoi de test a échoué : %(error)s") % {"error": error})


# Provider events (anymail webhooks) ------------------------------------------------------------


def _delivery_for_event(*, metadata: dict[str, Any], message_id: str | None) -> Delivery | None:
    raw = str((metadata or {}).get("delivery_id") or "")
    if raw.isdigit():
        return Delivery.objects.filter(pk=int(raw)).first()
    if message_id:
        return Delivery.objects.filter(provider_id=message_id).first()
    return None


def delivery_event_record(
    *,
    event_type: str,
    recipient: str,
    metadata: dict[str, Any] | None = None,
    message_id: str | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> Delivery | None:
    """One normalised event from an ESP (anymail's tracking signal). Bounces mark the address
    bounced for every channel; complaints and unsubscribes put it in the suppression ledger."""
    at = at or timezone.now()
    delivery = _delivery_for_event(metadata=metadata or {}, message_id=message_id)
    address = recipient or (delivery.address if delivery else "")
    reason = (reason or event_type)[:500]
    if event_type == "bounced":
        if address:
            email_mark_bounced(address=address)
        if delivery:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.BOUNCED, error=reason
            )
    elif event_type in ("complained", "unsubscribed"):
        if address:
            suppression_add(kind=Kind.EMAIL, value=address, scope=Scope.EMAIL, reason=event_type)
        if delivery:
            fields: dict[str, Any] = {"unsubscribed_at": at}
            if event_type == "complained":
                fields.update(status=Delivery.Status.COMPLAINED, error=reason)
            Delivery.objects.filter(pk=delivery.pk).update(**fields)
    elif event_type in ("rejected", "failed") and delivery:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=reason)
    elif event_type == "opened" and delivery and delivery.campaign.track_opens:
        Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=at)
    elif event_type == "clicked" and delivery and delivery.campaign.track_clicks:
        Delivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(clicked_at=at)
    return delivery


def deliveries_requeue_for(*, progress_ids: Iterable[uuid.UUID]) -> list[int]:
    """Campaigns whose sending process died (its progress went stale): ids to resume."""
    return list(
        Campaign.objects.filter(
            progress_id__in=list(progress_ids), status=Campaign.Status.SENDING
        ).values_list("pk", flat=True)
    )
