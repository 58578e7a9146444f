"""SMS writes: sending one batch through the provider (retries with backoff), delivery
receipts, inbound replies (opt-out at once, mobilisation answers, the staff inbox), the RSVP
link, and mobilisations with their reminder."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.signing import b62_decode, b62_encode
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.messaging.keywords import is_opt_out, rsvp_answer
from maillage.messaging.models import Campaign, Delivery, InboundMessage
from maillage.messaging.providers import Inbound, Receipt, SmsError, SmsProvider
from maillage.messaging.rendering import CompiledMessage
from maillage.people.selectors.reachability import person_by_address
from maillage.people.services.consent import consent_record
from maillage.people.services.suppression import Kind, Scope, suppression_add

RSVP_SALT = "maillage.messaging.rsvp"


# The RSVP link: short (it costs SMS characters), signed so that nobody answers for another.


def rsvp_token(delivery_id: int) -> str:
    mac = salted_hmac(RSVP_SALT, str(delivery_id)).hexdigest()[:10]
    return f"{b62_encode(delivery_id)}-{mac}"


def rsvp_url(delivery_id: int) -> str:
    prefix = settings.SITE_URL + reverse("messaging:rsvp", args=["TOKEN"])
    return prefix.replace("TOKEN", rsvp_token(delivery_id))


def rsvp_delivery(token: str) -> Delivery | None:
    head, _sep, mac = token.partition("-")
    try:
        delivery_id = b62_decode(head)
    except ValueError:
        return None
    if not constant_time_compare(mac, salted_hmac(RSVP_SALT, str(delivery_id)).hexdigest()[:10]):
        return None
    return Delivery.objects.filter(pk=delivery_id).select_related("campaign").first()


def rsvp_record(*, delivery: Delivery, answer: str, at: datetime | None = None) -> None:
    if answer not in ("yes", "no"):
        raise ApplicationError(_("Réponse inconnue."))
    Delivery.objects.filter(pk=delivery.pk).update(rsvp=answer, rsvp_at=at or timezone.now())


# Sending --------------------------------------------------------------------------------------


def _send_with_retries(provider: SmsProvider, *, to: str, text: str, reference: str) -> str:
    """The provider's id; raises SmsError once retries are spent or the error is permanent."""
    attempt = 0
    while True:
        try:
            return provider.send(to=to, text=text, reference=reference)
        except SmsError as exc:
            if not exc.transient or attempt >= settings.MAILLAGE_SMS_RETRIES:
                raise
            time.sleep(settings.MAILLAGE_SMS_RETRY_BASE_SECONDS * (2**attempt))
            attempt += 1


def sms_render(*, compiled: CompiledMessage, person: dict[str, Any], delivery_id: int) -> str:
    _subject, _html, text = compiled.render(
        {**person, "_unsubscribe": "", "_rsvp": rsvp_url(delivery_id)}
    )
    return f"{text}\n{settings.MAILLAGE_SMS_STOP_TEXT}".strip()


def sms_send_batch(
    *,
    provider: SmsProvider,
    compiled: CompiledMessage,
    rows: list[Any],
    people: dict[int, dict[str, Any]],
    suppressed: set[str],
) -> tuple[list[int], list[int], list[int], dict[str, list[int]]]:
    """Send each row; returns (sent ids, sent person ids, skipped ids, failures by reason)."""
    sent: list[int] = []
    sent_people: list[int] = []
    skipped: list[int] = []
    failures: dict[str, list[int]] = {}
    provider_ids: list[Delivery] = []
    for row in rows:
        if row["address"] in suppressed or row["person_id"] not in people:
            skipped.append(row["id"])
            continue
        text = sms_render(compiled=compiled, person=people[row["person_id"]], delivery_id=row["id"])
        try:
            provider_id = _send_with_retries(
                provider, to=row["address"], text=text, reference=f"d{row['id']}"
            )
        except SmsError as exc:
            failures.setdefault(exc.message[: max_length(Delivery, "error")], []).append(row["id"])
            continue
        provider_ids.append(
            Delivery(pk=row["id"], provider_id=provider_id[: max_length(Delivery, "provider_id")])
        )
        sent.append(row["id"])
        sent_people.append(row["person_id"])
    # One statement for the batch: receipts and replies find their message by this id.
    Delivery.objects.bulk_update(provider_ids, ["provider_id"])
    return sent, sent_people, skipped, failures


# Callbacks ------------------------------------------------------------------------------------


