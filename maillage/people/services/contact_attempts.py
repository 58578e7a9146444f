"""The contact-attempt ledger's writes: one door result or call (`contact_attempt_record`), and
messaging's "sent" attempts in sets (`contact_attempts_record_sent`).

Canvassing, phone banking and messaging all write here, so the contact cap, the follow-up
lists and the persuasion figures read one history. The interaction itself, the support level,
consent and new contact details go through the people services that already own them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.columns import max_length
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import (
    Channel,
    Consent,
    ConsentChannel,
    ContactPolicy,
    Interaction,
    Person,
    SupportLevel,
)
from maillage.people.selectors.contact_cap import contact_policy
from maillage.people.selectors.people import PeopleInScope, access_person
from maillage.people.services.consent import consent_record
from maillage.people.services.interactions import interaction_record_or_existing
from maillage.people.services.persons import email_add, phone_add

# The channels where a person answers someone: two of them on the same person disagree.
CONVERSATION_CHANNELS = (Channel.DOOR.value, Channel.PHONE.value)
SENT_CHANNELS = (Channel.EMAIL.value, Channel.SMS.value)
BATCH = 1000


@dataclass(frozen=True)
class ContactAttempt:
    person_id: int
    channel: str  # Channel value: "door", "phone", "sms", "email"
    result: str  # Interaction.Result value
    client_uuid: uuid.UUID  # idempotency key (offline sync, double taps, retries)
    occurred_at: datetime | None = None  # default now
    support_level: int | None = None  # SupportLevel value
    note: str = ""
    question: str = ""  # a question for staff: lands in the staff inbox, status open
    source_kind: str = ""
    source_id: int | None = None
    new_email: str = ""  # corrected/new contact details, with consent captured
    email_consent: bool | None = None
    new_phone: str = ""
    phone_consent: bool | None = None  # consent to be phoned and texted
    consent_wording: str = ""  # the exact wording shown to the person


@dataclass(frozen=True)
class ContactAttemptOutcome:
    interaction: Interaction
    created: bool  # False when the client_uuid was already recorded (nothing changed)
    conflict: bool  # True when this attempt disagrees with another one (see _flag_conflicts)


def contact_attempt_record(
    *, actor: User, attempt: ContactAttempt, scope: PeopleInScope | None = None
) -> ContactAttemptOutcome:
    """Record one attempt on a person the actor may see (NotFound otherwise), in one transaction.

    Sending the same client_uuid again changes nothing and returns the first row. The latest
    attempt by `occurred_at` sets the person's current support level (an older offline result
    never overwrites a newer one); "do not contact" fills the suppression ledger; a new email or
    phone is added, and the consent given for it recorded with the wording shown, unless the
    ledger forbids it (the address is then kept without consent).

    A batch passes `scope` (from `people_in_scope`, loaded once for all its people) rather than
    checking each person's scope again."""
    if scope is None:
        person = access_person(user=actor, person_id=attempt.person_id)
    else:
        person = scope.person(user=actor, person_id=attempt.person_id)
    if attempt.source_kind and attempt.source_id is None:
        raise ApplicationError(_("Une origine de contact demande son identifiant."))
    now = timezone.now()
    occurred_at = attempt.occurred_at or now
    if timezone.is_naive(occurred_at):
        raise ApplicationError(_("La date du contact doit porter son fuseau horaire."))
    # A phone whose clock runs ahead must not put a result in the future (it would win every
    # later one): it is dated now.
    occurred_at = min(occurred_at, now)
    with transaction.atomic():
        interaction, created = interaction_record_or_existing(
            actor=actor,
            person=person,
            channel=attempt.channel,
            result=attempt.result,
            support_level=attempt.support_level,
            occurred_at=occurred_at,
            note=attempt.note,
            question=attempt.question.strip(),
            client_uuid=attempt.client_uuid,
            source_kind=attempt.source_kind[: max_length(Interaction, "source_kind")],
            source_id=attempt.source_id,
        )
        if not created:
            return ContactAttemptOutcome(
                interaction=interaction, created=False, conflict=interaction.needs_review
            )
        _contact_details(actor=actor, person=person, attempt=attempt, at=occurred_at)
        conflict = _flag_conflicts(interaction)
    return ContactAttemptOutcome(interaction=interaction, created=True, conflict=conflict)


def _contact_details(*, actor: User, person: Person, attempt: ContactAttempt, at: datetime) -> None:
    source = _("contact %(channel)s") % {"channel": attempt.channel}
    given: list[tuple[str, bool | None]] = []
    if attempt.new_email.strip():
        email_add(actor=actor, person=person, address=attempt.new_email, source=source)
        given.append((ConsentChannel.EMAIL, attempt.email_consent))
    if attempt.new_phone.strip():
        phone_add(actor=actor, person=person, number=attempt.new_phone, source=source)
        given += [
            (ConsentChannel.PHONE, attempt.phone_consent),
            (ConsentChannel.SMS, attempt.phone_consent),
        ]
    for channel, granted in given:
        if granted is None:
            continue
        if granted and not attempt.consent_wording.strip():
            raise ApplicationError(_("Un consentement s'enregistre avec la formulation montrée."))
        try:
            with transaction.atomic():
                consent_record(
                    actor=actor,
                    person=person,
                    channel=channel,
                    granted=granted,
                    legal_basis=Consent.LegalBasis.CONSENT,
                    source=source,
                    recorded_at=at,
                    wording=attempt.consent_wording.strip(),
                )
        except ApplicationError:
            # The address is on the suppression ledger: it stays without consent, and the
            # attempt itself is kept (a door result is never lost over a consent box).
            continue


