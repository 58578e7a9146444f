"""A merge of two people (`people.signals.person_merging`): the merged person's deliveries and
inbound messages go to the kept person, so nothing already sent is forgotten and nobody is sent
a campaign twice."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from maillage.messaging.models import Delivery, InboundMessage

# A message went out: a campaign's delivery in one of these states is the one to keep.
_WENT_OUT = (
    Delivery.Status.SENDING,
    Delivery.Status.SENT,
    Delivery.Status.BOUNCED,
    Delivery.Status.COMPLAINED,
)


@transaction.atomic
def delivery_places_merge(*, keep_id: int, merge_id: int) -> int:
    """Move the merged person's deliveries and inbound messages to the kept person. Where both
    have a delivery in one campaign (one a person and campaign), the one whose message went
    out stays, so the kept person is not sent the campaign again; else the kept person's.
    Answers how many deliveries moved."""
    kept_campaigns = Delivery.objects.filter(person_id=keep_id).values("campaign_id")
    # One delivery a campaign the two share: a handful for a person.
    for double in Delivery.objects.select_for_update().filter(
        person_id=merge_id, campaign_id__in=kept_campaigns
    ):
        kept = Delivery.objects.select_for_update().get(
            campaign_id=double.campaign_id, person_id=keep_id
        )
        if double.status in _WENT_OUT and kept.status not in _WENT_OUT:
            kept.delete()  # the merged person's delivery moves below, in its place
        else:
            double.delete()
    InboundMessage.objects.filter(person_id=merge_id).update(person_id=keep_id)
    return Delivery.objects.filter(person_id=merge_id).update(person_id=keep_id)


def person_merging_received(*, keep: Any, merge: Any, **kwargs: Any) -> None:
    """`people.signals.person_merging`'s receiver (connected in `MessagingConfig.ready`)."""
    delivery_places_merge(keep_id=keep.pk, merge_id=merge.pk)
