"""Reads of messaging: campaigns a staff member opens, the audience before sending and why the
others are left out, the report, and the configured sender identities."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import NotFound
from maillage.core.roles import Role, has_role
from maillage.messaging.models import Campaign, Delivery, InboundMessage
from maillage.messaging.sms_text import SmsEstimate, sms_estimate
from maillage.people.selectors.reachability import (
    audience_breakdown,
    people_message_fields,
    recipients,
    suppressed_among,
)
from maillage.people.selectors.segments import segment_queryset
from maillage.people.services.suppression import Kind, Scope


def sender_identities() -> list[str]:
    """The From addresses staff may choose (MAILLAGE_SENDER_IDENTITIES, else the default)."""
    return list(settings.MAILLAGE_SENDER_IDENTITIES) or [settings.DEFAULT_FROM_EMAIL]


def campaign_list(*, user: User, channel: str | None = None) -> QuerySet[Campaign]:
    if not has_role(user, Role.STAFF):
        return Campaign.objects.none()
    campaigns = Campaign.objects.select_related("segment", "created_by").order_by("-created_at")
    return campaigns.filter(channel=channel) if channel else campaigns


def access_campaign(*, user: User, campaign_id: int | str) -> Campaign:
    """Staff only: a campaign writes to a segment of the whole base."""
    campaign = (
        Campaign.objects.select_related("segment", "progress").filter(pk=campaign_id).first()
        if str(campaign_id).isdigit() and has_role(user, Role.STAFF)
        else None
    )
    if campaign is None:
        raise NotFound(_("Cette campagne n'existe pas."))
    return campaign


@dataclass(frozen=True)
class Audience:
    total: int
    reachable: int
    no_address: int
    bounced: int
    no_consent: int
    suppressed: int
    capped: int

    @property
    def will_receive(self) -> int:
        return self.reachable - self.capped - self.suppressed


# Past this, the ledger's share is not computed at preview (hashing every address of a huge
# segment on each page view); send time checks every message anyway.
LEDGER_PREVIEW_LIMIT = 50_000


def campaign_audience(*, user: User, campaign: Campaign) -> Audience:
    """The count before sending and why the others are excluded: the same QuerySet the send
    freezes, one aggregate, plus the ledger check over the reachable addresses."""
    people = segment_queryset(
        user=user, definition=campaign.segment.definition, segment_id=campaign.segment_id
    )
    counts = audience_breakdown(people, channel=campaign.channel)
    suppressed = 0
    if counts["reachable"] <= LEDGER_PREVIEW_LIMIT:
        addresses = recipients(people, channel=campaign.channel).values_list(
            "recipient_address", flat=True
        )
        kind, scope = (
            (Kind.EMAIL, Scope.EMAIL) if campaign.channel == "email" else (Kind.PHONE, Scope.SMS)
        )
        chunk: list[str] = []
        for address in addresses.iterator(chunk_size=2000):
            chunk.append(address)
            if len(chunk) == 2000:
                suppressed += len(suppressed_among(kind=kind, values=chunk, scope=scope))
                chunk = []
        suppressed += len(suppressed_among(kind=kind, values=chunk, scope=scope))
    return Audience(
        total=counts["total"],
        reachable=counts["reachable"],
        no_address=counts["no_address"],
        bounced=counts["bounced"],
        no_consent=counts["no_consent"],
        suppressed=suppressed,
        capped=counts["capped"],
    )


def campaign_preview_people(*, user: User, campaign: Campaign, limit: int = 50) -> list[Any]:
    """Recipients to preview as (id, label): the first of the reachable audience."""
    people = segment_queryset(
        user=user, definition=campaign.segment.definition, segment_id=campaign.segment_id
    )
    return list(
        recipients(people, channel=campaign.channel)
        .order_by("pk")
        .values_list("pk", "first_names", "usage_name", "birth_name", "recipient_address")[:limit]
    )


def campaign_preview_person(
    *, user: User, campaign: Campaign, person_id: int | str | None
) -> dict[str, Any] | None:
    """One recipient's message fields, only if they are in the campaign's audience for `user`."""
    if not str(person_id or "").isdigit():
        return None
    people = segment_queryset(
        user=user, definition=campaign.segment.definition, segment_id=campaign.segment_id
    )
    if not people.filter(pk=int(str(person_id))).exists():
        return None
    return people_message_fields([int(str(person_id))]).get(int(str(person_id)))


@dataclass(frozen=True)
class CampaignReport:
    counts: dict[str, int]
    total: int
    unsubscribed: int
    opened: int
    clicked: int
    failures: list[Any]


def campaign_report(*, campaign: Campaign, failures_limit: int = 200) -> CampaignReport:
    """Counts by state (one GROUP BY), unsubscribes, opens/clicks, and the failures."""
    deliveries = Delivery.objects.filter(campaign_id=campaign.pk)
    counts = {status: 0 for status in Delivery.Status.values}
    counts.update(dict(deliveries.values_list("status").annotate(n=Count("id")).order_by()))
    extra = deliveries.aggregate(
        unsubscribed=Count("id", filter=~_null("unsubscribed_at")),
        opened=Count("id", filter=~_null("opened_at")),
        clicked=Count("id", filter=~_null("clicked_at")),
    )
    failures = list(
        deliveries.filter(
            status__in=[Delivery.Status.FAILED, Delivery.Status.BOUNCED, Delivery.Status.COMPLAINED]
        )
        .order_by("id")
        .values("id", "person_id", "address", "status", "error")[:failures_limit]
    )
    return CampaignReport(
        counts=counts,
        total=sum(counts.values()),
        unsubscribed=extra["unsubscribed"],
        opened=extra["opened"],
        clicked=extra["clicked"],
        failures=failures,
    )


def _null(field: str) -> Q:
    return Q(**{f"{field}__isnull": True})


def sms_campaign_estimate(*, campaign: Campaign, recipients_count: int) -> SmsEstimate:
    """Length, encoding, segments × recipients and cost, for the message filled with a
    sample recipient (the RSVP link at its real length)."""
    from maillage.messaging.rendering import compile_message, sample_person
    from maillage.messaging.sms import sms_render

    compiled = compile_message(subject="", body=campaign.body)
    text = sms_render(compiled=compiled, person=sample_person(), delivery_id=10**7)
    return sms_estimate(
        text=text,
        recipients=recipients_count,
        price_per_segment=Decimal(settings.MAILLAGE_SMS_PRICE_PER_SEGMENT),
    )


@dataclass(frozen=True)
class RsvpCount:
    sent: int
    yes: int
    no: int

    @property
    def waiting(self) -> int:
        return self.sent - self.yes - self.no


def mobilisation_count(*, campaign: Campaign) -> RsvpCount:
    """The live count: one aggregate over the campaign's deliveries."""
    counts = Delivery.objects.filter(campaign_id=campaign.pk).aggregate(
        sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
        yes=Count("id", filter=Q(rsvp="yes")),
        no=Count("id", filter=Q(rsvp="no")),
    )
    return RsvpCount(sent=counts["sent"], yes=counts["yes"], no=counts["no"])


def inbox(*, user: User) -> QuerySet[InboundMessage]:
    """Replies that are neither opt-outs nor answers, not yet handled: staff read them."""
    if not has_role(user, Role.STAFF):
        return InboundMessage.objects.none()
    return InboundMessage.objects.filter(
        kind=InboundMessage.Kind.OTHER, handled_at=None
    ).select_related("campaign")


def access_inbound(*, user: User, message_id: int | str) -> InboundMessage:
    message = inbox(user=user).filter(pk=message_id).first() if str(message_id).isdigit() else None
    if message is None:
        raise NotFound(_("Ce message n'existe pas."))
    return message
