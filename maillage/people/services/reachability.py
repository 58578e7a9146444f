"""Delivery outcomes that change a contact row: a hard bounce marks the address bounced, so no
channel writes to it again (`USABLE_STATUSES` leaves it out of every audience)."""

from __future__ import annotations

from django.utils import timezone

from maillage.people.models import ContactStatus, EmailAddress, PhoneNumber


def email_mark_bounced(*, address: str) -> int:
    """Every row holding this address (several people may share one); returns how many."""
    return EmailAddress.objects.filter(address__iexact=address.strip()).update(
        status=ContactStatus.BOUNCED, updated_at=timezone.now()
    )


def phone_mark_invalid(*, number: str) -> int:
    return PhoneNumber.objects.filter(number=number.strip()).update(
        status=ContactStatus.INVALID, updated_at=timezone.now()
    )
