"""Who a message can reach: the address each person would be written to, why the others cannot
be, and the suppression ledger checked for a whole batch at once (messaging's send time)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from maillage.people.models import EmailAddress, Interaction, Person, PhoneNumber, SuppressionEntry
from maillage.people.selectors.contact_cap import (
    _recent_attempts,
    contact_policy,
    over_contact_cap_q,
)
from maillage.people.selectors.people import USABLE_STATUSES, reachable_q
from maillage.people.services.suppression import suppression_hash

# The fields a message may show about its recipient (the placeholder language names them).
MESSAGE_FIELDS = (
    "pk",
    "first_names",
    "usage_name",
    "birth_name",
    "commune_name",
    "polling_station_code",
    "postcode",
)


def _best_email() -> Subquery:
    return Subquery(
        EmailAddress.objects.filter(person_id=OuterRef("pk"), status__in=USABLE_STATUSES)
        .order_by("-is_primary", "id")
        .values("address")[:1]
    )


def _best_mobile() -> Subquery:
    return Subquery(
        PhoneNumber.objects.filter(
            person_id=OuterRef("pk"),
            status__in=USABLE_STATUSES,
            kind=PhoneNumber.Kind.MOBILE,
        )
        .order_by("-is_primary", "id")
        .values("number")[:1]
    )


def recipients(people: QuerySet[Person], *, channel: str) -> QuerySet[Any]:
    """The people who can receive on `channel` ("email" or "sms"), each annotated with the one
    address to use (`recipient_address`: the primary usable one first). One SELECT, meant to be
    inserted as is (INSERT … SELECT) by the sender that freezes an audience."""
    best = _best_email() if channel == "email" else _best_mobile()
    return (
        people.filter(reachable_q(channel))
        .exclude(over_contact_cap_q())
        .annotate(recipient_address=best)
    )


def audience_breakdown(people: QuerySet[Person], *, channel: str) -> dict[str, int]:
    """Counts of a segment by why a message can or cannot reach them, in one aggregate query:
    no address at all, only bounced/invalid ones, no consent in force, reachable (of whom
    `capped` are at the contact cap and are left out too)."""
    rows: QuerySet[Any]
    if channel == "email":
        rows = EmailAddress.objects.filter(person_id=OuterRef("pk"))
        consent = Q(consent_email=True)
    else:
        rows = PhoneNumber.objects.filter(person_id=OuterRef("pk"), kind=PhoneNumber.Kind.MOBILE)
        consent = Q(consent_sms=True)
    has_any = Exists(rows)
    has_usable = Exists(rows.filter(status__in=USABLE_STATUSES))
    counts: dict[str, Any] = people.aggregate(
        total=Count("pk"),
        no_address=Count("pk", filter=~Q(has_any)),
        bounced=Count("pk", filter=Q(has_any) & ~Q(has_usable)),
        no_consent=Count("pk", filter=Q(has_usable) & ~consent),
        reachable=Count("pk", filter=Q(has_usable) & consent),
        capped=Count("pk", filter=Q(has_usable) & consent & over_contact_cap_q()),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def suppressed_among(*, kind: str, values: Iterable[str], scope: str) -> set[str]:
    """The values (as given) that the suppression ledger holds for this channel or for all:
    one query per call, however many values (a send batch)."""
    by_hash: dict[str, list[str]] = {}
    for value in values:
        value_hash = suppression_hash(kind=kind, value=value)
        if value_hash is not None:
            by_hash.setdefault(value_hash, []).append(value)
    if not by_hash:
        return set()
    hits = SuppressionEntry.objects.filter(
        kind=kind,
        value_hash__in=list(by_hash),
        scope__in=[SuppressionEntry.Scope.ALL, scope],
    ).values_list("value_hash", flat=True)
    return {value for value_hash in hits for value in by_hash[value_hash]}


def people_message_fields(person_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What a message may say about each recipient, for a batch of people (one query)."""
    return {
        row["pk"]: row
        for row in Person.objects.filter(pk__in=list(person_ids)).values(*MESSAGE_FIELDS)
    }


def person_by_address(*, kind: str, value: str) -> Person | None:
    """The person holding an email address or phone number (an inbound SMS, a bounce)."""
    row: EmailAddress | PhoneNumber | None
    if kind == SuppressionEntry.Kind.EMAIL:
        row = EmailAddress.objects.filter(address__iexact=value).select_related("person").first()
    else:
        row = PhoneNumber.objects.filter(number=value).select_related("person").first()
    return row.person if row is not None else None


def people_over_contact_cap(*, person_ids: Iterable[int]) -> set[int]:
    """Of these people (a send batch), those already at the contact cap: one grouped query
    over their own recent attempts (the (person, occurred_at) index), whatever the table's size."""
    policy = contact_policy()
    ids = list(person_ids)
    if policy.cap_attempts == 0 or not ids:
        return set()
    return set(
        Interaction.objects.filter(_recent_attempts(policy=policy, now=None), person_id__in=ids)
        .values("person_id")
        .annotate(attempts=Count("id"))
        .filter(attempts__gte=policy.cap_attempts)
        .values_list("person_id", flat=True)
    )
