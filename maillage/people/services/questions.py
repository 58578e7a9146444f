"""Answering the questions people asked at the door or on the phone (the staff inbox): the
answer is stored on the interaction and may go back to the person by email."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.core.errors import ApplicationError
from maillage.core.models import AuditLogEntry
from maillage.core.services import audit_log_record
from maillage.people.models import Interaction, Person
from maillage.people.selectors.people import USABLE_STATUSES
from maillage.people.services.suppression import Kind, Scope, is_suppressed


def question_reply_address(person: Person) -> str | None:
    """Where an answer may be emailed: a usable address (primary first) that is not on the
    suppression ledger, and no email consent withdrawn. The person asked the question, so
    consent not yet given does not stop the answer; a refusal does."""
    if person.consent_email is False:
        return None
    addresses = person.emails.filter(status__in=USABLE_STATUSES).order_by("-is_primary", "id")
    for address in addresses.values_list("address", flat=True):
        if not is_suppressed(kind=Kind.EMAIL, value=address, channel_scope=Scope.EMAIL):
            return address
    return None


@transaction.atomic
def question_answer(
    *, actor: User, interaction: Interaction, answer: str, send_email: bool = False
) -> Interaction:
    """Record the answer (status answered) and, when asked, email it to the person after the
    transaction commits. Audit-logged, with whether it was emailed."""
    text = answer.strip()
    if not text:
        raise ApplicationError(_("Écrivez une réponse."))
    if interaction.question_status == "":
        raise ApplicationError(_("Cette interaction ne porte pas de question."))
    address = question_reply_address(interaction.person) if send_email else None
    if send_email and address is None:
        raise ApplicationError(
            _("Cette personne n'a pas d'adresse e-mail utilisable : la réponse n'est pas envoyée.")
        )
    interaction.question_answer = text
    interaction.question_status = Interaction.QuestionStatus.ANSWERED
    interaction.question_answered_by = actor
    interaction.question_answered_at = timezone.now()
    interaction.save(
        update_fields=[
            "question_answer",
            "question_status",
            "question_answered_by",
            "question_answered_at",
        ]
    )
    audit_log_record(
        actor=actor,
        action=AuditLogEntry.Action.UPDATE,
        target=interaction.person,
        target_label=f"#{interaction.person_id}",
        changes={"question_answered": interaction.pk, "emailed": address is not None},
    )
    if address is not None:
        context = {
            "person": interaction.person,
            "question": interaction.question,
            "answer": text,
            "answered_by": actor.full_name or actor.email,
        }
        transaction.on_commit(lambda: _email(address, context))
    return interaction


def _email(address: str, context: dict[str, object]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string("people/email/question_answer.txt", context)
        subject = _("Réponse à votre question")
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
