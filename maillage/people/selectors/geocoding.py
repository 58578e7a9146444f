"""Reads of the geocoding of addresses: the run under way, the last run, the counts shown."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from maillage.accounts.models import User
from maillage.core.models import TaskProgress
from maillage.core.roles import Role, has_role
from maillage.people.models import GeocodeStatus, Person

# A run's progress record has this kind (`people.tasks.geocoding_task`).
GEOCODE_KIND = "people.geocode"
# A run still "running" after this long died with its worker: a new one may start.
GEOCODE_STALE_AFTER = timedelta(hours=12)
# An address worth sending: a street, and a postcode or a commune.
HAS_ADDRESS = ~Q(address_street="") & (~Q(postcode="") | ~Q(commune_code="") | ~Q(commune_name=""))


def geocodable_people() -> QuerySet[Person]:
    """People with an address worth sending: a street, and a postcode or a commune."""
    return Person.objects.filter(HAS_ADDRESS)


def geocoding_in_progress() -> TaskProgress | None:
    return (
        TaskProgress.objects.filter(
            kind=GEOCODE_KIND,
            status__in=[TaskProgress.Status.PENDING, TaskProgress.Status.RUNNING],
            created_at__gte=timezone.now() - GEOCODE_STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


def geocoding_latest(*, user: User) -> TaskProgress | None:
    """The last run, for the staff's button (nobody else sees it)."""
    if not has_role(user, Role.STAFF):
        return None
    return TaskProgress.objects.filter(kind=GEOCODE_KIND).order_by("-created_at").first()


def geocoding_counts(*, user: User) -> dict[str, int] | None:
    """People placed, not found, and waiting (with an address, never tried): one query over
    the table, for the staff's geocoding panel only."""
    if not has_role(user, Role.STAFF):
        return None
    counts = Person.objects.aggregate(
        found=Count("pk", filter=Q(geocode_status=GeocodeStatus.FOUND)),
        not_found=Count("pk", filter=Q(geocode_status=GeocodeStatus.NOT_FOUND)),
        waiting=Count("pk", filter=Q(geocode_status__isnull=True) & HAS_ADDRESS),
    )
    return {key: int(value or 0) for key, value in counts.items()}
