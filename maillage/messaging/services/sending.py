"""The sender: the worker's loop, batches, the email message, the test send.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from smtplib import SMTPRecipientsRefused, SMTPResponseException, SMTPServerDisconnected
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.core.services import (
    task_progress_advance,
    task_progress_finish,
    task_progress_start,
)
from maillage.messaging.models import Campaign, Delivery
from maillage.messaging.providers import sms_provider
from maillage.messaging.quiet_hours import is_quiet, next_allowed
from maillage.messaging.rendering import CompiledMessage, compile_message
from maillage.messaging.services.campaigns import enqueue_at
from maillage.messaging.services.events import unsubscribe_url
from maillage.messaging.sms import sms_send_batch
from maillage.people.selectors.reachability import (
    people_message_fields,
    people_over_contact_cap,
    suppressed_among,
)
from maillage.people.services.contact_attempts import contact_attempts_record_sent
from maillage.people.services.suppression import Kind, Scope

logger = logging.getLogger(__name__)


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
    unsubscribe = _("Se désinscrire")
    message.attach_alternative(
        f'{html}\n<hr>\n<p><small><a href="{link}">{unsubscribe}</a></small></p>',
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
