"""Recording contact attempts: idempotent on the client's UUID, latest-wins denormalisation.

Door results arrive late and out of order from phones that were offline, so an interaction
only moves `current_support` / `last_interaction_*` when it is newer than what the person shows.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.people.dashboard import dashboard_counts_forget
from maillage.people.models import Channel, ConsentChannel, Interaction, Person, SupportLevel
from maillage.people.services.consent import consent_record
from maillage.people.services.suppression import Kind, Scope, suppression_add

Result = Interaction.Result


def interaction_record(
    *,
    actor: User,
    person: Person,
    channel: str,
    result: str,
    support_level: int | None = None,
    occurred_at: datetime,
    note: str = "",
    question: str = "",
    client_uuid: uuid.UUID | str | None = None,
    source_kind: str = "",
    source_id: int | None = None,
) -> Interaction:
    """Record one interaction; sending the same client_uuid again returns the first one unchanged."""
    return interaction_record_or_existing(
        actor=actor,
        person=person,
        channel=channel,
        result=result,
        support_level=support_level,
        occurred_at=occurred_at,
        note=note,
        question=question,
        client_uuid=client_uuid,
        source_kind=source_kind,
        source_id=source_id,
    )[0]


def interaction_record_or_existing(
    *,
    actor: User,
    person: Person,
    channel: str,
    result: str,
    support_level: int | None = None,
    occurred_at: datetime,
    note: str = "",
    question: str = "",
    client_uuid: uuid.UUID | str | None = None,
    source_kind: str = "",
    source_id: int | None = None,
) -> tuple[Interaction, bool]:
    """`interaction_record`, also saying whether the row is new (False: the client_uuid was
    already recorded, and nothing changed)."""
    if channel not in Channel.values:
        raise ApplicationError(_("Canal inconnu : %(channel)s.") % {"channel": channel})
    if result not in Result.values:
        raise ApplicationError(_("Résultat inconnu : %(result)s.") % {"result": result})
    if support_level is not None and support_level not in SupportLevel.values:
        raise ApplicationError(_("Le niveau de soutien va de 1 (pour) à 5 (contre)."))
    if client_uuid is not None:
        try:
            client_uuid = uuid.UUID(str(client_uuid))
        except ValueError:
            raise ApplicationError(_("Identifiant d'envoi invalide.")) from None
        existing = Interaction.objects.filter(client_uuid=client_uuid).first()
        if existing is not None:
            return _same_or_conflict(existing, person), False
    try:
        with transaction.atomic():
            interaction = Interaction.objects.create(
                client_uuid=client_uuid or uuid.uuid4(),
                person=person,
                channel=channel,
                result=result,
                support_level=support_level,
                occurred_at=occurred_at,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                note=note,
                question=question,
                question_status=Interaction.QuestionStatus.OPEN if question.strip() else "",
                source_kind=source_kind,
                source_id=source_id,
            )
            _denormalise(interaction)
            if result == Result.DO_NOT_CONTACT:
                _do_not_contact(actor=actor, person=person, occurred_at=occurred_at)
        if interaction.actor_id is not None:
            # Their own dashboard shows this result at once (others' within its minute).
            dashboard_counts_forget(user_id=interaction.actor_id)
    except IntegrityError:
        # The same offline result posted twice at once: the other request stored it.
        if client_uuid is None:
            raise
        existing = Interaction.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, person), False
    person.refresh_from_db(
        fields=[
            "current_support",
            "support_updated_at",
            "last_interaction_at",
            "last_interaction_channel",
        ]
    )
    return interaction, True


def _same_or_conflict(existing: Interaction, person: Person) -> Interaction:
    if existing.person_id != person.pk:
        raise ApplicationError(_("Cet identifiant d'envoi a déjà servi pour une autre personne."))
    return existing


def _denormalise(interaction: Interaction) -> None:
    """Conditional UPDATEs, so two concurrent results cannot let the older one win."""
    at = interaction.occurred_at
    Person.objects.filter(
        Q(pk=interaction.person_id)
        & (Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lte=at))
    ).update(last_interaction_at=at, last_interaction_channel=interaction.channel)
    if interaction.support_level is not None:
        Person.objects.filter(
            Q(pk=interaction.person_id)
            & (Q(support_updated_at__isnull=True) | Q(support_updated_at__lte=at))
        ).update(current_support=interaction.support_level, support_updated_at=at)


def _do_not_contact(*, actor: User, person: Person, occurred_at: datetime) -> None:
    """ "Ne plus contacter": every channel refused, every address on the ledger."""
    for channel in ConsentChannel.values:
        consent_record(
            actor=actor,
            person=person,
            channel=channel,
            granted=False,
            legal_basis="consent",
            source="ne plus contacter",
            recorded_at=occurred_at,
        )
    for address in person.emails.values_list("address", flat=True):
        suppression_add(
            kind=Kind.EMAIL, value=address, scope=Scope.EMAIL, reason="ne plus contacter"
        )
    for number in person.phones.values_list("number", flat=True):
        suppression_add(kind=Kind.PHONE, value=number, scope=Scope.SMS, reason="ne plus contacter")
        suppression_add(
            kind=Kind.PHONE, value=number, scope=Scope.PHONE, reason="ne plus contacter"
        )
