"""The suppression ledger: record opt-outs and erasures as hashes, and check them in sets.

Shared by imports (never resurrect an erased or opted-out person), every send channel
(checked at send time) and GDPR erasure.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from maillage.core.columns import max_length
from maillage.people.models import SuppressionEntry
from maillage.people.normalise import ledger_hash, normalise_email, normalise_phone

Kind = SuppressionEntry.Kind
Scope = SuppressionEntry.Scope


def suppression_hash(*, kind: str, value: str) -> str | None:
    """Normalise then hash; None when the value is empty or not a valid email/phone."""
    if kind == Kind.EMAIL:
        normalised: str | None = normalise_email(value) or None
    elif kind == Kind.PHONE:
        normalised = normalise_phone(value)
    else:
        normalised = value or None
    return ledger_hash(kind, normalised) if normalised else None


def suppression_add(
    *, kind: str, value: str, scope: str, reason: str = ""
) -> SuppressionEntry | None:
    value_hash = suppression_hash(kind=kind, value=value)
    if value_hash is None:
        return None
    try:
        with transaction.atomic():
            entry, _created = SuppressionEntry.objects.get_or_create(
                kind=kind,
                value_hash=value_hash,
                scope=scope,
                defaults={"reason": reason[: max_length(SuppressionEntry, "reason")]},
            )
    except IntegrityError:  # a concurrent opt-out of the same value: it is recorded either way
        entry = SuppressionEntry.objects.get(kind=kind, value_hash=value_hash, scope=scope)
    return entry


def is_suppressed(*, kind: str, value: str, channel_scope: str) -> bool:
    """True when the value is erased (scope all) or opted out of this channel."""
    value_hash = suppression_hash(kind=kind, value=value)
    if value_hash is None:
        return False
    return SuppressionEntry.objects.filter(
        kind=kind, value_hash=value_hash, scope__in=[Scope.ALL, channel_scope]
    ).exists()