def sms_receipt_record(*, receipt: Receipt) -> int:
    """A delivery receipt: failed ones become failures with the carrier's reason."""
    if not receipt.provider_id or receipt.delivered is not False:
        return 0
    return Delivery.objects.filter(
        provider_id=receipt.provider_id, campaign__channel=Campaign.Channel.SMS
    ).update(
        status=Delivery.Status.FAILED,
        error=(receipt.error or "undelivered")[: max_length(Delivery, "error")],
    )


@transaction.atomic
def sms_inbound_record(
    *, inbound: Inbound, provider: str, at: datetime | None = None
) -> InboundMessage:
    """An SMS received. An opt-out keyword goes into the suppression ledger at once (and
    withdraws SMS consent); OUI/NON answers the latest mobilisation sent to the number;
    anything else waits in the staff inbox, attached to the person."""
    at = at or timezone.now()
    person = person_by_address(kind=Kind.PHONE, value=inbound.sender)
    last = (
        Delivery.objects.filter(address=inbound.sender, campaign__channel=Campaign.Channel.SMS)
        .exclude(sent_at=None)
        .select_related("campaign")
        .order_by("-sent_at", "-id")
        .first()
    )
    kind = InboundMessage.Kind.OTHER
    if is_opt_out(inbound.text):
        kind = InboundMessage.Kind.OPT_OUT
        suppression_add(kind=Kind.PHONE, value=inbound.sender, scope=Scope.SMS, reason="STOP")
        if person is not None and person.consent_sms is not False:
            consent_record(
                actor=None,  # type: ignore[arg-type]  # the recipient, who has no account
                person=person,
                channel="sms",
                granted=False,
                legal_basis="consent",
                source="SMS STOP",
            )
        if last is not None:
            Delivery.objects.filter(pk=last.pk).update(unsubscribed_at=at)
    elif last is not None and last.campaign.is_mobilisation and rsvp_answer(inbound.text):
        kind = InboundMessage.Kind.RSVP
        rsvp_record(delivery=last, answer=rsvp_answer(inbound.text), at=at)
    return InboundMessage.objects.create(
        sender=inbound.sender[: max_length(InboundMessage, "sender")],
        person=person,
        campaign=last.campaign if last is not None else None,
        text=inbound.text,
        kind=kind,
        provider=provider,
        provider_id=inbound.provider_id[: max_length(InboundMessage, "provider_id")],
        received_at=at,
    )


def inbound_mark_handled(*, actor: User, message: InboundMessage) -> None:
    InboundMessage.objects.filter(pk=message.pk, handled_at=None).update(
        handled_at=timezone.now(), handled_by=actor
    )


# Mobilisation -----------------------------------------------------------------------------


@transaction.atomic
def mobilisation_reminder_create(*, actor: User, campaign: Campaign, body: str) -> Campaign:
    """A new SMS to those who answered yes (frozen from the answers when it is sent)."""
    from maillage.messaging.services import campaign_create

    if not campaign.is_mobilisation:
        raise ApplicationError(_("Seule une mobilisation a un rappel."))
    reminder = campaign_create(
        actor=actor,
        name=_("Rappel : %(name)s") % {"name": campaign.name},
        channel="sms",
        segment_id=campaign.segment_id,
        body=body,
    )
    reminder.reminder_of = campaign
    reminder.event_place = campaign.event_place
    reminder.event_at = campaign.event_at
    reminder.save(update_fields=["reminder_of", "event_place", "event_at"])
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CREATE,
        target=reminder,
        changes={"reminder_of": campaign.pk},
    )
    return reminder


def mobilisation_create(
    *,
    actor: User,
    name: str,
    place: str,
    event_at: datetime,
    body: str,
    communes: list[str],
    polling_stations: list[str],
) -> Campaign:
    """The activists of these communes / polling stations (a segment saved for it, so the
    count, the freeze and the page all read the same QuerySet), and the SMS asking them."""
    from maillage.messaging.services import campaign_create
    from maillage.people.services.segments import segment_create

    filters: list[dict[str, Any]] = [{"field": "role", "values": ["activist"]}]
    if communes:
        filters.append({"field": "commune", "values": communes})
    if polling_stations:
        filters.append({"field": "polling_station", "values": polling_stations})
    with transaction.atomic():
        segment = segment_create(
            actor=actor,
            name=_("Mobilisation : %(name)s (%(at)s)")
            % {"name": name, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")},
            definition={"op": "and", "filters": filters},
        )
        return campaign_create(
            actor=actor,
            name=name,
            channel="sms",
            segment_id=segment.pk,
            body=body,
            is_mobilisation=True,
            event_place=place,
            event_at=event_at,
        )
