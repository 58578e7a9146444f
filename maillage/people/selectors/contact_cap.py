"""The per-person contact cap across channels: at most N attempts in D days (ContactPolicy).

Turfs, call lists and audiences exclude `over_contact_cap_q()` when they are built, so nobody
gets knocked, called and texted the same week."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from maillage.people.models import Channel, ContactPolicy, Interaction

# The channels that count as a contact attempt (events, forum posts and mail do not).
CAP_CHANNELS = (Channel.DOOR.value, Channel.PHONE.value, Channel.SMS.value, Channel.EMAIL.value)


def contact_policy() -> ContactPolicy:
    """The campaign's follow-up and cap settings (the one row, made with the seed's defaults
    the first time). One primary-key read: not cached across processes, so an edit by staff
    holds at once on every web node and worker."""
    policy, _created = ContactPolicy.objects.get_or_create(pk=1)
    return policy


def _recent_attempts(*, policy: ContactPolicy, now: datetime | None) -> Q:
    since = (now or timezone.now()) - timedelta(days=policy.cap_days)
    return Q(channel__in=CAP_CHANNELS, occurred_at__gte=since)


def over_contact_cap_q(*, now: datetime | None = None, policy: ContactPolicy | None = None) -> Q:
    """A Q on Person: people at or over the cap (builders `.exclude()` it). The attempts of
    the period are grouped once (the (channel, occurred_at) index), not counted per person."""
    policy = policy or contact_policy()
    if policy.cap_attempts == 0:
        return Q(pk__in=[])
    counted = (
        Interaction.objects.filter(_recent_attempts(policy=policy, now=now))
        .values("person_id")
        .annotate(attempts=Count("id"))
        .filter(attempts__gte=policy.cap_attempts)
        .values("person_id")
    )
    return Q(pk__in=counted)


def contact_cap_allows(*, person_id: int, now: datetime | None = None) -> bool:
    """Whether one more attempt on this person stays within the cap."""
    policy = contact_policy()
    if policy.cap_attempts == 0:
        return True
    attempts = Interaction.objects.filter(
        _recent_attempts(policy=policy, now=now), person_id=person_id
    ).count()
    return attempts < policy.cap_attempts
