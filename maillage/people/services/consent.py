"""Consent per channel: a history row, the denormalised flag on Person, the audit entry, and
the suppression ledger on refusal (so a re-import never brings the address back as reachable)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import Consent, ConsentChannel, Person
from maillage.people.services.suppression import Kind, Scope, is_suppressed, suppression_add

# Which ledger entry a refusal writes, and which contact values it covers.
_LEDGER: dict[str, tuple[str, str]] = {
    ConsentChannel.EMAIL: (Kind.EMAIL, Scope.EMAIL),
    ConsentChannel.SMS: (Kind.PHONE, Scope.SMS),
    ConsentChannel.PHONE: (Kind.PHONE, Scope.PHONE),
}


def _values_for(person: Person, kind: str) -> list[str]:
    if kind == Kind.EMAIL:
        return list(person.emails.values_list("address", flat=True))
    return list(person.phones.values_list("number", flat=True))


@transaction.atomic
def consent_record(
    *,
    actor: User,
    person: Person,
    channel: str,
    granted: bool,
    legal_basis: str,
    source: str,
    recorded_at: datetime | None = None,
    wording: str = "",
) -> Consent:
    if channel not in ConsentChannel.values:
        raise ApplicationError(
            _("Canal de consentement inconnu : %(channel)s.") % {"channel": channel}
        )
    if legal_basis not in Consent.LegalBasis.values:
        raise ApplicationError(
            _("Base légale inconnue : %(legal_basis)s.") % {"legal_basis": legal_basis}
        )
    recorded_at = recorded_at or timezone.now()
    ledger = _LEDGER.get(channel)
    if granted and ledger is not None:
        kind, scope = ledger
        values = _values_for(person, kind)
        if values and all(is_suppressed(kind=kind, value=v, channel_scope=scope) for v in values):
            raise ApplicationError(
                _(
                    "Ces coordonnées figurent sur la liste d'opposition : le consentement ne peut pas être enregistré."
                )
            )
    consent = Consent.objects.create(
        person=person,
        channel=channel,
        granted=granted,
        legal_basis=legal_basis,
        source=source[: max_length(Consent, "source")],
        recorded_at=recorded_at,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        wording=wording,
    )
    field = f"consent_{channel}"
    old = getattr(person, field)
    latest = (
        Consent.objects.filter(person=person, channel=channel)
        .order_by("-recorded_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    if latest != old:
        setattr(person, field, latest)
        person.save(update_fields=[field, "updated_at"])
    if not granted and ledger is not None:
        kind, scope = ledger
        for value in _values_for(person, kind):
            suppression_add(kind=kind, value=value, scope=scope, reason=source)
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.CONSENT_CHANGE,
        target=person,
        target_label=f"#{person.pk}",
        changes={
            "channel": channel,
            "granted": granted,
            "legal_basis": legal_basis,
            "source": source,
            "consent": [old, latest],
        },
    )
    return consent