def _flag_conflicts(interaction: Interaction) -> bool:
    """Two conversations with the same person by different people disagree when they are
    close in time, or when this one (an offline result synced late) is older than one already
    recorded. Both rows stay; the older of each pair is flagged `needs_review` for staff."""
    if interaction.channel not in CONVERSATION_CHANNELS:
        return False
    window = timedelta(minutes=contact_policy().conflict_minutes)
    at = interaction.occurred_at
    others = Interaction.objects.filter(
        person_id=interaction.person_id, channel__in=CONVERSATION_CHANNELS
    ).exclude(pk=interaction.pk)
    if interaction.actor_id is not None:
        others = others.filter(~Q(actor_id=interaction.actor_id) | Q(actor__isnull=True))
    newer = others.filter(occurred_at__gt=at).exists()
    older = others.filter(occurred_at__gte=at - window, occurred_at__lte=at).update(
        needs_review=True
    )
    if newer:
        interaction.needs_review = True
        interaction.save(update_fields=["needs_review"])
    return newer or older > 0


@transaction.atomic
def interaction_review_clear(*, actor: User, interaction_ids: Sequence[int]) -> int:
    """Staff have looked at flagged attempts: they leave the conflicts list."""
    return Interaction.objects.filter(pk__in=list(interaction_ids), needs_review=True).update(
        needs_review=False
    )


def contact_attempts_record_sent(
    *,
    actor: User,
    person_ids: Sequence[int],
    channel: str,
    source_kind: str,
    source_id: int,
    occurred_at: datetime | None = None,
) -> int:
    """Record that a campaign reached these people ("sent"), in batches; a person already
    recorded for this (source_kind, source_id, channel) is skipped, so a resumed send never
    counts anyone twice. Returns how many rows were new. The caller has already scoped the
    audience (messaging builds it from a segment), so no per-person access check here."""
    if channel not in SENT_CHANNELS:
        raise ApplicationError(_("Canal d'envoi inconnu : %(channel)s.") % {"channel": channel})
    if not source_kind:
        raise ApplicationError(_("Un envoi a toujours une origine."))
    at = occurred_at or timezone.now()
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    created = 0
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        with transaction.atomic():
            done = set(
                Interaction.objects.filter(
                    person_id__in=chunk,
                    result=Interaction.Result.SENT,
                    source_kind=source_kind,
                    source_id=source_id,
                    channel=channel,
                )
                .order_by()
                .values_list("person_id", flat=True)
            )
            new = [pid for pid in chunk if pid not in done]
            if not new:
                continue
            Interaction.objects.bulk_create(
                [
                    Interaction(
                        client_uuid=uuid.uuid4(),
                        person_id=pid,
                        channel=channel,
                        result=Interaction.Result.SENT,
                        occurred_at=at,
                        actor_id=actor_id,
                        source_kind=source_kind,
                        source_id=source_id,
                    )
                    for pid in new
                ],
                ignore_conflicts=True,  # a concurrent send of the same campaign: one row each
            )
            Person.objects.filter(
                Q(pk__in=new)
                & (Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lte=at))
            ).update(last_interaction_at=at, last_interaction_channel=channel)
            created += len(new)
    return created


POLICY_FIELDS = (
    "revisit_levels",
    "inform_levels",
    "no_contact_levels",
    "not_home_retries",
    "cap_attempts",
    "cap_days",
    "conflict_minutes",
)


@transaction.atomic
def contact_policy_update(*, actor: User, values: Mapping[str, Any]) -> ContactPolicy:
    """Change the follow-up rules and the contact cap (staff page); audit-logged. A support
    level belongs to one list at most."""
    unknown = sorted(set(values) - set(POLICY_FIELDS))
    if unknown:
        raise ApplicationError(
            _("Champs inconnus : %(choices)s.") % {"choices": ", ".join(unknown)}
        )
    policy = contact_policy()
    lists = {
        name: sorted({int(v) for v in values.get(name, getattr(policy, name))})
        for name in ("revisit_levels", "inform_levels", "no_contact_levels")
    }
    seen: set[int] = set()
    for levels in lists.values():
        if set(levels) - set(SupportLevel.values):
            raise ApplicationError(_("Le niveau de soutien va de 1 (pour) à 5 (contre)."))
        if seen & set(levels):
            raise ApplicationError(_("Un niveau de soutien ne va que dans une liste de suivi."))
        seen |= set(levels)
    if int(values.get("cap_days", policy.cap_days) or 0) < 1:
        raise ApplicationError(_("La période du plafond compte au moins un jour."))
    changes: dict[str, list[object]] = {}
    for name in POLICY_FIELDS:
        new = lists[name] if name in lists else values.get(name, getattr(policy, name))
        if getattr(policy, name) != new:
            changes[name] = [getattr(policy, name), new]
            setattr(policy, name, new)
    if changes:
        policy.save(update_fields=[*changes, "updated_at"])
        audit_log_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            target=policy,
            target_label=str(policy),
            changes=changes,
        )
    return policy
