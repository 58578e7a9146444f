"""Recipients' and providers' answers: the one-click unsubscribe and the ESP events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from maillage.messaging.models import Campaign, Delivery
from maillage.people.selectors.reachability import (
    person_by_address,
)
from maillage.people.services.consent import consent_record
from maillage.people.services.reachability import email_mark_bounced
from maillage.people.services.suppression import Kind, Scope, suppression_add

UNSUBSCRIBE_SALT = "maillage.messaging.unsubscribe"


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
